"""The valuation downloads: the Excel workbook holds every section of the page with the stored numbers unrounded,
the CSV is the tranche table; both are scoped like the page."""

# ruff: noqa: F811 - the deals come as fixtures imported from valuation_page_fixtures, used as test arguments

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from deals.models import ValuationRun
from origination.jobs import JobStatus
from tests.deals.valuation_page_fixtures import (  # noqa: F401 - fixtures
    GUARANTOR,
    PATHS,
    approved_deal,
    empowerment_deal,
    guaranteed_deal,
    residual,
    senior,
    valued_deal,
)

pytestmark = pytest.mark.django_db

SHEETS = [
    "Summary", "Tranches", "Coupon build-up", "Comparables", "Comparables fit", "Cash sources", "Coverage",
    "Structure", "Target schedule", "DSCR", "DSCR histograms", "Break-even", "Stress", "Projection fan", "Appraisal",
]  # fmt: skip


def _stored(value):
    """A stored number as the workbook holds it: openpyxl writes 16 significant digits (Excel shows 15)."""
    return value if value is None else pytest.approx(value, rel=1e-15, abs=0)


def _rows_by_header(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def _fields(sheet):
    return {row["Field"]: row["Value"] for row in _rows_by_header(sheet)}


def _workbook(client, user, deal, run):
    client.force_login(user)
    response = client.get(reverse("deal_valuation_xlsx", args=[deal.pk, run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"valuation-deal-{deal.pk}-run-{run.pk}.xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def test_xlsx_download_holds_the_stored_numbers_of_every_section(client, valued_deal, user_a):
    deal, run = valued_deal
    result = run.result
    book = _workbook(client, user_a, deal, run)
    assert book.sheetnames == [*SHEETS, "Inputs snapshot"]  # a licence deal: no empowerment sheet
    tranches = _rows_by_header(book["Tranches"])
    assert [row["Tranche"] for row in tranches] == [t["name"] for t in result["tranches"]]
    for row, t in zip(tranches, result["tranches"], strict=True):
        assert row["Size (CNY)"] == _stored(t["size"])
        assert row["Expected loss"] == _stored(t["expected_loss"])
        assert row["Expected loss standard error"] == _stored(t["expected_loss_standard_error"])
        assert row["Probability of shortfall"] == _stored(t["probability_of_shortfall"])
        assert row["WAL (years)"] == _stored(t["wal_years"])
        assert row["Enhanced rating (with support)"] == t["implied_rating"]
        assert row["Underlying rating (stand-alone)"] == t["underlying_rating"]
        assert (row["Suggested coupon"] or None) == _stored((t["suggested_coupon"] or {}).get("coupon"))
    a, sub = tranches[0], tranches[-1]
    decision = senior(result)["rating"]
    assert a["Enhanced rating decided"] == ("yes" if decision["decided"] else "no")
    assert a["Enhanced rating paths"] == decision["paths"]
    assert a["Enhanced rating method"] == decision["method"]
    assert a["Underlying expected loss"] == _stored(senior(result)["underlying"]["expected_loss"])
    assert sub["Rated"] == "no"
    assert sub["Enhanced rating (with support)"] == "NR"
    assert sub["Suggested coupon"] is None  # the residual class gets no coupon suggestion
    summary = _fields(book["Summary"])
    assert summary["Revenue stability score"] == _stored(result["history"]["stability_score"])
    assert summary["HHI"] == _stored(result["history"]["hhi"])
    assert summary["Paths"] == PATHS
    assert summary["Data cash-flow share"] == _stored(result["cash_sources"]["data_cash_share"])
    assert summary["Pricing date"] == result["pricing_date"]
    assert summary["Market data as of"] == result["market_as_of"]
    assert summary["Regulatory stop: probability per year"] == _stored(result["regulatory_stop_annual"])
    assert summary["Regulatory stop: probability within the tenor"] == _stored(
        result["regulatory_stop_probability_tenor"]
    )
    coupons = _rows_by_header(book["Coupon build-up"])
    priced = [t for t in result["tranches"] if t["suggested_coupon"]]
    assert [row["Tranche"] for row in coupons] == [t["name"] for t in priced]
    for row, t in zip(coupons, priced, strict=True):
        s = t["suggested_coupon"]
        assert row["Support premium"] == _stored(s["support_premium"])
        parts = ("Benchmark at the WAL", "Rating spread", "Liquidity premium", "Tenor premium", "Support premium",
                 "Legal-risk premium")  # fmt: skip
        assert sum(row[p] for p in parts) == pytest.approx(row["Suggested coupon"], abs=1e-12)
        band = "below" if s["coupon"] < 0.0185 else "within" if s["coupon"] <= 0.0258 else "above"
        assert row["Against the 2025 band"] == band
    assert _fields(book["Comparables fit"]) == {"Too few comparables for a fit": 0}
    sources = {row["Code"]: row for row in _rows_by_header(book["Cash sources"])}
    assert sources["licence"]["Expected (CNY)"] == _stored(result["cash_sources"]["expected"]["licence"])
    assert sources["licence"]["Counts as data cash"] == "yes"
    assert sources["empowered"]["Counts as data cash"] == "no"
    coverage = _fields(book["Coverage"])
    assert coverage["Senior rating without support"] == result["coverage"]["senior_rating_without_support"]
    assert coverage["Coverage without support, 5th percentile"] == _stored(
        result["coverage"]["senior_coverage_without_support_p5"]
    )
    assert _fields(book["Structure"])["Paydown"] == "Sequential pass-through"
    schedule = _rows_by_header(book["Target schedule"])
    assert [row["Target balance (CNY)"] for row in schedule] == [
        _stored(v) for v in result["structure"]["target_balance"]
    ]
    histograms = _rows_by_header(book["DSCR histograms"])
    assert [row["Before a trip: path-periods"] for row in histograms] == result["dscr"]["histogram"]["counts"]
    assert [row["After a trip: path-periods"] for row in histograms] == result["dscr"]["histogram_after_trip"]["counts"]
    assert sum(row["Before a trip: share"] for row in histograms) == pytest.approx(1.0)
    breakeven = _rows_by_header(book["Break-even"])
    assert breakeven[0]["Largest cut of expected collections survived"] == _stored(
        result["breakeven"]["haircuts"][senior(result)["name"]]
    )
    stress = _rows_by_header(book["Stress"])
    assert len(stress) == sum(len(s["tranches"]) for s in result["stress"])
    first = result["stress"][0]["tranches"][0]
    assert stress[0]["Expected loss"] == _stored(first["expected_loss"])
    assert stress[0]["Expected loss standard error"] == _stored(first["expected_loss_standard_error"])
    fan = _rows_by_header(book["Projection fan"])
    assert len(fan) == result["projection"]["months"]
    assert [row["50 percentile (CNY)"] for row in fan] == [
        _stored(v) for v in result["projection"]["percentiles_by_month"]["p50"]
    ]
    appraisal = _rows_by_header(book["Appraisal"])
    asset = result["appraisal"]["assets"][0]
    assert appraisal[0]["Income method (CNY)"] == _stored(asset["income_value"])
    assert appraisal[0]["Cost method (CNY)"] == _stored(asset["cost_value"])
    assert appraisal[0]["Quality coefficient"] == _stored(asset["quality_coefficient"])
    assert appraisal[0]["Agreement"] == asset["agreement"]
    assert (
        appraisal[0]["Market method: why it could not apply"] == "Fewer than 3 comparable transactions of its category."
    )
    assert appraisal[-1]["Data asset"] == "All data assets"
    assert appraisal[-1]["Indicated value (CNY)"] == _stored(result["appraisal"]["total_indicated"])
    snapshot = {(row["Part"], row["Field"]): row["Value"] for row in _rows_by_header(book["Inputs snapshot"])}
    assert snapshot[("inputs", "revenue_months")] == 24


def test_xlsx_of_a_guaranteed_senior_names_the_guarantor_it_relies_on(client, guaranteed_deal, user_a):
    deal, run = guaranteed_deal
    book = _workbook(client, user_a, deal, run)
    coverage = _fields(book["Coverage"])
    assert coverage["Relies on: provider"] == GUARANTOR
    assert coverage["Relies on: provider type"] == "Guarantee company"
    assert coverage["Support notches"] == run.result["coverage"]["support_notches"]
    a = _rows_by_header(book["Tranches"])[0]
    assert a["Support notches"] == senior(run.result)["support_notches"] > 0
    assert a["Support party"] == "Guarantee company"
    assert a["Support party's rating"] == "AAA"


def test_xlsx_of_an_empowerment_deal_has_its_pool_break_even_and_the_data_effect(client, empowerment_deal, user_a):
    deal, run = empowerment_deal
    result = run.result
    book = _workbook(client, user_a, deal, run)
    assert book.sheetnames == [*SHEETS, "Empowerment", "Inputs snapshot"]
    row = _rows_by_header(book["Break-even"])[0]
    b = result["breakeven"]
    assert row["Base default rate (BDR)"] == _stored(b["base_default_rate"])
    assert row["TDR / BDR"] == pytest.approx(row["Break-even default rate (TDR)"] / row["Base default rate (BDR)"])
    principal = [r for r in _rows_by_header(book["Cash sources"]) if r["Part"] == "Pool principal"]
    assert [(r["Code"], r["Share"]) for r in principal] == [("data_empowered", pytest.approx(1.0))]
    empowerment = _fields(book["Empowerment"])
    assert empowerment["significant"] == ("yes" if result["empowerment"]["significant"] else "no")


def test_csv_download_is_the_tranche_table_with_stored_numbers(client, valued_deal, user_a):
    deal, run = valued_deal
    client.force_login(user_a)
    response = client.get(reverse("deal_valuation_csv", args=[deal.pk, run.pk]))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Tranche"] for row in rows] == [t["name"] for t in run.result["tranches"]]
    for row, t in zip(rows, run.result["tranches"], strict=True):
        assert float(row["Expected loss"]) == t["expected_loss"]
        assert float(row["Expected loss standard error"]) == t["expected_loss_standard_error"]
        assert float(row["WAL (years)"]) == t["wal_years"]
        assert row["Enhanced rating (with support)"] == t["implied_rating"]
        assert row["Underlying rating (stand-alone)"] == t["underlying_rating"]
    assert rows[-1]["Tranche"] == residual(run.result)["name"]
    assert rows[-1]["Suggested coupon"] == ""


def test_a_run_without_results_has_nothing_to_download(client, approved_deal, arranger_user):
    run = ValuationRun.objects.create(deal=approved_deal, status=JobStatus.FAILED, error="ValueError: no")
    client.force_login(arranger_user)
    assert client.get(reverse("deal_valuation_xlsx", args=[approved_deal.pk, run.pk])).status_code == 404
    assert client.get(reverse("deal_valuation_csv", args=[approved_deal.pk, run.pk])).status_code == 404
