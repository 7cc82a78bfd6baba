"""Item 5 of the hardening issue: security headers on every response."""

import re
from pathlib import Path

import pytest

from app.config import Config

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_login_page_carries_the_policy(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_staff_pages_with_personal_data_are_not_stored(client, login_as):
    login_as("admin")
    response = client.get("/staff/orders")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_api_and_error_answers_carry_the_headers(client):
    response = client.get("/api/v1/orders")
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/no-such-page").headers["X-Frame-Options"] == "DENY"


def test_static_assets_may_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_portal_keeps_its_stricter_referrer_policy(client):
    response = client.get("/portal/")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_production_adds_hsts(make_app, tmp_path, monkeypatch):
    monkeypatch.setattr(Config, "from_environment", classmethod(lambda cls, environ=None: _production_settings(tmp_path)))
    app = make_app({"TESTING": True})
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def _production_settings(tmp_path) -> dict:
    settings = {key: getattr(Config, key) for key in dir(Config) if key.isupper()}
    settings.update(ORDERHUB_ENV="production", INSTANCE_PATH=str(tmp_path), SECRET_KEY="x" * 40)
    return settings


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: path.name)
def test_templates_need_no_inline_script_or_style(template):
    """The CSP forbids inline code: a template that adds some would silently break in the browser."""
    html = template.read_text()
    # JSON data (the chart options) is not code: the browser never runs it, and the CSP does not block it.
    assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))", html), "inline <script>"
    assert not re.search(r"\sstyle=|<style|\shx-on|\son[a-z]+=|javascript:", html), "inline style or handler"
