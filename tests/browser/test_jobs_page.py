"""后台任务 in Chromium, in Chinese and in English: an administrator sees whether the scheduler and the
workers are alive (their last heartbeats, a worker's queues) and the queues' sizes."""

import time

import pytest
from rq import Worker
from rq.serializers import JSONSerializer

from app.extensions import db
from app.jobs import QUEUE_NAMES, all_queues, cron_scheduler_registry
from app.redis_conn import get_redis
from tests import factories
from tests.browser.conftest import signed_in_staff

WORDS = {
    "中文": {"title": "后台任务", "beats": "进程心跳", "no_scheduler": "未运行（没有心跳）", "ago": "秒前"},
    "English": {"title": "Background jobs", "beats": "Process heartbeats", "no_scheduler": "Not running (no heartbeat)",
                "ago": "s ago"},
}


@pytest.fixture
def admin(app, created, unique):
    with app.app_context():
        user = factories.UserFactory(username=f"admin-{unique}", role="admin")
        db.session.commit()
        created.add("users", user.id)
        return user.username


@pytest.fixture
def heartbeats(app, unique):
    """A worker that registered (as `flask worker` does) and a scheduler's beat, removed afterwards."""
    with app.app_context():
        worker = Worker(all_queues(), connection=get_redis(), name=f"worker-{unique}", serializer=JSONSerializer)
        scheduler_key = cron_scheduler_registry.get_registry_key()
        yield worker, scheduler_key
        worker.register_death()
        get_redis().zrem(scheduler_key, f"scheduler-{unique}")


@pytest.mark.parametrize("language", WORDS)
def test_an_administrator_sees_the_scheduler_and_workers_alive_or_not(browser, live_server, app, admin, heartbeats,
                                                                      unique, language, screenshot):
    words = WORDS[language]
    worker, scheduler_key = heartbeats
    context, page = signed_in_staff(browser, live_server, admin)
    try:
        page.click(f".language-switch button:text-is('{language}')")
        page.goto(f"{live_server}/staff/jobs")
        assert page.locator("h1").inner_text() == words["title"]
        assert words["beats"] in page.locator("#jobs-panel").inner_text()
        if not get_redis_beats(app, scheduler_key):
            assert words["no_scheduler"] in page.locator("#scheduler-beat").inner_text()

        with app.app_context():
            worker.register_birth()
            worker.heartbeat()
            get_redis().zadd(scheduler_key, {f"scheduler-{unique}": time.time() + 60})  # the newest beat
        page.reload()

        assert f"scheduler-{unique}" in page.locator("#scheduler-beat").inner_text()
        row = page.locator("#worker-beats tr", has_text=f"worker-{unique}")
        assert words["ago"] in row.inner_text() and all(name in row.inner_text() for name in QUEUE_NAMES)
        screenshot(page, f"jobs-{'zh' if language == '中文' else 'en'}")
    finally:
        context.close()


def get_redis_beats(app, key: str) -> int:
    with app.app_context():
        return get_redis().zcard(key)
