"""Item 4 of the hardening issue: /healthz, /readyz, and 503 instead of a bare 500 in an outage."""

import time

from rq import cron_scheduler_registry

from app.domain.orders import portal_queries
from app.extensions import db
from app.jobs import enqueue_now
from app.redis_conn import get_redis
from tests.security.outages import database_is_down, redis_is_down


def test_healthz_answers_without_backends(client, monkeypatch, app):
    redis_is_down(monkeypatch, app)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_reports_backends_queues_and_a_missing_scheduler(client, app):
    with app.app_context():
        enqueue_now("workers.orders.sweep_deadlines", queue="default")
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok" and body["database"] == {"ok": True} and body["redis"] == {"ok": True}
    assert body["scheduler"] == {"status": "absent"}  # no scheduler runs in the tests: reported, not invented
    assert body["queues"]["default"]["waiting"] == 1
    assert body["queues"]["default"]["oldest_waiting_seconds"] >= 0
    assert body["queues"]["channels"] == {"waiting": 0, "started": 0, "failed": 0, "oldest_waiting_seconds": None}


def test_readyz_reads_the_scheduler_heartbeat(client, app):
    with app.app_context():
        get_redis().zadd(cron_scheduler_registry.get_registry_key(), {"old": time.time() - 3600})
        assert client.get("/readyz").json["scheduler"]["status"] == "stale"
        get_redis().zadd(cron_scheduler_registry.get_registry_key(), {"live": time.time() - 5})
    scheduler = client.get("/readyz").json["scheduler"]
    assert scheduler["status"] == "ok" and scheduler["last_beat_seconds_ago"] < 60


def test_readyz_is_503_when_redis_is_down(client, monkeypatch, app):
    redis_is_down(monkeypatch, app)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["redis"]["ok"] is False and response.json["database"]["ok"] is True
    assert response.json["scheduler"] == {"status": "unknown"}


def test_readyz_is_503_when_the_database_is_down(client, monkeypatch):
    database_is_down(monkeypatch, db.session, "execute")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["database"]["ok"] is False


def test_login_answers_503_page_when_redis_is_down(client, monkeypatch, app):
    redis_is_down(monkeypatch, app)
    response = client.post("/login", data={"username": "someone", "password": "whatever-long"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "系统暂时不可用" in response.text


def test_api_answers_503_json_when_redis_is_down(client, monkeypatch, app):
    redis_is_down(monkeypatch, app)
    response = client.get("/api/v1/orders", headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"


def test_portal_answers_503_page_when_the_database_is_down(client, monkeypatch):
    database_is_down(monkeypatch, portal_queries, "match_order")
    response = client.post("/portal/lookup", data={"order_no": "OH20260101000001", "phone": "13800138000"})
    assert response.status_code == 503
    assert "系统暂时不可用" in response.text
