"""Dynamic safety stock, reorder points and purchase reminders (app/domain/inventory/safety.py, reorder.py).

safety = ⌈z × σ(daily demand) × √lead time⌉, reorder point = ⌈mean × lead time + safety⌉, over the
last N full (Shanghai) days of shipments; the expected values below are worked out by hand.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.errors import ValidationError
from app.domain.inventory import ledger, reorder, safety
from app.domain.inventory.models import MovementKind, PurchaseReminder, StockLevel, StockMovement
from app.domain.orders import services
from app.extensions import db
from tests.domain.stock_world import ACTOR, line, pay, place, receive, ship, stock

SHANGHAI = ZoneInfo("Asia/Shanghai")
Z95 = 1.6448536269514722


@pytest.mark.parametrize(("daily", "service", "lead", "expected"), [
    # mean 5, σ 2: safety ⌈1.6449 × 2 × √4⌉ = ⌈6.58⌉ = 7, reorder ⌈5 × 4 + 7⌉ = 27
    ([2, 4, 4, 4, 5, 5, 7, 9], 95, 4, (5.0, 2.0, 7, 27)),
    # mean 12, σ 2, z(99) = 2.3263: safety ⌈2.3263 × 2 × 3⌉ = ⌈13.96⌉ = 14, reorder ⌈12 × 9 + 14⌉ = 122
    ([10, 14], 99, 9, (12.0, 2.0, 14, 122)),
    # steady demand needs no safety stock: reorder point = a lead time's demand
    ([3] * 7, 95, 7, (3.0, 0.0, 0, 21)),
    # one day of history has no variability to measure
    ([5], 95, 3, (5.0, 0.0, 0, 15)),
    # no sales, nothing to keep
    ([], 95, 7, (0.0, 0.0, 0, 0)),
    # a whole number stays whole: 1/3 a day over 3 days is 1 unit, not 2 by float noise
    ([1, 0, 0], 50, 3, (1 / 3, pytest.approx(0.4714, abs=1e-4), 0, 1)),
])
def test_figures_from_demand_match_the_hand_computed_values(daily, service, lead, expected):
    figures = safety.figures_from_demand(daily, service, lead)
    mean, stddev, computed_safety, reorder_point = expected
    assert figures["mean_daily"] == pytest.approx(mean)
    assert figures["stddev_daily"] == stddev
    assert (figures["computed_safety"], figures["computed_reorder_point"]) == (computed_safety, reorder_point)


def test_the_z_score_is_the_normal_quantile_of_the_service_level():
    assert safety.z_score(95) == pytest.approx(Z95)
    assert safety.z_score(50) == pytest.approx(0.0)


def shipped_on(warehouse, sku, day, units: int) -> None:
    """History: ``units`` shipped on the Shanghai calendar ``day``. Written as a receipt and a shipment
    at the same moment, so the ledger still sums to the level (the ledger is append-only: history
    cannot be back-dated by editing rows)."""
    at = datetime.combine(day, time(12, 0), SHANGHAI)
    ledger.ensure_level(warehouse.id, sku.id)
    db.session.add_all([
        StockMovement(at=at, warehouse_id=warehouse.id, sku_id=sku.id, kind=MovementKind.RECEIPT,
                      on_hand_delta=units, actor=ACTOR, reason="历史"),
        StockMovement(at=at, warehouse_id=warehouse.id, sku_id=sku.id, kind=MovementKind.SHIP,
                      on_hand_delta=-units, actor=ACTOR, reason="历史"),
    ])
    db.session.flush()


def test_recompute_uses_the_shipments_of_the_last_n_full_days_only(world):
    world.a.lead_time_days, world.a.service_level_pct = 4, 95
    now = utcnow()
    today = now.astimezone(SHANGHAI).date()
    for days_ago, units in [(1, 3), (2, 5), (3, 3), (4, 5), (5, 100)]:  # day 5 is outside the window
        shipped_on(world.w1, world.a, today - timedelta(days=days_ago), units)
    shipped_on(world.w2, world.a, today - timedelta(days=1), 50)  # another warehouse's demand
    receive(world.w1, world.a, 2)
    ship(pay(place(world.channel, line(world.a, 2))), world)  # today: not a full day yet

    safety.recompute_all(now, days=4)

    figure = safety.figure_for(world.w1.id, world.a.id)
    # daily [3, 5, 3, 5]: mean 4, σ 1; safety ⌈1.6449 × 1 × 2⌉ = 4; reorder ⌈4 × 4 + 4⌉ = 20
    assert (figure.days_sampled, figure.units_shipped) == (4, 16)
    assert (figure.mean_daily, figure.stddev_daily) == (4.0, 1.0)
    assert (figure.computed_safety, figure.computed_reorder_point) == (4, 20)
    assert stock(world.w1, world.a)["safety"] == 4
    assert safety.figure_for(world.w2.id, world.a.id).units_shipped == 50


def test_an_override_with_a_reason_wins_over_the_computed_figures_until_cleared(world):
    receive(world.w1, world.a, 100)
    shipped_on(world.w1, world.a, utcnow().astimezone(SHANGHAI).date() - timedelta(days=1), 7)
    safety.recompute_all(utcnow(), days=7)
    figure = safety.figure_for(world.w1.id, world.a.id)
    computed = (figure.computed_safety, figure.computed_reorder_point)

    safety.override(figure, 10, 30, "  618 大促备货 ", "user:yunying")
    assert (figure.override_reason, figure.override_by) == ("618 大促备货", "user:yunying")
    safety.recompute_all(utcnow(), days=7)  # a recompute keeps the override
    assert stock(world.w1, world.a)["safety"] == 10
    assert db.session.scalar(select(StockLevel.reorder_point).where(StockLevel.warehouse_id == world.w1.id,
                                                                     StockLevel.sku_id == world.a.id)) == 30

    safety.override(figure, None, None, "", "user:yunying")
    assert stock(world.w1, world.a)["safety"] == computed[0]


@pytest.mark.parametrize(("safety_units", "reorder_point", "reason"), [(5, None, " "), (-1, None, "x"), (None, -1, "x")])
def test_an_override_without_a_reason_or_below_zero_is_refused(world, safety_units, reorder_point, reason):
    receive(world.w1, world.a, 10)
    figure = safety.figure_for(world.w1.id, world.a.id)
    with pytest.raises(ValidationError):
        safety.override(figure, safety_units, reorder_point, reason, ACTOR)
    assert stock(world.w1, world.a)["safety"] == 0


# --- purchase reminders ------------------------------------------------------------------------------


def reminders(world, warehouse=None) -> list[PurchaseReminder]:
    warehouse = warehouse or world.w1
    return list(db.session.scalars(select(PurchaseReminder).where(
        PurchaseReminder.warehouse_id == warehouse.id, PurchaseReminder.sku_id == world.a.id)
        .order_by(PurchaseReminder.id)))


def open_reminders(world) -> int:
    return db.session.scalar(select(func.count()).select_from(PurchaseReminder).where(
        PurchaseReminder.sku_id == world.a.id, PurchaseReminder.recovered_at.is_(None)))


@pytest.fixture
def watched(world):
    """A: 10 on hand in W1, reorder point 5 (set by hand)."""
    receive(world.w1, world.a, 10)
    safety.override(safety.figure_for(world.w1.id, world.a.id), None, 5, "新品观察", ACTOR)
    return world


def test_falling_under_the_reorder_point_raises_one_reminder_not_one_per_sale(watched):
    place(watched.channel, line(watched.a, 3))
    assert reminders(watched) == []  # position 7 ≥ 5
    paid = pay(place(watched.channel, line(watched.a, 3)))  # position 4 < 5
    [reminder] = reminders(watched)
    assert (reminder.position_at_raise, reminder.reorder_point, reminder.suggested_quantity) == (4, 5, 6)
    assert reminder.status == "open"
    place(watched.channel, line(watched.a, 2))
    ship(paid, watched)
    place(watched.channel, line(watched.a, 1))
    assert len(reminders(watched)) == 1


def test_the_reminder_closes_when_stock_recovers_and_a_new_fall_raises_a_new_one(watched):
    place(watched.channel, line(watched.a, 6))
    receive(watched.w1, watched.a, 10)  # position 14
    [recovered] = reminders(watched)
    assert recovered.status == "recovered"
    place(watched.channel, line(watched.a, 10))  # position 4 again
    assert [r.status for r in reminders(watched)] == ["recovered", "open"]


def test_the_reminder_closes_when_cancelled_orders_give_the_stock_back(watched):
    order = place(watched.channel, line(watched.a, 6))
    assert open_reminders(watched) == 1
    services.cancel(order, "买家取消", ACTOR)  # position back to 10
    assert [r.status for r in reminders(watched)] == ["recovered"]


def test_a_dismissed_reminder_does_not_come_back_until_stock_recovers(watched):
    place(watched.channel, line(watched.a, 6))
    [reminder] = reminders(watched)
    reorder.dismiss(reminder, "user:caigou")
    assert (reminder.status, reminder.dismissed_by) == ("dismissed", "user:caigou")
    place(watched.channel, line(watched.a, 1))
    place(watched.channel, line(watched.a, 1))
    assert len(reminders(watched)) == 1
    receive(watched.w1, watched.a, 20)  # position 22
    assert reminders(watched)[0].status == "recovered"
    place(watched.channel, line(watched.a, 20))
    assert [r.status for r in reminders(watched)] == ["recovered", "open"]


def test_a_recompute_that_raises_the_reorder_point_above_the_stock_raises_one_reminder(world):
    world.a.lead_time_days = 4
    receive(world.w1, world.a, 10)
    today = utcnow().astimezone(SHANGHAI).date()
    for days_ago, units in [(1, 3), (2, 5), (3, 3), (4, 5)]:
        shipped_on(world.w1, world.a, today - timedelta(days=days_ago), units)
    safety.recompute_all(utcnow(), days=4)  # reorder point 20 > position 10
    safety.recompute_all(utcnow(), days=4)
    assert [(r.reorder_point, r.status) for r in reminders(world)] == [(20, "open")]
