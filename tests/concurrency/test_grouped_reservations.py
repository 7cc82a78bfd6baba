"""Real concurrent reservations of one stock row through the group commit: one leader per row applies
the waiting requests' sum in one guarded UPDATE and commits once, and still no buyer is oversold, each
refused buyer is refused alone, and the books agree (on PostgreSQL the batches really form; on SQLite
they form as well, behind the database's one writer)."""

from sqlalchemy import func, select, update

from app.domain.errors import OutOfStock
from app.domain.inventory import services as inventory
from app.domain.inventory.grouped import GroupCommit, ReservationRequest, reserve_together
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import MovementKind, Reservation, StockLevel, StockMovement
from app.domain.orders import services as orders
from app.domain.orders.consistency import stock_differences
from app.domain.orders.inputs import LineInput, OrderInput, Receiver
from app.domain.reference.models import Warehouse
from app.extensions import db
from tests import factories

BUYERS = 120
STOCK = 50
RECEIPT = Change("test:stock", "并发测试入库")


def committed_batch(warehouse_id: int, sku_id: int, requests: list[ReservationRequest]) -> list:
    """The caller's unit of work around a batch: its own session and transaction, one commit."""
    outcomes = reserve_together(warehouse_id, sku_id, requests)
    db.session.commit()
    return outcomes


def test_grouped_buyers_of_one_or_two_units_never_oversell_and_each_refusal_is_its_own(buyers):
    with buyers.app.app_context():
        db.session.execute(update(Warehouse).values(active=False))
        warehouse = factories.WarehouseFactory(priority=1)
        hot, filler = factories.SkuFactory(), factories.SkuFactory()
        channel = factories.ChannelFactory()
        db.session.flush()
        inventory.receive(warehouse, [(hot, STOCK), (filler, BUYERS)], RECEIPT)
        receiver = Receiver(name="买家", phone="13800138000", province="上海市", city="上海市", address="世纪大道 1 号")
        order_ids = [orders.create_order(channel, OrderInput(receiver=receiver, lines=[LineInput(sku=filler.code, quantity=1)]),
                                         "test:buyer")[0].id for _ in range(BUYERS)]
        db.session.commit()
        warehouse_id, sku_id = warehouse.id, hot.id
    wanted = [1 + buyer % 2 for buyer in range(BUYERS)]  # 180 units asked for 50
    group = GroupCommit(committed_batch)

    def reserve(buyer: int):
        change = Change("test:buyer", "秒杀预占", order_ids[buyer])
        try:
            group.reserve(warehouse_id, sku_id, ReservationRequest(order_ids[buyer], wanted[buyer], change))
        except OutOfStock:
            return "out_of_stock"
        return "ok"

    results = buyers.run(BUYERS, reserve)

    errors = [result for result in results if result not in ("ok", "out_of_stock")]
    assert errors == [], errors[:5]
    granted = [buyer for buyer, result in enumerate(results) if result == "ok"]
    with buyers.app.app_context():
        level = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id))
        assert level.reserved == sum(wanted[buyer] for buyer in granted)
        # Never oversold, and nothing left that a refused buyer could have had (each asked for 1 or 2).
        assert STOCK - 1 <= level.reserved <= STOCK
        held = dict(db.session.execute(select(Reservation.order_id, Reservation.quantity)
                                       .where(Reservation.sku_id == sku_id)).all())
        assert held == {order_ids[buyer]: wanted[buyer] for buyer in granted}
        movements = db.session.scalar(select(func.count()).select_from(StockMovement).where(
            StockMovement.sku_id == sku_id, StockMovement.kind == MovementKind.RESERVE))
        assert movements == len(granted)
        assert stock_differences() == []
