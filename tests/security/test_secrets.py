"""Hardening item 9: shop credentials encrypted at rest, rotatable keys, and the migration that
encrypts rows written before."""

import flask_migrate
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, text

from app.config import Config, ConfigError
from app.domain.channels.models import ChannelCredentials
from app.extensions import db
from app.secret_box import SecretUnreadable, configured_keys, development_key
from tests import factories

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def store_credentials(app) -> int:
    with app.app_context():
        channel = factories.ChannelFactory(code="tb-main", platform="taobao")
        db.session.add(ChannelCredentials(channel=channel, app_key="12345678", app_secret="app-secret-9f3a",
                                          access_token="session-token-77aa", refresh_token="", push_secret=""))
        db.session.commit()
        return channel.id


def stored_row(app, channel_id: int):
    with app.app_context():
        return db.session.execute(text(
            "SELECT app_key, app_secret, access_token, refresh_token FROM channel_credentials"
            " WHERE channel_id = :id"), {"id": channel_id}).one()


def read_back(app, channel_id: int) -> ChannelCredentials:
    with app.app_context():
        row = db.session.scalar(select(ChannelCredentials).where(ChannelCredentials.channel_id == channel_id))
        db.session.expunge(row)
        return row


def test_secrets_are_stored_encrypted_and_read_back_as_text(app):
    channel_id = store_credentials(app)

    app_key, app_secret, access_token, refresh_token = stored_row(app, channel_id)

    assert app_key == "12345678"  # the app key is public: it names the app on every call
    assert "9f3a" not in app_secret and app_secret.startswith("gAAAA")
    assert "77aa" not in access_token
    assert refresh_token == ""  # not configured is no secret
    row = read_back(app, channel_id)
    assert (row.app_secret, row.access_token) == ("app-secret-9f3a", "session-token-77aa")


def test_keys_rotate_with_the_command(app, monkeypatch):
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", (OLD_KEY,))
    channel_id = store_credentials(app)
    before = stored_row(app, channel_id)
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", (NEW_KEY, OLD_KEY))

    result = app.test_cli_runner().invoke(args=["rotate-secrets"])

    assert result.exit_code == 0, result.output
    assert stored_row(app, channel_id).app_secret != before.app_secret
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", (NEW_KEY,))  # the old key retired
    assert read_back(app, channel_id).app_secret == "app-secret-9f3a"


def test_a_value_no_configured_key_opens_is_a_clear_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", (OLD_KEY,))
    channel_id = store_credentials(app)
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", (NEW_KEY,))

    with pytest.raises(SecretUnreadable, match="CREDENTIAL_KEYS"):
        read_back(app, channel_id)


def test_the_development_key_is_derived_from_but_not_equal_to_the_secret_key():
    settings = Config.from_environment({})
    key = configured_keys(settings)[0]

    assert key == development_key(settings["SECRET_KEY"]) != development_key("another secret")
    assert settings["SECRET_KEY"] not in key
    Fernet(key)  # a valid key


def test_production_needs_valid_credential_keys():
    environ = {"ORDERHUB_ENV": "production", "SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://db/x",
               "REDIS_URL": "redis://r/1"}
    with pytest.raises(ConfigError, match="CREDENTIAL_KEYS"):
        Config.from_environment(environ)
    with pytest.raises(ConfigError, match="Fernet"):
        Config.from_environment(environ | {"CREDENTIAL_KEYS": "not-a-key"})
    settings = Config.from_environment(environ | {"CREDENTIAL_KEYS": f"{NEW_KEY}, {OLD_KEY}"})
    assert settings["CREDENTIAL_KEYS"] == (NEW_KEY, OLD_KEY)


def test_the_migration_encrypts_rows_written_in_plain_text(make_app, tmp_path, app):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    fresh = make_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                      "REDIS_URL": app.config["REDIS_URL"]})
    engine = create_engine(url)
    try:
        with fresh.app_context():
            flask_migrate.upgrade(revision="fcfb220df65b")
            with engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO channels (id, code, platform, shop_name, unpaid_timeout_minutes, active,"
                    " created_at, updated_at) VALUES (1, 'tb', 'taobao', '店', 30, 1, '2026-01-01', '2026-01-01')"))
                connection.execute(text(
                    "INSERT INTO channel_credentials (channel_id, app_key, app_secret, access_token, refresh_token,"
                    " push_secret, updated_by, created_at, updated_at) VALUES (1, 'k', 'plain-secret', 'plain-token',"
                    " '', '', 'x', '2026-01-01', '2026-01-01')"))
            flask_migrate.upgrade()
            with engine.connect() as connection:
                secret, token = connection.execute(text(
                    "SELECT app_secret, access_token FROM channel_credentials")).one()
            assert "plain" not in secret and "plain" not in token
            flask_migrate.downgrade(revision="fcfb220df65b")
            with engine.connect() as connection:
                assert connection.execute(text("SELECT app_secret FROM channel_credentials")).scalar() == "plain-secret"
    finally:
        engine.dispose()
