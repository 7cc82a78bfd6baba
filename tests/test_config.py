"""Settings: nothing needed for development, everything named for production."""

from pathlib import Path

import pytest

from app.config import (
    REQUIRED_IN_PRODUCTION,
    SIMULATOR_PORT_OFFSETS,
    Config,
    ConfigError,
    normalise_database_url,
)
from app.redis_conn import get_redis

PRODUCTION = {
    "ORDERHUB_ENV": "production",
    "SECRET_KEY": "a-real-secret-of-at-least-32-bytes",
    "DATABASE_URL": "postgresql://orderhub:pw@db.internal:5432/orderhub",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "CREDENTIAL_KEYS": "8T8pV3oDpN9cZ3Hc1Tj0yq6k1Yc2pZ3qM5xW8vB0aE4=",
}


def test_development_needs_no_environment_at_all():
    settings = Config.from_environment({})

    assert settings["ORDERHUB_ENV"] == "development"
    assert settings["SQLALCHEMY_DATABASE_URI"] is None  # the factory puts a SQLite file under instance/
    assert settings["REDIS_URL"] is None  # the factory starts the embedded Redis
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_app_without_environment_uses_sqlite_and_embedded_redis_in_the_instance_folder(make_app, monkeypatch,
                                                                                      tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ORDERHUB_ENV", "ORDERHUB_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)

    app = make_app({"INSTANCE_PATH": str(tmp_path)})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'orderhub.sqlite3'}"
    assert app.config["REDIS_URL"].startswith("unix://")
    assert Path(app.config["REDIS_URL"].removeprefix("unix://")).exists()
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis+unix://")
    with app.app_context():
        assert get_redis().ping()


def test_embedded_redis_is_shared_by_apps_on_the_same_instance_folder(make_app, monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)

    first = make_app({"INSTANCE_PATH": str(tmp_path)})
    second = make_app({"INSTANCE_PATH": str(tmp_path)})

    assert first.config["REDIS_URL"] == second.config["REDIS_URL"]


@pytest.mark.parametrize(("given", "used"), [
    ("postgresql://u:p@h:5432/orderhub", "postgresql+psycopg://u:p@h:5432/orderhub"),
    ("postgres://u:p@h/orderhub", "postgresql+psycopg://u:p@h/orderhub"),
    ("postgresql+psycopg://u@h/orderhub", "postgresql+psycopg://u@h/orderhub"),
    ("sqlite:////var/lib/orderhub.sqlite3", "sqlite:////var/lib/orderhub.sqlite3"),
])
def test_database_url_is_normalised_to_psycopg(given, used):
    assert normalise_database_url(given) == used
    assert Config.from_environment({"DATABASE_URL": given})["SQLALCHEMY_DATABASE_URI"] == used


def test_environment_values_take_precedence_over_defaults():
    settings = Config.from_environment({
        "SECRET_KEY": "from-env", "REDIS_URL": "redis://127.0.0.1:6379/3", "ORDERHUB_INSTANCE_PATH": "/srv/oh",
    })

    assert settings["SECRET_KEY"] == "from-env"
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/3"
    assert settings["INSTANCE_PATH"] == "/srv/oh"


def test_production_with_everything_named_starts_with_secure_cookies():
    settings = Config.from_environment(PRODUCTION)

    assert settings["ORDERHUB_ENV"] == "production"
    assert settings["SECRET_KEY"] == "a-real-secret-of-at-least-32-bytes"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://orderhub:pw@db.internal:5432/orderhub"
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_production_with_nothing_named_lists_everything_missing():
    with pytest.raises(ConfigError) as excinfo:
        Config.from_environment({"ORDERHUB_ENV": "production"})

    for name in REQUIRED_IN_PRODUCTION:
        assert name in str(excinfo.value)


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_names_exactly_the_setting_that_is_missing(missing):
    environ = {name: value for name, value in PRODUCTION.items() if name != missing}

    with pytest.raises(ConfigError) as excinfo:
        Config.from_environment(environ)

    message = str(excinfo.value)
    assert missing in message
    assert all(name not in message for name in REQUIRED_IN_PRODUCTION if name != missing)


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_treats_an_empty_value_as_missing(missing):
    with pytest.raises(ConfigError, match=missing):
        Config.from_environment(PRODUCTION | {missing: ""})


def test_production_refusal_stops_the_factory(make_app, monkeypatch):
    monkeypatch.setenv("ORDERHUB_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        make_app()


def test_every_simulator_port_follows_port_so_two_checkouts_run_side_by_side():
    first, second = Config.from_environment({}), Config.from_environment({"PORT": "6000"})

    for name, offset in SIMULATOR_PORT_OFFSETS.items():
        assert (first[name], second[name]) == (5000 + offset, 6000 + offset), name
    assert second["MESSAGING_SIMULATOR_URL"] == "http://127.0.0.1:6101"
    assert second["SMS_ENDPOINT"] == "http://127.0.0.1:6101/sms/" and second["SMTP_PORT"] == 6125
    assert second["TAOBAO_SIMULATOR_PORT"] == 6111 and second["KUAIDI100_API_URL"] == "http://127.0.0.1:6121"
    assert second["NUONUO_ENDPOINT"] == "http://127.0.0.1:6122/open/v1/services"
    ports = [second[name] for name in SIMULATOR_PORT_OFFSETS]
    assert len(set(ports)) == len(ports) and not set(ports) & {first[name] for name in SIMULATOR_PORT_OFFSETS}


def test_a_simulator_port_set_itself_wins_over_port():
    settings = Config.from_environment({"PORT": "6000", "TAOBAO_SIMULATOR_PORT": "7111",
                                        "MESSAGING_SIMULATOR_PORT": "7101"})
    assert settings["TAOBAO_SIMULATOR_PORT"] == 7111 and settings["JD_SIMULATOR_PORT"] == 6112
    assert settings["MESSAGING_SIMULATOR_URL"] == "http://127.0.0.1:7101"


def test_a_port_that_is_not_a_number_is_refused():
    with pytest.raises(ConfigError, match="PORT must be a number"):
        Config.from_environment({"PORT": "five"})
