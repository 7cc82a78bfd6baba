"""Auto-review (自动审单): an ordinary paid order is approved by the rules; one a rule stops stays paid
with the rules named (verdict row and timeline); rules switch off, the limit moves, the blacklist bites."""

from datetime import timedelta

import pytest

from app.db import utcnow
from app.domain.errors import Conflict, ValidationError
from app.domain.orders import services
from app.domain.orders.states import OrderStatus
from app.domain.workbench import review
from app.extensions import db
from tests.portal import orders

ALL = set(review.RULES)


@pytest.fixture
def shop():
    review.save_setting(True, ALL, 100000, "user:yunying")
    return orders.open_shop()


def paid(shop, **changes):
    order = services.get_order(orders.place_order(shop, "paid").order_no)
    for name, value in changes.items():
        setattr(order, name, value)
    db.session.flush()
    return order


def test_an_ordinary_paid_order_is_approved_by_the_rules(shop):
    order = paid(shop)
    verdict = review.review_order(order)
    assert verdict.approved and verdict.failed_rules == []
    assert order.status == OrderStatus.APPROVED
    assert order.events[-1].actor == review.ACTOR and order.events[-1].details == {"auto_review": True}
    assert review.review_order(order) is None  # judged once


def test_an_order_a_rule_stops_waits_for_review_with_the_rules_named(shop):
    order = paid(shop, remark="请周六送货", payable_fen=100001)
    verdict = review.review_order(order)
    assert not verdict.approved and verdict.failed_rules == [review.NO_REMARK, review.AMOUNT]
    assert order.status == OrderStatus.PAID
    event = order.events[-1]
    assert event.action == review.EVENT and event.details == {"review_rules": ["no_remark", "amount"]}
    assert review.stopped_rules([order.id]) == {order.id: ["no_remark", "amount"]}


def test_a_rule_switched_off_stops_nothing_and_the_limit_is_editable(shop):
    review.save_setting(True, ALL - {review.NO_REMARK}, 200000, "user:yunying")
    order = paid(shop, remark="请周六送货", payable_fen=150000)
    assert review.review_order(order).approved


def test_auto_review_switched_off_leaves_paid_orders_to_people(shop):
    review.save_setting(False, ALL, 100000, "user:yunying")
    order = paid(shop)
    assert review.review_order(order) is None and order.status == OrderStatus.PAID


def test_an_unknown_address_stops_the_order(shop):
    order = paid(shop, receiver_province="火星", receiver_city="奥林帕斯", receiver_district="")
    assert review.review_order(order).failed_rules == [review.ADDRESS]


def test_a_blacklisted_receiver_is_left_to_a_person(shop):
    review.add_to_blacklist("138 0013 8000", "张晓雯", "多次拒收", "user:yunying")
    order = paid(shop)
    assert review.review_order(order).failed_rules == [review.NOT_BLACKLISTED]
    with pytest.raises(Conflict):
        review.add_to_blacklist("13800138000", "", "", "user:yunying")
    with pytest.raises(ValidationError) as error:
        review.add_to_blacklist("12345", "", "", "user:yunying")
    assert "phone" in error.value.fields


def test_settings_refuse_an_unknown_rule_or_a_limit_of_nothing():
    with pytest.raises(ValidationError):
        review.save_setting(True, {"gut_feeling"}, 100000, "user:yunying")
    with pytest.raises(ValidationError):
        review.save_setting(True, ALL, 0, "user:yunying")


def test_the_share_approved_by_the_rules(shop):
    since = utcnow() - timedelta(minutes=1)
    review.review_order(paid(shop))
    review.review_order(paid(shop, remark="加急"))
    share = review.auto_approved_share(since)
    assert (share.reviewed, share.approved, share.percent) == (2, 1, 50)
    assert review.auto_approved_share(utcnow() + timedelta(minutes=1)).percent is None


@pytest.mark.parametrize(("phone", "name", "stopped"), [
    ("138****8000", "张**", True),  # the digits and the surname the platform shows agree
    ("138****8000", "*晓雯", True),
    ("138****8000", "李**", False),  # same digits, someone else
    ("139****8000", "张**", False),  # the shown prefix differs
    ("*******8000", "张**", True),  # only the last four shown
    ("138****8001", "张**", False),
])
def test_a_masked_platform_receiver_is_matched_by_the_digits_and_name_shown(shop, phone, name, stopped):
    review.add_to_blacklist("13800138000", "张晓雯", "多次拒收", "user:yunying")
    order = paid(shop, receiver_phone=phone, receiver_name=name)
    assert (review.NOT_BLACKLISTED in review.review_order(order).failed_rules) is stopped


def test_a_masked_phone_matches_an_entry_without_a_name_by_its_digits(shop):
    review.add_to_blacklist("13800138000", "", "拒收", "user:yunying")
    order = paid(shop, receiver_phone="138****8000", receiver_name="王**")
    assert review.review_order(order).failed_rules == [review.NOT_BLACKLISTED]
