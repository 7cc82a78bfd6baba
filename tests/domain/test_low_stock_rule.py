"""The low-stock rule (库存偏低) is written once, on StockPosition: the SQL filter of the stock list, the
highlight on a loaded row and the purchase reminder's "under the reorder point" must always agree."""

import pytest
from sqlalchemy import select

from app.domain.inventory.ledger import LevelAfter
from app.domain.inventory.models import StockLevel
from app.extensions import db
from tests import factories

#: (on_hand, reserved, locked, safety, reorder_point) → low?
CASES = [
    ((50, 0, 0, 0, 0), False),  # plenty, no reorder point
    ((50, 5, 5, 0, 41), True),  # position 40 under the reorder point 41
    ((50, 5, 5, 0, 40), False),  # position 40 at the reorder point: not under it
    ((10, 0, 0, 10, 0), True),  # everything left is safety stock: nothing to sell
    ((10, 4, 5, 0, 0), False),  # one left to sell
    ((10, 4, 6, 0, 0), True),  # all promised
    ((0, 0, 0, 0, 0), True),  # empty
    ((30, 0, 0, 5, 20), False),  # above the reorder point, something to sell
]


@pytest.fixture
def levels(app_context) -> dict[int, bool]:
    warehouse = factories.WarehouseFactory()
    expected = {}
    for (on_hand, reserved, locked, safety, reorder_point), low in CASES:
        level = StockLevel(warehouse=warehouse, sku=factories.SkuFactory(), on_hand=on_hand, reserved=reserved,
                           locked=locked, safety=safety, reorder_point=reorder_point)
        db.session.add(level)
        db.session.flush()
        expected[level.id] = low
    return expected


@pytest.mark.corrupts_stock  # levels written directly, without a ledger: only the rule is under test
def test_the_sql_filter_and_a_loaded_row_agree_with_the_table(levels):
    selected = set(db.session.scalars(select(StockLevel.id).where(StockLevel.id.in_(levels), StockLevel.is_low)))
    loaded = {level.id: level.is_low for level in db.session.scalars(select(StockLevel).where(
        StockLevel.id.in_(levels)))}

    assert selected == {level_id for level_id, low in levels.items() if low}
    assert loaded == levels


@pytest.mark.parametrize(("buckets", "low"), CASES)
def test_the_level_after_a_change_reads_the_same_rule(buckets, low):
    on_hand, reserved, locked, safety, reorder_point = buckets
    after = LevelAfter(1, 1, on_hand, reserved, locked, safety, reorder_point)

    assert after.is_low is low
    assert after.under_reorder_point is (reorder_point > 0 and on_hand - reserved - locked < reorder_point)
