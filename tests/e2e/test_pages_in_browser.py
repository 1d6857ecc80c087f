"""What a user sees in a real browser: sign-in, the chart, a workflow button, the language switch, the market."""

from __future__ import annotations

import datetime as dt

import pytest

from deals.choices import DealStatus
from deals.models import AuditEvent
from tests.deals.compliance.helpers import pass_review
from tests.factories import DataAssetFactory, add_monthly_revenue, submittable_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_originator_signs_in_and_sees_its_deal(sign_in, user_a):
    deal = submittable_deal(user_a)
    browser = sign_in(user_a)
    body = browser.text()
    assert "Alpha Transport Data Co." in body
    assert deal.name in body


def test_revenue_chart_is_drawn_from_the_vendored_chartjs(sign_in, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    add_monthly_revenue(asset, 6, start=dt.date(2025, 1, 1))
    browser = sign_in(user_a)
    browser.go(f"/data-assets/{asset.pk}/")
    browser.wait_for("window.Chart && Chart.getChart(document.getElementById('revenue-chart'))")
    labels = browser.run("return Chart.getChart(document.getElementById('revenue-chart')).data.labels")
    assert labels == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]


def test_submit_button_moves_the_deal_and_logs_it(sign_in, user_a):
    deal = submittable_deal(user_a)
    browser = sign_in(user_a)
    browser.go(f"/deals/{deal.pk}/")
    browser.click("form[data-action=submit] button")
    browser.wait_for("document.querySelector('.message-success')")
    assert "Submitted" in browser.text("h1")
    deal.refresh_from_db()
    assert deal.status == DealStatus.SUBMITTED
    event = AuditEvent.objects.get(deal=deal, sequence=2)
    assert event.hash[:12] in browser.text("#audit")


def test_language_switch_turns_the_page_into_chinese(sign_in, user_a):
    browser = sign_in(user_a)
    browser.click("form.lang-switch button[value=zh-hans]")
    browser.wait_for("document.documentElement.lang === 'zh-hans'")
    assert "退出登录" in browser.text("header")
    browser.click("form.lang-switch button[value=en]")
    browser.wait_for("document.documentElement.lang === 'en'")
    assert "Sign out" in browser.text("header")


def test_market_year_select_swaps_the_figures_without_a_reload(sign_in, user_a, arranger_user, compliance_user):
    from deals import workflow

    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    pass_review(deal, officer=compliance_user)
    workflow.deal_approve(deal=deal, actor=compliance_user)
    # Committed (the live server's database), the queued run values the deal in-process and completes the move.
    workflow.deal_start_valuation(deal=deal, actor=arranger_user)
    deal.refresh_from_db()
    assert deal.status == "valued", deal.status
    workflow.deal_publish(deal=deal, actor=arranger_user)
    workflow.deal_open_book(deal=deal, actor=arranger_user)
    workflow.deal_issue(deal=deal, actor=arranger_user, issue_date=dt.date(2024, 5, 1))
    browser = sign_in(arranger_user)
    browser.go("/market/")
    assert "Issued in 2024" in browser.text("#market-body")
    browser.run("window.__marker = 1")  # survives only if the page is not reloaded
    browser.run(
        "var s = document.getElementById('year'); s.value = 'all';"
        "s.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    browser.wait_for("document.getElementById('fig-h').textContent.indexOf('all years') >= 0")
    assert browser.run("return window.__marker") == 1
    assert browser.path() == "/market/?year=all"
