"""The order state machine (DESIGN §4): every allowed move, every refused one, repeats and stale events.

The first half checks the table itself (pure, exhaustive over state × action); the second half drives
real orders through the services, where a move must also leave exactly one order event and a refused
or repeated one must leave nothing at all.
"""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import InvalidTransition
from app.domain.orders import refunds, services
from app.domain.orders.states import (
    ALREADY_DONE,
    PREVIOUS,
    REOPENINGS,
    STATUS_LABELS,
    TRANSITIONS,
    Action,
    OrderStatus,
    allowed_actions,
    next_status,
)
from tests.domain.stock_world import ACTOR, events, line, movement_kinds, place, receive, stock, walk_to

S, A = OrderStatus, Action
ALL_PAIRS = list(itertools.product(OrderStatus, Action))
MOVES = TRANSITIONS | REOPENINGS
REFUSED = [(s, a) for s, a in ALL_PAIRS if (s, a) not in MOVES and s not in ALREADY_DONE[a]]
REPEATED = [(s, a) for s, a in ALL_PAIRS if (s, a) not in MOVES and s in ALREADY_DONE[a]]

# The forward path and the action that reaches each step of it.
MAIN_PATH = [S.PENDING_PAYMENT, S.PAID, S.APPROVED, S.PACKING, S.SHIPPED_OUT, S.IN_TRANSIT, S.SIGNED, S.COMPLETED]
REACHES = {A.PAY: S.PAID, A.APPROVE: S.APPROVED, A.PACK: S.PACKING, A.SHIP_OUT: S.SHIPPED_OUT,
           A.HAND_OVER: S.IN_TRANSIT, A.SIGN: S.SIGNED, A.COMPLETE: S.COMPLETED}


# --- the table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "action"), list(TRANSITIONS), ids=lambda v: str(v))
def test_every_allowed_move_leads_where_the_table_says(status, action):
    target = TRANSITIONS[(status, action)]
    if target == PREVIOUS:
        assert next_status(status, action, previous=S.PACKING) == S.PACKING
        assert next_status(status, action, previous=None) == S.PAID
    else:
        assert next_status(status, action) == target
    assert action in allowed_actions(status)


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=lambda v: str(v))
def test_an_illegal_move_is_refused_naming_the_current_state(status, action):
    with pytest.raises(InvalidTransition) as refused:
        next_status(status, action)
    assert STATUS_LABELS[status] in refused.value.message
    assert refused.value.details["status"] == status.value
    assert refused.value.details["action"] == action.value
    assert action not in allowed_actions(status)


@pytest.mark.parametrize(("status", "action"), REPEATED, ids=lambda v: str(v))
def test_an_action_whose_effect_is_already_there_is_a_no_op(status, action):
    assert next_status(status, action) is None


def test_the_table_covers_every_pair_exactly_once():
    # Each (state, action) is a move, a no-op or a refusal, never two of them: a pair listed both as a
    # move and as "already done" would make repeats ambiguous.
    assert len(MOVES) + len(REFUSED) + len(REPEATED) == len(ALL_PAIRS)
    assert not [(s, a) for (s, a) in MOVES if s in ALREADY_DONE[a]]


def test_final_states_allow_nothing():
    assert allowed_actions(S.CLOSED) == []
    assert allowed_actions(S.REFUNDED) == []


def test_only_a_platform_reported_payment_reopens_a_closed_order_and_no_one_is_offered_it():
    assert next_status(S.CLOSED, A.REOPEN_PAID) == S.PAID
    assert next_status(S.PAID, A.REOPEN_PAID) is None
    assert all(action not in allowed_actions(status) for status, action in REOPENINGS)


@pytest.mark.parametrize("action", list(REACHES), ids=str)
def test_a_stale_forward_event_never_moves_an_order_backwards(action):
    reached = MAIN_PATH.index(REACHES[action])
    for status in MAIN_PATH[reached:]:
        assert next_status(status, action) is None, (status, action)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(Action)), max_size=25))
def test_no_sequence_of_events_moves_an_order_back_along_its_path(actions):
    """Whatever arrives, in whatever order: the furthest point reached on the forward path only grows,
    and an exception returns exactly to where the order was."""
    status, before_exception, furthest = S.PENDING_PAYMENT, None, 0
    for action in actions:
        try:
            target = next_status(status, action, previous=before_exception)
        except InvalidTransition:
            continue
        if target is None:
            continue
        if target == S.EXCEPTION:
            before_exception = status
        elif status == S.EXCEPTION and action == A.RESOLVE_EXCEPTION:
            assert target == before_exception
        status = target
        if status in MAIN_PATH:
            assert MAIN_PATH.index(status) >= furthest
            furthest = max(furthest, MAIN_PATH.index(status))


# --- through the services ----------------------------------------------------------------------------


def _service_call(action: Action, world):
    calls = {
        A.PAY: lambda o: services.pay(o, o.payable_fen, ACTOR),
        A.REOPEN_PAID: lambda o: services.reopen_paid(o, o.payable_fen, ACTOR),
        A.CANCEL: lambda o: services.cancel(o, "不想要了", ACTOR),
        A.CLOSE_UNPAID: services.close_unpaid,
        A.APPROVE: lambda o: services.approve(o, ACTOR),
        A.REJECT: lambda o: services.reject(o, "地址可疑", ACTOR),
        A.PACK: lambda o: services.pack(o, ACTOR),
        A.SHIP_OUT: lambda o: services.ship_out(o, world.carrier, "SF2000000001", ACTOR),
        A.HAND_OVER: lambda o: services.hand_over(o, "carrier:sf"),
        A.SIGN: lambda o: services.sign(o, "carrier:sf"),
        A.COMPLETE: lambda o: services.complete(o, ACTOR),
        A.REQUEST_AFTER_SALES: lambda o: services.request_after_sales(o, "少件", ACTOR),
        A.CLOSE_AFTER_SALES: lambda o: services.close_after_sales(o, "已补发", ACTOR),
        A.REFUND: lambda o: refunds.refund(o, o.paid_fen - o.refunded_fen, None, True, "退款", ACTOR),
        A.MARK_EXCEPTION: lambda o: services.mark_exception(o, "地址不全", ACTOR),
        A.RESOLVE_EXCEPTION: lambda o: services.resolve_exception(o, "已联系买家", ACTOR),
    }
    return calls[action]


def _order_in(status, world):
    receive_enough(world)
    return walk_to(place(world.channel, line(world.a, 2), line(world.k, 1)), status, world)


def receive_enough(world):
    for sku in (world.a, world.b):
        receive(world.w1, sku, 10)


@pytest.mark.parametrize(("status", "action"), list(TRANSITIONS), ids=lambda v: str(v))
def test_every_allowed_move_through_the_services_appends_one_event(world, status, action):
    order = _order_in(status, world)
    before = events(order)
    _service_call(action, world)(order)
    expected = TRANSITIONS[(status, action)]
    if expected == PREVIOUS:
        expected = S.PAID  # _order_in parks exceptions from 已支付
    assert order.status == expected
    assert events(order) == [*before, (action.value, status.value, expected.value)]


def _footprint(order, world):
    return (order.status, events(order), movement_kinds(order), stock(world.w1, world.a), stock(world.w1, world.b))


@pytest.mark.parametrize("status", list(OrderStatus), ids=str)
def test_illegal_repeated_and_stale_actions_through_the_services_change_nothing(world, status):
    """From each state, every action the table refuses raises InvalidTransition naming the state, and
    every action whose effect is already there returns quietly; neither leaves an event or a movement."""
    order = _order_in(status, world)
    before = _footprint(order, world)
    for refused_status, action in REFUSED:
        if refused_status == status:
            with pytest.raises(InvalidTransition) as refused:
                _service_call(action, world)(order)
            assert STATUS_LABELS[status] in refused.value.message, action
            assert _footprint(order, world) == before, action
    for repeated_status, action in REPEATED:
        if repeated_status == status:
            _service_call(action, world)(order)
            assert _footprint(order, world) == before, action


def test_the_same_payment_twice_locks_the_stock_once(world):
    receive_enough(world)
    order = place(world.channel, line(world.a, 3))
    services.pay(order, order.payable_fen, "channel:tb")
    services.pay(order, order.payable_fen, "channel:tb")
    assert stock(world.w1, world.a) == {"on_hand": 10, "reserved": 0, "locked": 3, "damaged": 0, "safety": 0}
    assert [e[0] for e in events(order)] == ["create", "pay"]
    assert movement_kinds(order) == ["reserve", "lock"]


def test_a_late_paid_message_after_shipping_does_not_move_the_order_back(world):
    receive_enough(world)
    order = walk_to(place(world.channel, line(world.a, 1)), S.IN_TRANSIT, world)
    for late in (A.PAY, A.APPROVE, A.PACK, A.SHIP_OUT):
        _service_call(late, world)(order)
        assert order.status == S.IN_TRANSIT
    assert movement_kinds(order) == ["reserve", "lock", "ship"]


def test_an_exception_remembers_and_returns_to_the_state_it_came_from(world):
    receive_enough(world)
    order = walk_to(place(world.channel, line(world.a, 1)), S.PACKING, world)
    services.mark_exception(order, "缺货待确认", ACTOR)
    assert (order.status, order.status_before_exception) == (S.EXCEPTION, S.PACKING)
    services.resolve_exception(order, "已确认", ACTOR)
    assert (order.status, order.status_before_exception) == (S.PACKING, None)
    assert events(order)[-2:] == [("mark_exception", "04", "E1"), ("resolve_exception", "E1", "04")]


def test_a_rejected_order_keeps_its_locked_stock_until_refunded(world):
    receive_enough(world)
    order = walk_to(place(world.channel, line(world.a, 2)), S.APPROVED, world)
    services.reject(order, "疑似刷单", ACTOR)
    assert (order.status, order.status_before_exception) == (S.EXCEPTION, S.APPROVED)
    assert stock(world.w1, world.a)["locked"] == 2
    refunds.refund(order, order.paid_fen, None, False, "驳回退款", ACTOR)
    assert order.status == S.REFUNDED
    assert stock(world.w1, world.a)["locked"] == 0
