"""An order's newest timeline entries: exactly the tail of the whole timeline, read without the rest."""

from datetime import timedelta

from app.domain.notifications.models import Message
from app.domain.orders import queries
from app.domain.orders.models import OrderEvent
from app.extensions import db
from tests.domain.stock_world import line, pay, place, receive, ship


def test_the_newest_entries_are_the_whole_timeline_s_tail_with_the_rest_counted(world):
    receive(world.w1, world.a, 5)
    receive(world.w1, world.b, 5)
    order = ship(pay(place(world.channel, line(world.a, 2), line(world.b, 1))), world)
    created = next(event for event in order.events if event.action == "create")
    # Notes at the same instant as a transition (events before movements at equal times), one stamped
    # before the order's creation (creation still comes first), and messages between them.
    for minutes in (0, 0, -5, 3, 3, 90):
        db.session.add(OrderEvent(order_id=order.id, actor="user:kefu", action="note", reason=f"备注 {minutes}",
                                  at=created.at + timedelta(minutes=minutes)))
    for minutes in (1, 3, 200):
        db.session.add(Message(order_id=order.id, event_key=f"test-{minutes}", channel="sms", recipient="13800138000",
                               template="shipped", created_at=created.at + timedelta(minutes=minutes)))
    db.session.flush()

    whole = queries.timeline(order)

    assert whole[0].event is not None and whole[0].event.action == "create"
    assert len(whole) > 15
    size = len(whole)
    for count in range(1, size + 3):
        entries, older = queries.newest_timeline(order, count)
        assert entries == whole[-count:], count
        assert older == max(0, size - count), count
        for skip in range(1, size + 2):  # the next older ones, as "show more" asks for them
            entries, older = queries.newest_timeline(order, count, skip)
            assert entries == whole[max(0, size - skip - count):max(0, size - skip)], (count, skip)
            assert older == max(0, size - skip - count), (count, skip)
