"""OrderHub: the application factory."""

from pathlib import Path

from flask import Flask, current_app

from app import config as config_module
from app import jobs, logging_setup, redis_conn, secret_box
from app.domain.inventory import soldout
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate
from app.web.errors import register_error_handlers

PROJECT_ROOT = config_module.PROJECT_ROOT


def create_app(overrides: dict | None = None) -> Flask:
    """Build an OrderHub app from the environment, with ``overrides`` (tests) applied last."""
    settings = config_module.Config.from_environment()
    settings.update(overrides or {})
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    logging_setup.configure_logging(app.config["LOG_LEVEL"])
    configure_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_ids(app)
    register_error_handlers(app)
    register_hardening(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure_database(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = config_module.sqlite_url(app.instance_path)


def register_extensions(app: Flask) -> None:
    from app import models, sqlite_tuning  # noqa: F401  (models: the metadata must know every table)
    from app.auth import init_login
    from app.i18n import init_babel
    from app.job_outbox import OutboxJob

    redis_conn.init_app(app)
    db.init_app(app)
    sqlite_tuning.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_login(app)
    init_babel(app, babel)
    jobs.init_app(app, db, OutboxJob)
    soldout.listen(db.session.session_factory.class_)
    secret_box.read_config_from(lambda: current_app.config)


def register_blueprints(app: Flask) -> None:
    from app.auth.views import bp as auth_bp
    from app.web import favicon
    from app.web.api import bp as api_bp
    from app.web.customer import bp as customer_bp
    from app.web.finance import bp as finance_bp
    from app.web.hooks import bp as hooks_bp
    from app.web.staff import bp as staff_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(customer_bp)
    app.register_blueprint(finance_bp)
    app.register_blueprint(hooks_bp)
    favicon.init_app(app)


def register_request_ids(app: Flask) -> None:
    from app.web.request_id import RequestIdMiddleware

    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)


def register_hardening(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app.web import health, outage, request_limits, security_headers

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    request_limits.init_app(app)
    security_headers.init_app(app)
    outage.init_app(app)
    app.register_blueprint(health.bp)


def register_template_helpers(app: Flask) -> None:
    from app.web import template_helpers

    template_helpers.init_app(app)


def register_commands(app: Flask) -> None:
    from app import cli

    cli.init_app(app)
