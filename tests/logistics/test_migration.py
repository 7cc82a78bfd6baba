"""The migration that brought parcels gives every order shipped before it one parcel with its lines."""

import flask_migrate
from sqlalchemy import select, text

from app.domain.logistics.models import Shipment
from app.domain.orders import services
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests import factories
from tests.conftest import connection_bound
from tests.domain.stock_world import ACTOR, line, pay, place, receive

BEFORE_PARCELS = "fcfb220df65b"


def test_orders_shipped_before_parcels_existed_get_one_each(make_app, tmp_path):
    fresh = make_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "INSTANCE_PATH": str(tmp_path)})
    test_session = db.session
    with fresh.app_context():
        flask_migrate.upgrade()
        # The services and factories write through db.session: point it at the fresh database meanwhile.
        db.session = db._make_scoped_session({"bind": db.engine,
                                              "class_": connection_bound(test_session.session_factory.class_)})
        try:
            paid = ship_two_the_old_way()
            flask_migrate.downgrade(revision=BEFORE_PARCELS)
            flask_migrate.upgrade()
            rows = db.session.execute(select(Shipment.waybill_no, Shipment.status, Shipment.subscription)
                                      .order_by(Shipment.waybill_no)).all()
            lines = db.session.execute(text("SELECT quantity FROM shipment_lines")).scalars().all()
            unshipped = db.session.get(type(paid), paid.id).status
        finally:
            db.session.remove()
            db.session = test_session
    assert [tuple(row) for row in rows] == [("OLDA1", "in_transit", "none"), ("OLDA2", "signed", "none")]
    assert lines == [2, 2] and unshipped == OrderStatus.PAID


def ship_two_the_old_way():
    """Two orders shipped with the order-only service of before (one in transit, one signed), one paid."""
    warehouse, channel = factories.WarehouseFactory(priority=1), factories.ChannelFactory()
    carrier, sku = factories.CarrierFactory(), factories.SkuFactory(price_fen=1000)
    db.session.flush()
    receive(warehouse, sku, 10)
    in_transit, signed, paid = (pay(place(channel, line(sku, 2))) for _ in range(3))
    for order, number in ((in_transit, "A1"), (signed, "A2")):
        services.approve(order, ACTOR)
        services.pack(order, ACTOR)
        services.ship_out(order, carrier, f"OLD{number}", ACTOR)
        services.hand_over(order, ACTOR)
    services.sign(signed, ACTOR)
    db.session.commit()
    return paid
