"""The send job: one provider call per message, retries with backoff on transient errors, failure with
the provider's error after the last attempt, and recovery from a crash at each point of the way."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

import app.jobs
from app.db import utcnow
from app.domain.notifications import outbox
from app.domain.notifications import services as notifications
from app.domain.notifications.adapters import PermanentError, TransientError
from app.domain.notifications.models import MessageStatus
from app.domain.orders import services
from app.extensions import db
from tests.conftest import run_worker
from tests.notifications.conftest import ACTOR, later, messages, queued_sends
from workers import notifications as jobs


@pytest.fixture
def paid(shop):
    """A paid order's SMS, committed, its send job waiting in the queue."""
    order = shop.paid_order()
    db.session.commit()
    [message] = messages()
    return SimpleNamespace(id=message.id, order_no=order.order_no)  # plain values: workers close the session


def clock_at(monkeypatch, when):
    """The send job's clock (claims and leases are judged by it)."""
    monkeypatch.setattr(jobs, "utcnow", lambda: when)


def test_the_queued_job_sends_the_message_once(paid, provider):
    run_worker()

    [message] = messages()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert message.provider_id == f"fake-{paid.id}-1" and message.sent_at is not None
    assert [sent.id for sent in provider.sent] == [paid.id]
    assert provider.sent[0].params == {"order_no": paid.order_no, "amount": "59.00"}


def test_running_the_job_again_does_nothing(paid, provider):
    assert jobs.send_message(paid.id) == "sent"
    assert jobs.send_message(paid.id) == "not due"

    assert len(provider.sent) == 1


def test_two_workers_claiming_one_message_never_both_get_it(paid, provider):
    now = utcnow()
    assert outbox.claim(paid.id, now) is not None
    assert outbox.claim(paid.id, now) is None


def test_a_transient_error_schedules_a_retry_with_backoff_and_the_sweep_sends_it(paid, provider):
    provider.fail_next(TransientError("isv.BUSINESS_LIMIT_CONTROL：触发号码分钟级流控"))

    assert jobs.send_message(paid.id) == "retrying"
    [message] = messages()
    assert message.status == MessageStatus.RETRYING and message.attempts == 1
    assert message.last_error == "isv.BUSINESS_LIMIT_CONTROL：触发号码分钟级流控"
    assert timedelta(seconds=50) < message.next_attempt_at - utcnow() <= timedelta(minutes=1)

    assert outbox.release_due_retries(utcnow()) == []
    assert outbox.release_due_retries(later(1.1)) == [paid.id]
    db.session.commit()
    assert queued_sends()[-1] == paid.id
    run_worker()

    [message] = messages()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert message.last_error is None


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n) // timedelta(minutes=1) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_after_the_last_attempt_the_message_fails_with_the_providers_error(app, paid, provider, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_MAX_ATTEMPTS", 3)
    provider.fail_next(*(TransientError(f"ServiceUnavailable：第{n}次") for n in (1, 2, 3)))

    for minutes in (0, 2, 5):
        outbox.release_due_retries(later(minutes))
        db.session.commit()
        jobs.send_message(paid.id)

    [message] = messages()
    assert message.status == MessageStatus.FAILED and message.attempts == 3
    assert message.last_error == "ServiceUnavailable：第3次"
    assert message.next_attempt_at is None
    assert provider.sent == []


def test_a_permanent_error_fails_at_once(paid, provider):
    provider.fail_next(PermanentError("isv.MOBILE_NUMBER_ILLEGAL：非法手机号"))

    assert jobs.send_message(paid.id) == "failed"

    [message] = messages()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert message.last_error == "isv.MOBILE_NUMBER_ILLEGAL：非法手机号"


def test_a_channel_switched_off_skips_its_messages(app, paid, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", "off")

    assert jobs.send_message(paid.id) == "skipped"

    [message] = messages()
    assert message.status == MessageStatus.SKIPPED
    assert "SMS_PROVIDER=off" in message.last_error


def test_crash_before_commit_sends_nothing(shop, provider):
    order = shop.order()
    db.session.commit()
    services.pay(order, order.payable_fen, ACTOR)
    db.session.rollback()  # the process died before its commit

    run_worker()
    assert outbox.requeue_stuck(later(10)) == []

    assert messages() == [] and provider.sent == []


def test_crash_after_commit_before_enqueue_is_recovered_by_the_stuck_sweep(shop, provider, monkeypatch):
    order = shop.order()
    with monkeypatch.context() as crash:
        crash.setattr(app.jobs, "enqueue_now", lambda *args, **options: None)  # Redis never got the job
        services.pay(order, order.payable_fen, ACTOR)
        db.session.commit()
    assert queued_sends() == []

    assert outbox.requeue_stuck(later(1)) == []  # a job may still be on its way
    [message_id] = outbox.requeue_stuck(later(2.5))
    db.session.commit()
    run_worker()

    [message] = messages()
    assert message.id == message_id and message.status == MessageStatus.SENT
    assert len(provider.sent) == 1
    assert outbox.requeue_stuck(later(10)) == []


def lose_the_outcome(monkeypatch):
    """The worker dies after the provider took the message, before it could record that."""

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(outbox, "record_sent", killed)


def test_crash_after_the_provider_call_sends_at_most_one_recognisable_duplicate(paid, provider, monkeypatch):
    with monkeypatch.context() as crash:
        lose_the_outcome(crash)
        with pytest.raises(RuntimeError):
            jobs.send_message(paid.id)
    [message] = messages()
    assert (message.status, message.attempts) == (MessageStatus.SENDING, 1)  # the claim was committed

    assert outbox.requeue_stuck(later(3)) == []  # the lease protects a worker that may still be busy
    assert outbox.requeue_stuck(later(6)) == [paid.id]
    db.session.commit()
    clock_at(monkeypatch, later(6))
    run_worker()

    [message] = messages()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert message.outcome_unknown  # staff see that the customer may have two copies
    assert [sent.id for sent in provider.sent] == [paid.id, paid.id]  # both carry the row id


def test_a_second_lost_outcome_stops_automatic_retries(paid, provider, monkeypatch):
    with monkeypatch.context() as crash:
        lose_the_outcome(crash)
        for minutes in (0, 6):
            clock_at(crash, later(minutes))
            with pytest.raises(RuntimeError):
                jobs.send_message(paid.id)
        clock_at(crash, later(12))
        assert jobs.send_message(paid.id) == "not due"

    [message] = messages()
    assert message.status == MessageStatus.FAILED and message.attempts == 2
    assert message.last_error == outbox.GAVE_UP
    assert len(provider.sent) == 2  # the original and one duplicate, never a third


def test_a_late_outcome_from_a_dead_claim_does_not_overwrite_a_newer_one(paid, provider):
    first = outbox.claim(paid.id, utcnow())
    db.session.commit()
    second = outbox.claim(paid.id, later(6))

    assert outbox.record_sent(second, "new", later(6))
    assert not outbox.record_failure(first, "late", transient=True, now=later(7))
    [message] = messages()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "new")


def test_a_reminder_to_a_phone_that_opts_out_before_it_goes_is_skipped(shop, provider):
    order = shop.order()
    reminder = notifications.queue_message(recipient=order.buyer_phone, channel="sms", template="payment_reminder",
                                           params={"order_no": order.order_no, "close_time": "12:00"},
                                           order_id=order.id, event_key="remind_payment")
    reminder_id, phone = reminder.id, order.buyer_phone
    db.session.commit()
    notifications.opt_out_of_reminders(phone)
    db.session.commit()

    run_worker()

    [message] = messages(id=reminder_id)
    assert message.status == MessageStatus.SKIPPED and provider.sent == []


def test_a_login_code_is_forgotten_once_sent(app_context, provider):
    code_id = notifications.send_login_code("13700137000", "246810").id
    db.session.commit()

    run_worker()

    assert provider.sent[0].params == {"code": "246810"}
    [message] = messages(id=code_id)
    assert message.status == MessageStatus.SENT and message.params == {"code": "******"}


def test_a_login_code_is_kept_while_it_waits_for_a_retry(app_context, provider):
    provider.fail_next(TransientError("ServiceUnavailable"))
    code_id = notifications.send_login_code("13700137000", "246810").id
    db.session.commit()

    jobs.send_message(code_id)

    [message] = messages(id=code_id)
    assert message.status == MessageStatus.RETRYING and message.params == {"code": "246810"}
