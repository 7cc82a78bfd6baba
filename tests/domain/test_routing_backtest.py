"""Back-testing (回测) on a hand-computed history: the replay finds each order's stock as it stood when the
order came in, prices both sides on today's cards, and counts what the candidate could not route."""

from datetime import date, timedelta

import pytest

from app.db import utcnow
from app.domain.errors import ValidationError
from app.domain.routing import backtest, cards, engine, services
from app.domain.routing.models import Backtest
from tests.domain.stock_world import line, pay, place, receive, ship
from tests.domain.test_routing_services import ACTOR, card


def candidate(strategy="cheapest", **rules):
    return {"strategy": strategy, "weights": dict(engine.DEFAULT_WEIGHTS), "channel_carriers": {},
            "reserved_warehouses": {}, "restricted_regions": {}, **rules}


def today() -> date:
    return utcnow().astimezone(backtest.SHANGHAI).date()


@pytest.fixture
def history(world):
    """W1 (Shanghai, ¥8 to Shanghai, 2 days) and W2 (Guangdong, ¥5, 3 days). Nothing was routed: every
    order shipped from W1, where it was reserved at creation.

    - ``early``: 1 × A when only W1 held A — W2 received A only afterwards;
    - ``late``: 2 × A when both held A (W2 is cheaper then);
    - ``b_order``: 1 × B, held by W1 only.
    """
    w = world
    w.w2.province, w.w2.city, w.w2.latitude, w.w2.longitude = "广东省", "广州市", 23.13, 113.26
    cards.save_rows([card(w.carrier, "上海市", 800), card(w.carrier, "广东省", 500, days=3)])
    receive(w.w1, w.a, 5)
    receive(w.w1, w.b, 1)
    early = pay(place(w.channel, line(w.a)))
    receive(w.w2, w.a, 5)
    late = pay(place(w.channel, line(w.a, 2)))
    b_order = pay(place(w.channel, line(w.b)))
    for number, order in enumerate((early, late, b_order)):
        ship(order, w, f"SF10000000{number}")
    return early, late, b_order


def replay(rules: dict) -> Backtest:
    run = backtest.start(today(), today(), rules, ACTOR)
    backtest.run(run, checkpoint=lambda: None)
    return run


def test_the_replay_uses_the_stock_of_the_time_and_prices_both_sides(world, history):
    early, late, b_order = history
    run = replay(candidate())

    rows = {row["order_no"]: row for row in run.rows}
    assert (run.status, run.total, run.done) == (backtest.FINISHED, 3, 3)
    # W2 had no A yet when ``early`` came in: the replay keeps W1, at the same ¥8.
    assert (rows[early.order_no]["replay"]["sites"], rows[early.order_no]["changed"]) == (
        f"{world.w1.code}/{world.carrier.code}", False)
    # ``late`` (2 × 500 g, first weight only) would have gone from W2 for ¥5 instead of ¥8, a day slower.
    late_row = rows[late.order_no]
    assert (late_row["actual"]["cost_fen"], late_row["replay"]["cost_fen"]) == (800, 500)
    assert late_row["replay"]["eta_hours"] - late_row["actual"]["eta_hours"] == 24
    assert late_row["replay"]["distance_km"] > late_row["actual"]["distance_km"]
    summary = run.summary
    assert (summary["orders"], summary["compared"], summary["unroutable"], summary["changed"]) == (3, 3, 0, 1)
    assert (summary["actual"]["cost_fen"], summary["replay"]["cost_fen"]) == (2400, 2100)
    assert (summary["actual"]["average_cost_fen"], summary["replay"]["average_cost_fen"]) == (800, 700)
    assert summary["actual"]["split_pct"] == summary["replay"]["split_pct"] == 0
    assert summary["days"] == [{"day": today().isoformat(), "actual_fen": 2400, "replay_fen": 2100}]
    assert summary["sites"] == {"actual": {world.w1.code: 3}, "replay": {world.w1.code: 2, world.w2.code: 1}}


def test_orders_the_candidate_rules_cannot_route_are_counted_with_the_reason(world, history):
    _early, _late, b_order = history
    run = replay(candidate(restricted_regions={world.b.code: ["上海"]}))  # B is not sold to 上海市 any more

    row = next(row for row in run.rows if row["order_no"] == b_order.order_no)
    assert (row["replay"], row["reasons"], row["changed"]) == (None, [engine.RESTRICTED], True)
    assert run.rules["restricted_regions"] == {world.b.code: ["上海市"]}
    assert (run.summary["unroutable"], run.summary["compared"]) == (1, 2)
    assert (run.summary["actual"]["cost_fen"], run.summary["replay"]["cost_fen"]) == (1600, 1300)


def test_a_split_in_the_replay_counts_in_its_split_rate(world, history):
    """Reserving W2 for another platform leaves ``late`` to W1; a reserved W1 instead forces W2 — and the
    early order, whose A only W1 had, becomes unroutable."""
    run = replay(candidate(reserved_warehouses={world.w1.code: "jd"}))
    assert run.summary["unroutable"] == 2  # ``early`` (A only in W1 then) and ``b_order`` (B only in W1)
    assert run.summary["sites"]["replay"] == {world.w2.code: 1}
    reasons = {row["order_no"]: row["reasons"] for row in run.rows}
    assert reasons[history[0].order_no] == [engine.NO_STOCK, engine.RESERVED]


def test_a_period_without_shipped_orders_or_backwards_is_refused(world):
    with pytest.raises(ValidationError) as empty:
        backtest.start(today(), today(), candidate(), ACTOR)
    assert "period_from" in empty.value.fields
    with pytest.raises(ValidationError) as backwards:
        backtest.start(today(), today() - timedelta(days=1), candidate(), ACTOR)
    assert "period_to" in backwards.value.fields


def test_unknown_names_in_the_candidate_rules_are_refused(world, history):
    with pytest.raises(ValidationError) as error:
        backtest.start(today(), today(), candidate(channel_carriers={"jd": ["nope"]},
                                                   restricted_regions={world.b.code: ["火星"]}), ACTOR)
    assert set(error.value.fields) == {"channel_carriers", "restricted_regions"}
    with pytest.raises(ValidationError):
        services.save_rules({}, {"WH-NONE": "jd"}, {}, ACTOR)


def test_the_replay_uses_up_each_warehouse_s_daily_capacity(world, history):
    """A fourth order for A comes in after ``late``: the cheaper W2 would take both, but with a daily
    capacity of one order the replay gives W2 only the first of them and sends the other to W1."""
    later = pay(place(world.channel, line(world.a)))
    ship(later, world, "SF100000009")
    unlimited = replay(candidate())
    assert unlimited.summary["sites"]["replay"] == {world.w1.code: 2, world.w2.code: 2}

    world.w2.daily_capacity = 1
    limited = replay(candidate())
    rows = {row["order_no"]: row for row in limited.rows}
    assert rows[history[1].order_no]["replay"]["sites"].startswith(world.w2.code)
    assert rows[later.order_no]["replay"]["sites"].startswith(world.w1.code)
    assert limited.summary["sites"]["replay"] == {world.w1.code: 3, world.w2.code: 1}
