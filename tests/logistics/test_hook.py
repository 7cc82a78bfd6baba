"""POST /hooks/logistics/kuaidi100: the sign over the raw param, the replies 快递100 expects (issue 10 §1,
"Bad input")."""

import logging

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.domain.logistics.adapters.kuaidi100 import push_sign
from app.domain.logistics.models import TrackingEvent
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests.logistics.support import Step, parcels_of, push_form, shipped_order

PATH = "/hooks/logistics/kuaidi100"
HISTORY = [Step(0, 1, "已揽收"), Step(60, 0, "快件已到达【上海转运中心】")]
ACCEPTED = {"result": True, "returnCode": "200", "message": "成功"}


@pytest.fixture
def hook_log(caplog, monkeypatch):
    """The hook's log records. Alembic's logging set-up (run by the migrations at session start) disables
    loggers that existed before it, this one included: turn it back on for the test."""
    monkeypatch.setattr(logging.getLogger("app.web.hooks.logistics"), "disabled", False)
    caplog.set_level(logging.INFO, logger="app.web.hooks.logistics")
    return caplog


def stored_events() -> int:
    return db.session.scalar(select(func.count()).select_from(TrackingEvent))


def salt() -> str:
    return current_app.config["KUAIDI100_SALT"]


def test_a_signed_push_is_stored_and_moves_the_order(client, stocked, carrier):
    order = shipped_order(stocked, carrier)
    db.session.commit()
    response = client.post(PATH, data=push_form("YT0000000001", HISTORY, salt=salt()))
    assert (response.status_code, response.get_json()) == (200, ACCEPTED)
    db.session.refresh(order)
    assert order.status == OrderStatus.IN_TRANSIT
    assert [event.context for event in parcels_of(order)[0].events] == ["快件已到达【上海转运中心】", "已揽收"]


def test_a_bad_or_missing_sign_is_refused_and_nothing_is_stored(client, stocked, carrier):
    order = shipped_order(stocked, carrier)
    db.session.commit()
    forged = push_form("YT0000000001", HISTORY, salt="not-our-salt")
    unsigned = {"param": forged["param"]}
    tampered = dict(push_form("YT0000000001", HISTORY, salt=salt()), param=forged["param"].replace("上海", "北京"))
    for form in (forged, unsigned, tampered):
        response = client.post(PATH, data=form)
        assert response.status_code == 401
        assert response.get_json() == {"result": False, "returnCode": "500", "message": "签名错误"}
    db.session.refresh(order)
    assert (stored_events(), order.status) == (0, OrderStatus.SHIPPED_OUT)


def test_a_push_for_a_waybill_we_never_shipped_is_acknowledged_and_logged(client, stocked, carrier, hook_log):
    shipped_order(stocked, carrier)
    db.session.commit()
    response = client.post(PATH, data=push_form("YT5555555555", HISTORY, salt=salt()))
    assert (response.status_code, response.get_json()) == (200, ACCEPTED)
    assert stored_events() == 0 and "YT5555555555" in hook_log.text


def test_a_malformed_param_is_a_400_logged_with_the_raw_body(client, stocked, hook_log):
    param = '{"status":"polling","lastResult":"not a result"}'
    response = client.post(PATH, data={"param": param, "sign": push_sign(param, salt())})
    assert response.status_code == 400
    assert response.get_json()["result"] is False
    assert "not+a+result" in hook_log.text and stored_events() == 0  # the raw (form-encoded) body
