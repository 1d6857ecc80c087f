"""Browser tests: a real headless chromium against pytest-django's live server. Skipped without chromium."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

from .webdriver import Browser, browser_missing


@pytest.fixture
def browser(live_server):
    problem = browser_missing()
    if problem:
        pytest.skip(problem)
    session = Browser(live_server.url)
    yield session
    session.close()


@pytest.fixture
def sign_in(browser):
    """`sign_in(user)` fills the sign-in form as a user would and lands on the home page."""

    def _sign_in(user):
        browser.go("/login/")
        browser.fill("#id_username", user.username)
        browser.fill("#id_password", PASSWORD)
        browser.click(".login-box button[type=submit]")
        browser.wait_for("location.pathname === '/'")
        return browser

    return _sign_in
