"""Printing a platform order: the receiver the platform keeps encrypted is decrypted through its call
(the Taobao simulator's top.oaid.decrypt) only for the printed page; the order stays masked and its
timeline records the access and the print, never the values."""

from datetime import timedelta
from io import BytesIO

from flask import current_app
from pypdf import PdfReader

from app.db import utcnow
from app.domain.channels import pii
from app.domain.orders import services
from app.domain.workbench import printing
from app.domain.workbench.models import OrderBatch
from app.extensions import db
from tests.channels.builders import taobao_trade
from tests.channels.test_sync import load_taobao, orders_of, pull


def test_a_packing_slip_shows_the_receiver_the_platform_decrypted_and_nothing_else_keeps_it(
        world, taobao_sim, taobao_adapter):
    load_taobao(taobao_sim, [taobao_trade("7801", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=2),
                                          masked=False)])
    pull(world.taobao, taobao_adapter)
    [order] = orders_of(world.taobao)
    services.approve(order, "user:cangku")
    batch = printing.start(printing.SLIPS, [order.order_no], "user:cangku")
    db.session.commit()

    def reveal(order):
        return pii.reveal_receiver(order, taobao_adapter, "shunfeng", "user:cangku", checkpoint=db.session.commit)

    printing.run(batch, reveal, db.session.commit, current_app.template_folder, current_app.static_folder)
    db.session.commit()

    batch = db.session.get(OrderBatch, batch.id)
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(batch.content)).pages)
    assert "张晓雯" in text and "13800138000" in text
    assert order.receiver_name == "张**" and order.receiver_phone == "138****8000"
    actions = [event.action for event in order.events]
    assert actions[-2:] == ["pii_decrypted", "printed"]
    assert all("13800138000" not in event.reason + str(event.details) for event in order.events)
