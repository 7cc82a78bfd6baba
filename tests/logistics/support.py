"""Helpers for the tracking tests: shipped orders, and pushes built exactly as 快递100 sends them."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.domain.logistics import shipments, tracking
from app.domain.logistics.adapters.kuaidi100 import Kuaidi100Adapter, push_sign
from app.domain.logistics.models import Shipment
from app.domain.logistics.states import STATE_WORDS
from app.domain.orders import services
from app.domain.orders.models import Order
from app.extensions import db
from tests.domain.stock_world import ACTOR, line, pay, place

SALT = "test-salt"
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
WORD_OF_CODE = {code: word for word, code in STATE_WORDS.items()}


def tracker() -> Kuaidi100Adapter:
    return Kuaidi100Adapter("http://kuaidi100.invalid", "test-key", "TESTCUSTOMER", SALT)


@dataclass(frozen=True)
class Step:
    minute: int
    code: int
    text: str

    def item(self) -> dict:
        moment = (START + timedelta(minutes=self.minute)).strftime("%Y-%m-%d %H:%M:%S")
        return {"context": self.text, "time": moment, "ftime": moment, "areaCode": "", "areaName": "上海市",
                "status": WORD_OF_CODE.get(self.code, "在途")}


def push_form(number: str, steps, company: str = "yuantong", salt: str = SALT, state: int | None = None) -> dict:
    """The form fields of a push carrying ``steps`` (the history, any order), newest first as sent."""
    ordered = sorted(steps, key=lambda step: step.minute, reverse=True)
    top = state if state is not None else (ordered[0].code if ordered else 0)
    param = json.dumps({
        "status": "polling", "billstatus": "check", "message": "", "autoCheck": "0", "comOld": "", "comNew": "",
        "lastResult": {"message": "ok", "state": str(top), "status": "200", "condition": "F00",
                       "ischeck": "1" if top == 3 else "0", "com": company, "nu": number,
                       "data": [step.item() for step in ordered]},
    }, ensure_ascii=False, separators=(",", ":"))
    return {"param": param, "sign": push_sign(param, salt)}


def push(number: str, steps, company: str = "yuantong") -> Shipment | None:
    """Take a push as the hook does (verified, parsed, applied), in the test's session."""
    adapter = tracker()
    form = push_form(number, steps, company)
    assert adapter.verify_push(form)
    report = adapter.parse_push(form)
    shipment = tracking.find_shipment(report.company, report.number, adapter.company_code)
    if shipment is not None:
        tracking.apply_report(shipment, report, "push", START + timedelta(days=1))
    return shipment


def shipped_order(world, carrier, waybills=("YT0000000001",), quantity: int = 2) -> Order:
    """A paid order of ``quantity`` × A, shipped as one parcel per waybill (split by units)."""
    order = pay(place(world.channel, line(world.a, quantity)))
    services.approve(order, ACTOR)
    services.pack(order, ACTOR)
    if len(waybills) == 1:
        return shipments.ship_order(order, carrier, waybills[0], ACTOR)
    sold = order.lines[0]
    parcels = [shipments.Parcel(carrier, waybill, {sold.id: 1}) for waybill in waybills]
    return shipments.ship_parcels(order, parcels, ACTOR)


def parcels_of(order) -> list[Shipment]:
    return list(db.session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)))
