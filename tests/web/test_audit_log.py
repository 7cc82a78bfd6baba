"""Hardening item 11: the audit log records who saw full personal data and who changed credentials,
roles and API tokens; it is append-only and only admins read it."""

import pytest
from sqlalchemy import select

from app.auth.api_tokens import ApiToken
from app.domain.audit import services
from app.domain.audit.models import AuditAction, AuditEntry
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.extensions import db
from tests import factories


def entries(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(entry.actor, entry.action, entry.subject)
                for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_opening_an_order_records_who_saw_its_personal_data(app, client, login_as, make_order):
    order_no = make_order("02")
    login_as("customer_service", "kefu-1")

    assert client.get(f"/staff/orders/{order_no}").status_code == 200

    assert entries(app) == [("user:kefu-1", AuditAction.VIEW_PERSONAL_DATA, f"order:{order_no}")]


def test_creating_a_user_records_the_role_given(app, client, login_as):
    login_as("admin", "boss")

    client.post("/staff/users", data={"username": "newbie", "role": "warehouse", "password": "long-enough-pw"})

    with app.app_context():
        entry = db.session.scalar(select(AuditEntry))
    assert (entry.actor, entry.action, entry.subject, entry.detail) == (
        "user:boss", AuditAction.CREATE_USER, "user:newbie", "role=warehouse")
    assert entry.source == "127.0.0.1"


def test_api_tokens_created_and_revoked_are_recorded(app, client, login_as):
    with app.app_context():
        channel_id = factories.ChannelFactory(code="pos-1", platform="pos").id
        db.session.commit()
    login_as("admin", "boss")

    created = client.post("/staff/api-tokens", data={"channel_id": channel_id, "name": "POS", "scopes": ["orders"]})
    assert created.status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client.post(f"/staff/api-tokens/{token_id}/revoke")

    assert [action for _actor, action, _subject in entries(app)] == [
        AuditAction.CREATE_API_TOKEN, AuditAction.REVOKE_API_TOKEN]


def test_saving_shop_credentials_is_recorded_without_the_secrets(app):
    with app.app_context():
        channel = factories.ChannelFactory(code="tb-1", platform="taobao")
        save_credentials(channel, CredentialsData("12345678", "very-secret-value"), "user:boss")
        db.session.commit()
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.action, entry.subject) == (AuditAction.CHANGE_CREDENTIALS, "channel:tb-1")
        assert "app_secret" in entry.detail and "very-secret" not in entry.detail


def test_entries_cannot_be_changed_or_deleted(app):
    with app.app_context():
        entry = services.record("user:x", AuditAction.CHANGE_PASSWORD, "user:y")
        db.session.commit()
        entry.subject = "user:z"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEntry, entry.id))
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()


def test_only_admins_read_the_log_filtered_by_person(app, client, login_as, make_order):
    order_no = make_order("02")
    login_as("customer_service", "kefu-2")
    client.get(f"/staff/orders/{order_no}")
    assert client.get("/staff/audit").status_code == 403
    client.post("/logout")
    login_as("admin", "boss")

    page = client.get("/staff/audit?actor=user:kefu-2")
    other = client.get("/staff/audit?actor=user:nobody")

    assert page.status_code == 200 and f"order:{order_no}" in page.text and "查看完整个人信息" in page.text
    assert f"order:{order_no}" not in other.text
