"""The invoice lifecycle table: every move is listed or refused with the named error, repeats are
no-ops, and no sequence of actions reaches a state outside the table."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import InvalidTransition
from app.domain.invoicing.states import (
    ALREADY_DONE,
    TRANSITIONS,
    InvoiceAction,
    InvoiceStatus,
    next_status,
)


def test_a_move_the_table_does_not_list_is_refused_naming_the_state():
    with pytest.raises(InvalidTransition) as refused:
        next_status(InvoiceStatus.WAITING, InvoiceAction.ISSUED)
    assert refused.value.details == {"status": "waiting", "action": "issued"}
    assert "等待订单完成" in refused.value.message


def test_a_late_or_repeated_platform_answer_changes_nothing():
    assert next_status(InvoiceStatus.ISSUED, InvoiceAction.ISSUED) is None
    assert next_status(InvoiceStatus.REVERSED, InvoiceAction.ISSUED) is None
    assert next_status(InvoiceStatus.FAILED, InvoiceAction.FAIL) is None
    assert next_status(InvoiceStatus.FAILED, InvoiceAction.ISSUED) == InvoiceStatus.ISSUED  # it did issue after all


def test_no_state_both_moves_and_ignores_the_same_action():
    for action, states in ALREADY_DONE.items():
        assert not [state for state in states if (state, action) in TRANSITIONS], action


BEFORE_ISSUE = {InvoiceStatus.WAITING, InvoiceStatus.PENDING_APPROVAL, InvoiceStatus.REQUESTED,
                InvoiceStatus.FAILED, InvoiceStatus.REJECTED, InvoiceStatus.CANCELLED}


@given(st.lists(st.sampled_from(list(InvoiceAction)), max_size=30))
def test_any_sequence_of_actions_follows_the_table_and_an_issued_invoice_never_goes_back(actions):
    status, issued = InvoiceStatus.WAITING, False
    for action in actions:
        try:
            target = next_status(status, action)
        except InvalidTransition:
            assert (status, action) not in TRANSITIONS
            continue
        if target is None:
            assert status in ALREADY_DONE[action]
        else:
            assert TRANSITIONS[(status, action)] == target
            status = target
        issued = issued or status == InvoiceStatus.ISSUED
        assert not (issued and status in BEFORE_ISSUE), actions
