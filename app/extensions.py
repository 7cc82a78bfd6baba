"""Unbound extension singletons; ``create_app`` binds them. Nothing here opens a connection.

``db`` lives in ``app/db.py`` (domain code imports it from there, free of the web extensions); it is
re-exported here for the web layer and the tests.
"""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from htmx_flask import Htmx

from app.db import db

__all__ = ["babel", "csrf", "db", "htmx", "limiter", "login_manager", "migrate"]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
babel = Babel()
limiter = Limiter(get_remote_address)
