"""Production settings pass `check --deploy`, send the CSP and HSTS, and the pages carry no inline code."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories import DataAssetFactory, add_monthly_revenue
from tests.inline_code import inline_code

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "example.org",
}


def _run_with_production_env(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **PRODUCTION_ENV}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_has_no_warning_with_production_settings():
    result = _run_with_production_env("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


PRINT_SETTINGS = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.conf import settings as s
print(json.dumps({
    "csp": getattr(s, "CONTENT_SECURITY_POLICY", None),
    "csp_report_only": getattr(s, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
    "hsts": [s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS],
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "cookies_secure": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "session": [s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE],
}))
"""


def test_production_enforces_a_policy_without_inline_code_over_https_only():
    result = _run_with_production_env("-c", PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    production = json.loads(result.stdout)
    directives = production["csp"]["DIRECTIVES"]
    assert production["csp_report_only"] is None
    for directive in ("default-src", "script-src", "style-src"):
        assert directives[directive] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert production["hsts"] == [365 * 24 * 3600, True]
    assert production["ssl_redirect"] is True
    assert production["cookies_secure"] == [True, True]
    assert production["session"] == [8 * 3600, True]


@pytest.mark.django_db
def test_pages_send_the_policy(user_a):
    client = Client()
    client.force_login(user_a)
    response = client.get(reverse("home"))
    header = response.get("Content-Security-Policy") or response["Content-Security-Policy-Report-Only"]
    assert "script-src 'self'" in header
    assert "style-src 'self'" in header
    assert "unsafe-inline" not in header


@pytest.mark.django_db
def test_hsts_is_sent_over_https_in_production(settings, user_a):
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_a_session_ends_eight_hours_after_sign_in_however_busy(user_a):
    client = Client()
    client.force_login(user_a)
    start = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(start + dt.timedelta(hours=7, minutes=50)):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=8, minutes=1)):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_inline_code_finder_sees_each_kind():
    html = """<script>alert(1)</script><script src="/static/a.js"></script>
    <script type="application/json" id="d">{}</script><style>p{}</style><p style="color:red">x</p>
    <a href="javascript:alert(1)" onclick="x()">y</a>"""
    assert len(inline_code(html)) == 5


@pytest.mark.django_db
def test_the_pages_outside_the_demo_crawl_carry_no_inline_script_or_style(user_a):
    """Sign-in, lock-out, password, error and API docs pages; the role pages are crawled in tests/test_seed_demo.py."""
    asset = DataAssetFactory(originator=user_a.originator)
    add_monthly_revenue(asset, 6)
    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(user_a)
    responses = {
        "login": anonymous.get(reverse("login")),
        "password": signed_in.get(reverse("password_change")),
        "asset with chart": signed_in.get(reverse("data_asset_detail", args=[asset.pk])),
        "market data with curves": signed_in.get(reverse("market_data")),
        "api docs": signed_in.get(reverse("api-docs")),
        "api redoc": signed_in.get(reverse("api-redoc")),
    }
    for _ in range(settings.AXES_FAILURE_LIMIT):
        responses["locked out"] = anonymous.post(reverse("login"), {"username": "alice", "password": "wrong-one"})
    assert {name: r.status_code for name, r in responses.items()} == {
        **dict.fromkeys(responses, 200),
        "locked out": 429,
    }
    pages = {name: r.content.decode() for name, r in responses.items()}
    pages["server error"] = render_to_string("500.html")
    assert "<canvas" in pages["asset with chart"]
    assert "<canvas" in pages["market data with curves"]
    assert {name: inline_code(html) for name, html in pages.items()} == {name: [] for name in pages}
