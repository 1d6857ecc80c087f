"""Pages with charts and htmx under the production Content-Security-Policy: the browser reports no violation."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import DataAssetFactory, add_monthly_revenue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def enforced_policy(settings):
    """The policy production enforces (DEBUG off), whatever DEBUG the tests run with."""
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": settings.CSP_DIRECTIVES}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None


def violations(browser) -> list[str]:
    return [m for m in browser.console_messages() if "Content Security Policy" in m or "Refused to" in m]


def test_pages_with_charts_and_htmx_raise_no_csp_violation(enforced_policy, sign_in, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    add_monthly_revenue(asset, 6, start=dt.date(2025, 1, 1))
    browser = sign_in(user_a)
    browser.console_messages()  # the sign-in page's messages are checked below with the others

    browser.go(f"/data-assets/{asset.pk}/")
    browser.wait_for("window.Chart && Chart.getChart(document.getElementById('revenue-chart'))")
    # The score bars got their widths from data-width through the CSSOM, not from style attributes.
    assert browser.run("return document.querySelector('.bar-fill').style.width").endswith("%")

    browser.go("/market-data/")
    browser.wait_for("window.Chart && Chart.getChart(document.getElementById('market-curves'))")

    browser.go("/market/")
    browser.run(
        "var s = document.getElementById('year'); s.value = 'all';"
        "s.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    browser.wait_for("document.getElementById('fig-h').textContent.indexOf('all years') >= 0")

    assert violations(browser) == []


def test_the_console_check_does_see_a_violation(enforced_policy, sign_in, user_a):
    """The check above is not blind: an inline style set the forbidden way is reported."""
    browser = sign_in(user_a)
    browser.console_messages()
    browser.run("var s = document.createElement('style'); s.textContent = 'body{color:red}'; document.head.append(s);")
    browser.wait_for("true")
    assert any("style" in message for message in violations(browser))


def test_the_api_docs_render_under_the_policy(enforced_policy, sign_in, user_a):
    browser = sign_in(user_a)
    browser.console_messages()
    browser.go("/api/docs/")
    browser.wait_for("document.querySelector('.swagger-ui .opblock')", timeout=30)
    browser.go("/api/redoc/")
    browser.wait_for("document.querySelector('.api-content h1, .api-content h2')", timeout=30)
    # Redoc's "by Redocly" badge points at its CDN: refusing it is the policy doing its job (no CDN).
    assert [m for m in violations(browser) if "cdn.redoc.ly" not in m] == []
