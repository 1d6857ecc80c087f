"""The valuation page: start and retry, the progress bar htmx polls, the results, scoping, downloads, query count."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from deals import valuation_jobs, workflow
from deals.choices import DealStatus
from deals.models import Deal, ValuationRun
from origination.jobs import JobStatus
from tests.deals.compliance.helpers import pass_review
from tests.factories import DataAssetFactory, add_monthly_revenue, submittable_deal

pytestmark = pytest.mark.django_db
PATHS = 2000


def _approved(user, officer, *, months=24):
    """A compliance-approved licence deal of 2m CNY whose one licensee paid 100,000 CNY a month for `months` months."""
    deal = submittable_deal(user, months=months, size=Decimal("2000000.00"))
    workflow.deal_submit(deal=deal, actor=user)
    workflow.deal_start_review(deal=deal, actor=officer)
    pass_review(deal, officer=officer, originator=user)
    return workflow.deal_approve(deal=deal, actor=officer)


@pytest.fixture
def approved_deal(user_a, compliance_user):
    return _approved(user_a, compliance_user)


@pytest.fixture
def valued_deal(approved_deal, arranger_user, django_capture_on_commit_callbacks):
    """The approved deal valued over 2,000 paths; returns (deal, run)."""
    with django_capture_on_commit_callbacks(execute=True):
        run = valuation_jobs.valuation_request(actor=arranger_user, deal=approved_deal, n_paths=PATHS)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, run.error
    return Deal.objects.get(pk=approved_deal.pk), run


def _page(client, user, deal):
    client.force_login(user)
    return client.get(reverse("deal_valuation", args=[deal.pk]))


def _pct(fraction, digits=2):
    return f"{fraction * 100:,.{digits}f} %"


def _senior(result):
    return next(t for t in result["tranches"] if t["tranche_class"] == "senior")


# --- starting from the page ----------------------------------------------------------------------------------------


def test_arranger_starts_the_valuation_from_the_page_and_reads_rating_and_coupon(
    client, approved_deal, arranger_user, django_capture_on_commit_callbacks
):
    page = _page(client, arranger_user, approved_deal).content.decode()
    start_url = reverse("deal_valuation_start", args=[approved_deal.pk])
    assert f'action="{start_url}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start_url, {"n_paths": str(PATHS)})
    assert response.status_code == 302
    approved_deal.refresh_from_db()
    assert approved_deal.status == DealStatus.VALUED
    run = ValuationRun.objects.get(deal=approved_deal)
    assert run.status == JobStatus.SUCCEEDED
    assert run.n_paths == PATHS
    assert run.requested_by == arranger_user
    html = client.get(reverse("deal_valuation", args=[approved_deal.pk])).content.decode()
    senior = _senior(run.result)
    assert f'<span class="n" data-senior-rating>{senior["implied_rating"]}</span>' in html
    assert f'<span class="n" data-senior-coupon>{_pct(senior["suggested_coupon"]["coupon"])}</span>' in html
    assert "Why the coupon is where it is" in html
    assert "1.85 % to 2.58 %" in html  # the 2025 market band the coupon is read against


def test_the_deal_page_offers_the_arranger_the_start_button_and_later_the_run_status(
    client, approved_deal, arranger_user, user_a
):
    client.force_login(arranger_user)
    page = client.get(reverse("deal_detail", args=[approved_deal.pk])).content.decode()
    assert f'action="{reverse("deal_valuation_start", args=[approved_deal.pk])}"' in page
    assert 'id="valuation"' in page
    client.force_login(user_a)
    page = client.get(reverse("deal_detail", args=[approved_deal.pk])).content.decode()
    assert reverse("deal_valuation_start", args=[approved_deal.pk]) not in page  # only the arranger values
    assert "the arranger values the deal next" in page


def test_deal_page_shows_a_finished_run_and_links_to_it(client, valued_deal, user_a):
    deal, run = valued_deal
    client.force_login(user_a)
    page = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "Valued on" in page
    assert "2,000 simulated paths" in page
    assert reverse("deal_valuation", args=[deal.pk]) in page


def test_an_originator_cannot_start_the_valuation_and_is_told_why(client, approved_deal, user_a):
    client.force_login(user_a)
    response = client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), follow=True)
    assert response.status_code == 200
    assert "Your role may not" in response.content.decode()
    assert not ValuationRun.objects.filter(deal=approved_deal).exists()
    approved_deal.refresh_from_db()
    assert approved_deal.status == DealStatus.COMPLIANCE_APPROVED


def test_a_second_start_while_one_runs_is_refused_with_a_message(client, approved_deal, arranger_user):
    ValuationRun.objects.create(deal=approved_deal, status=JobStatus.RUNNING, progress=10)
    client.force_login(arranger_user)
    response = client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), follow=True)
    assert "already running" in response.content.decode()
    assert ValuationRun.objects.filter(deal=approved_deal).count() == 1


def test_an_out_of_range_number_of_paths_is_refused_with_a_message(client, approved_deal, arranger_user):
    client.force_login(arranger_user)
    response = client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), {"n_paths": "50"}, follow=True)
    assert "Between 1,000 and 200,000 paths." in response.content.decode()
    assert not ValuationRun.objects.filter(deal=approved_deal).exists()


# --- who sees it ---------------------------------------------------------------------------------------------------


def test_originator_of_another_company_gets_404_everywhere(client, valued_deal, user_b):
    deal, run = valued_deal
    client.force_login(user_b)
    for url in (
        reverse("deal_valuation", args=[deal.pk]),
        reverse("deal_valuation_summary", args=[deal.pk]),
        reverse("deal_valuation_progress", args=[deal.pk, run.pk]),
        reverse("deal_valuation_xlsx", args=[deal.pk, run.pk]),
        reverse("deal_valuation_csv", args=[deal.pk, run.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("deal_valuation_start", args=[deal.pk])).status_code == 404


def test_investor_gets_404_before_publication_and_sees_the_valuation_after(
    client, valued_deal, arranger_user, investor_staff
):
    deal, run = valued_deal
    assert _page(client, investor_staff, deal).status_code == 404
    assert client.get(reverse("deal_valuation_xlsx", args=[deal.pk, run.pk])).status_code == 404
    assert client.get(reverse("deal_valuation_summary", args=[deal.pk])).status_code == 404
    workflow.deal_publish(deal=deal, actor=arranger_user)
    page = _page(client, investor_staff, deal).content.decode()
    assert _senior(run.result)["implied_rating"] in page
    assert "Retry" not in page
    assert "Start valuation" not in page
    summary = client.get(reverse("deal_valuation_summary", args=[deal.pk])).content.decode()
    assert _pct(_senior(run.result)["suggested_coupon"]["coupon"]) in summary
    product = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert f'hx-get="{reverse("deal_valuation_summary", args=[deal.pk])}"' in product


# --- progress, results, failure ------------------------------------------------------------------------------------


def test_progress_partial_shows_the_bar_while_running_and_the_results_when_done(client, approved_deal, arranger_user):
    workflow.deal_start_valuation(deal=approved_deal, actor=arranger_user)
    run = ValuationRun.objects.create(deal=approved_deal, status=JobStatus.RUNNING, progress=40.0, n_paths=PATHS,
                                      started_at=timezone.now())  # fmt: skip
    client.force_login(arranger_user)
    url = reverse("deal_valuation_progress", args=[approved_deal.pk, run.pk])
    page = _page(client, arranger_user, approved_deal).content.decode()
    assert f'hx-get="{url}"' in page
    assert 'hx-trigger="every 1s"' in page
    partial = client.get(url, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert 'aria-valuenow="40"' in body
    assert "40 %" in body
    assert 'hx-trigger="every 1s"' in body
    assert 'hx-swap="outerHTML"' in body
    assert "HX-Refresh" not in partial.headers

    ValuationRun.objects.filter(pk=run.pk).update(status=JobStatus.QUEUED)  # the worker picks it up and finishes
    valuation_jobs.valuation_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.headers["HX-Refresh"] == "true"  # the page reloads to draw the charts
    body = done.content.decode()
    assert "every 1s" not in body
    assert f"data-senior-rating>{_senior(run.result)['implied_rating']}<" in body
    plain = client.get(url)  # without htmx: the results themselves
    assert "HX-Refresh" not in plain.headers
    assert "data-senior-rating" in plain.content.decode()


def test_a_failed_run_shows_its_error_and_the_arranger_can_retry(
    client, approved_deal, arranger_user, user_a, django_capture_on_commit_callbacks
):
    ValuationRun.objects.create(deal=approved_deal, status=JobStatus.FAILED, attempts=1, finished_at=timezone.now(),
                                error="ValueError: revenue history is all zero")  # fmt: skip
    page = _page(client, arranger_user, approved_deal).content.decode()
    assert "The valuation failed" in page
    assert "revenue history is all zero" in page
    assert "Retry the valuation" in page
    assert f'action="{reverse("deal_valuation_start", args=[approved_deal.pk])}"' in page
    originator_page = _page(client, user_a, approved_deal).content.decode()
    assert "revenue history is all zero" in originator_page
    assert "Retry the valuation" not in originator_page

    client.force_login(arranger_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), {"n_paths": str(PATHS)})
    approved_deal.refresh_from_db()
    assert approved_deal.status == DealStatus.VALUED
    page = _page(client, arranger_user, approved_deal).content.decode()
    assert "data-senior-rating" in page
    assert "1 earlier run" in page  # the failed one stays on record


def test_results_show_the_history_facts_a_reader_can_check_by_hand(client, valued_deal, user_a):
    deal, run = valued_deal
    response = _page(client, user_a, deal)
    html = response.content.decode()
    # One licensee paying 100,000 CNY every month for 24 months: no variation, no drawdown, all concentration.
    stability = response.context["results"]["stability"]
    assert stability["months"] == 24
    assert stability["cv"] == "0.0 %"
    assert stability["drawdown"] == "0.0 %"
    assert stability["top1"] == "100.0 %"
    assert stability["top5"] == "100.0 %"
    assert stability["hhi"] == "1.000"
    assert "Revenue stability" in html
    # Quality coefficient: the mean of the asset's six scores (90, 88, 92, 95, 85, 80) / 100 = 0.883.
    assert response.context["results"]["appraisal"]["quality"] == "0.883"
    for method in ("Income method", "Cost method", "Market method"):
        assert method in html
    # The fan chart continues the history: 2023-01..2024-12, then projected months from 2025-01.
    charts = json.loads(html.split('id="valuation-chart-data" type="application/json">')[1].split("</script>")[0])
    fan = charts["fan"]
    assert fan["labels"][:2] == ["2023-01", "2023-02"]
    assert fan["labels"][23:25] == ["2024-12", "2025-01"]
    assert fan["history"][:24] == [100000.0] * 24
    assert fan["history"][24] is None
    assert fan["p50"][23] == 100000.0  # the fan opens from the last known month
    assert len(fan["labels"]) == 24 + run.result["projection"]["months"]
    assert [round(v, 4) for v in charts["losses"]["expected_loss"]] == [
        round(t["expected_loss"] * 100, 4) for t in run.result["tranches"]
    ]
    assert sum(charts["dscr"]["share"]) == pytest.approx(100.0)


def test_each_suggested_coupon_is_shown_as_the_sum_of_its_parts(client, valued_deal, user_a):
    deal, run = valued_deal
    rows = _page(client, user_a, deal).context["results"]["coupons"]["rows"]
    priced = [t for t in run.result["tranches"] if t["suggested_coupon"]]
    assert [r["name"] for r in rows] == [t["name"] for t in priced]
    for row, tranche in zip(rows, priced, strict=True):
        parts = tranche["suggested_coupon"]
        total = sum(parts[k] for k in ("benchmark", "rating_spread", "liquidity_premium", "tenor_premium",
                                       "legal_premium"))  # fmt: skip
        assert total == pytest.approx(parts["coupon"], abs=1e-12)
        assert row["coupon"] == _pct(parts["coupon"])
        expected = "above" if parts["coupon"] > 0.0258 else "below" if parts["coupon"] < 0.0185 else "within"
        assert expected in row["position"]


def test_the_valuation_page_queries_stay_bounded(client, valued_deal, user_a, django_assert_max_num_queries):
    deal, _run = valued_deal
    pool_asset = deal.pool_assets.get()
    for _ in range(3):  # more data assets behind the pool: their revenue is still read in one query
        asset = DataAssetFactory(originator=deal.originator)
        add_monthly_revenue(asset, 12)
        pool_asset.data_assets.add(asset)
    for _ in range(5):
        ValuationRun.objects.create(deal=deal, status=JobStatus.FAILED, error="ValueError: old")
    ValuationRun.objects.filter(deal=deal, status=JobStatus.SUCCEEDED).update(created_at=timezone.now())
    client.force_login(user_a)
    # Session, user, deal, the runs, the latest run with its result, revenue by month, the header's organisation.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("deal_valuation", args=[deal.pk]))
    assert response.status_code == 200
    assert len(response.context["earlier_runs"]) == 5


# --- downloads -----------------------------------------------------------------------------------------------------


def _stored(value):
    """A stored number as the workbook holds it: openpyxl writes 16 significant digits (Excel shows 15)."""
    return value if value is None else pytest.approx(value, rel=1e-15, abs=0)


def _rows_by_header(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_xlsx_download_holds_the_stored_numbers(client, valued_deal, user_a):
    deal, run = valued_deal
    result = run.result
    client.force_login(user_a)
    response = client.get(reverse("deal_valuation_xlsx", args=[deal.pk, run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"valuation-deal-{deal.pk}-run-{run.pk}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "Tranches", "Stress", "Projection fan", "DSCR histogram", "Appraisal",
                               "Inputs snapshot"]  # fmt: skip
    tranches = _rows_by_header(book["Tranches"])
    assert [row["Tranche"] for row in tranches] == [t["name"] for t in result["tranches"]]
    for row, t in zip(tranches, result["tranches"], strict=True):
        assert row["Size (CNY)"] == _stored(t["size"])
        assert row["Expected loss"] == _stored(t["expected_loss"])
        assert row["Probability of shortfall"] == _stored(t["probability_of_shortfall"])
        assert row["WAL (years)"] == _stored(t["wal_years"])
        assert row["Implied rating"] == t["implied_rating"]
        assert (row["Suggested coupon"] or None) == _stored((t["suggested_coupon"] or {}).get("coupon"))
    summary = {row["Field"]: row["Value"] for row in _rows_by_header(book["Summary"])}
    assert summary["Revenue stability score"] == _stored(result["history"]["stability_score"])
    assert summary["HHI"] == _stored(result["history"]["hhi"])
    assert summary["Paths"] == PATHS
    assert summary["Data cash-flow share"] == _stored(result["coverage"]["data_cash_share"])
    fan = _rows_by_header(book["Projection fan"])
    assert len(fan) == result["projection"]["months"]
    assert [row["50 percentile (CNY)"] for row in fan] == [
        _stored(v) for v in result["projection"]["percentiles_by_month"]["p50"]
    ]
    dscr = _rows_by_header(book["DSCR histogram"])
    assert [row["Path-periods"] for row in dscr] == result["dscr"]["histogram"]["counts"]
    stress = _rows_by_header(book["Stress"])
    assert len(stress) == sum(len(s["tranches"]) for s in result["stress"])
    assert stress[0]["Expected loss"] == _stored(result["stress"][0]["tranches"][0]["expected_loss"])
    appraisal = {row["Field"]: row["Value"] for row in _rows_by_header(book["Appraisal"])}
    assert appraisal["Income method (CNY)"] == _stored(result["appraisal"]["income_value"])
    assert appraisal["Cost method (CNY)"] == _stored(result["appraisal"]["cost_value"])
    assert appraisal["Quality coefficient"] == _stored(result["appraisal"]["quality_coefficient"])
    snapshot = {(row["Part"], row["Field"]): row["Value"] for row in _rows_by_header(book["Inputs snapshot"])}
    assert snapshot[("inputs", "revenue_months")] == 24


def test_csv_download_is_the_tranche_table_with_stored_numbers(client, valued_deal, user_a):
    deal, run = valued_deal
    client.force_login(user_a)
    response = client.get(reverse("deal_valuation_csv", args=[deal.pk, run.pk]))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Tranche"] for row in rows] == [t["name"] for t in run.result["tranches"]]
    for row, t in zip(rows, run.result["tranches"], strict=True):
        assert float(row["Expected loss"]) == t["expected_loss"]
        assert float(row["WAL (years)"]) == t["wal_years"]


def test_a_run_without_results_has_nothing_to_download(client, approved_deal, arranger_user):
    run = ValuationRun.objects.create(deal=approved_deal, status=JobStatus.FAILED, error="ValueError: no")
    client.force_login(arranger_user)
    assert client.get(reverse("deal_valuation_xlsx", args=[approved_deal.pk, run.pk])).status_code == 404
    assert client.get(reverse("deal_valuation_csv", args=[approved_deal.pk, run.pk])).status_code == 404
