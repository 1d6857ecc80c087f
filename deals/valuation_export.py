"""A valuation run's results as files: an Excel workbook of everything, and the tranche table as CSV.

Numbers are written as stored in the run (fractions, CNY, years), unrounded,
so a reader can recompute from them; cells carry percentage and amount formats
for display only. Text typed by users (tranche, provider and asset names) is
never a formula. The sheets follow the page: tranches with both ratings and
their expected loss with its standard error, coupon build-up, comparables,
cash sources, coverage, structure and target schedule, DSCR before and after a
trip, break-even, stress, projection, appraisal per data asset, empowerment.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .choices import CashSource, PaydownMode, ResidualRelease
from .models import Deal, ValuationRun
from .valuation_presenters import class_text, coupon_part_labels, dscr_bin_labels, scenario_text, stability_part_labels
from .valuation_presenters.appraisal import METHODS, method_labels, unavailable_text
from .valuation_presenters.cash import CASH_SOURCE_KEYS, cash_source_words
from .valuation_presenters.formatting import label, provider_text, shares_of, support_kind_text
from .valuation_presenters.pricing import MARKET_BAND_2025, coefficient_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.00%"
PERCENT_FINE = "0.0000000%"
AMOUNT = "#,##0.00"
FORMULA_START = ("=", "+", "-", "@")
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")  # Excel refuses these in a sheet's name (a translation might use one)
Column = tuple[str, str | None]  # header, number format


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %z")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _sheet(
    workbook: Workbook, title: str, columns: list[Column], rows: list[list[Any]], *, first: bool = False
) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = "".join("-" if ch in SHEET_NAME_FORBIDDEN else ch for ch in title)[:31]
    sheet.append([header for header, _format in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
        for (_header, number_format), cell in zip(columns, sheet[sheet.max_row], strict=False):
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            elif number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
    for index in range(1, len(columns) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 22
    sheet.freeze_panes = "A2"


def _fields(workbook: Workbook, title: str, rows: list[list[Any]], *, first: bool = False) -> None:
    """A two-column sheet of named values."""
    _sheet(workbook, title, [(_("Field"), None), (_("Value"), None)], rows, first=first)


def _range(decision: dict[str, Any] | None) -> list[Any]:
    d = decision or {}
    best, worst = (d.get("range") or [None, None])[:2]
    return [d.get("decided"), best, worst, d.get("paths"), d.get("method"), d.get("plain_paths_for_same_error")]


def tranche_columns() -> list[Column]:
    """Columns of the tranche table (the workbook's sheet and the CSV)."""
    parts = coupon_part_labels()
    return [
        (_("Tranche"), None), (_("Class"), None), (_("Priority"), None), (_("Size (CNY)"), AMOUNT), (_("Rated"), None),
        (_("Coupon paid in the model"), PERCENT), (_("Coupon given by the structure"), None),
        (_("Probability of shortfall"), PERCENT), (_("Expected loss"), PERCENT_FINE),
        (_("Expected loss standard error"), PERCENT_FINE), (_("WAL (years)"), None), (_("Expected yield"), PERCENT),
        (_("Mean IRR"), PERCENT), (_("IRR 5th percentile"), PERCENT), (_("IRR median"), PERCENT),
        (_("IRR 95th percentile"), PERCENT),
        (_("Enhanced rating (with support)"), None), (_("Enhanced rating decided"), None),
        (_("Enhanced rating range: best"), None), (_("Enhanced rating range: worst"), None),
        (_("Enhanced rating paths"), None), (_("Enhanced rating method"), None),
        (_("Plain Monte Carlo paths for the same error (enhanced)"), None),
        (_("Underlying rating (stand-alone)"), None), (_("Underlying rating decided"), None),
        (_("Underlying rating range: best"), None), (_("Underlying rating range: worst"), None),
        (_("Underlying rating paths"), None), (_("Underlying rating method"), None),
        (_("Plain Monte Carlo paths for the same error (underlying)"), None),
        (_("Underlying expected loss"), PERCENT_FINE), (_("Underlying expected loss standard error"), PERCENT_FINE),
        (_("Support notches"), None), (_("Share of stand-alone expected loss the support removes"), PERCENT),
        (_("Expected-loss bound of the rating"), PERCENT_FINE), (_("Target rating"), None), (_("Meets the target"), None),
        (_("Suggested coupon"), PERCENT), *((parts[k], PERCENT) for k in parts),
        (_("Support party"), None), (_("Support party's rating"), None),
    ]  # fmt: skip


def tranche_header() -> list[str]:
    """The tranche table's headers."""
    return [header for header, _format in tranche_columns()]


def tranche_rows(result: dict[str, Any]) -> list[list[Any]]:
    """One row per tranche, the stored numbers unchanged (the residual class: not rated, no coupon suggestion)."""
    rows = []
    for t in result["tranches"]:
        irr = t.get("irr_percentiles") or {}
        coupon = t.get("suggested_coupon") or {}
        underlying = t.get("underlying") or {}
        rows.append([
            t["name"], class_text(t["tranche_class"]), t["priority"], t["size"], t.get("rated"), t["coupon"],
            t["coupon_given"], t["probability_of_shortfall"], t["expected_loss"], t.get("expected_loss_standard_error"),
            t["wal_years"], t.get("expected_yield"), t.get("irr_mean"), irr.get("p5"), irr.get("p50"), irr.get("p95"),
            t["implied_rating"], *_range(t.get("rating")), t.get("underlying_rating"), *_range(underlying),
            underlying.get("expected_loss"), underlying.get("standard_error"), t.get("support_notches"),
            t.get("support_loss_share"), t.get("expected_loss_threshold"), t["target_rating"], t.get("meets_target"),
            coupon.get("coupon"), *(coupon.get(k) for k in coupon_part_labels()),
            provider_text(coupon["support_party"]) if coupon.get("support_party") else None,
            coupon.get("support_rating") or None,
        ])  # fmt: skip
    return rows


def _summary_rows(deal: Deal, run: ValuationRun) -> list[list[Any]]:
    r = run.result
    history = r.get("history") or {}
    coverage = r.get("coverage") or {}
    relies = coverage.get("relies_on") or {}
    breakeven = r.get("breakeven") or {}
    market = run.market_parameters
    rows: list[list[Any]] = [
        [_("Deal"), deal.name], [_("Originator"), deal.originator.name], [_("Deal type"), deal.get_deal_type_display()],
        [_("Valuation run"), run.pk], [_("Finished at"), run.finished_at], [_("Paths"), r["n_paths"]],
        [_("Seed"), r["seed"]], [_("Engine"), r["engine_version"]], [_("Pricing date"), r.get("pricing_date")],
        [_("Market data as of"), r.get("market_as_of")], [_("Benchmark"), market.benchmark_name if market else ""],
        [_("Rating confidence"), (r.get("rating_decision") or {}).get("confidence")],
        [_("Horizon (months)"), r["horizon_months"]], [_("Payments per year"), r["periods_per_year"]],
        [_("Expected collections (CNY)"), r["projection"]["expected_total"]],
        [_("Regulatory stop: probability per year"), r.get("regulatory_stop_annual")],
        [_("Regulatory stop: probability within the tenor"), r.get("regulatory_stop_probability_tenor")],
        [_("Tenor (months)"), r.get("tenor_months")],
        [_("Legal-risk haircut"), (r.get("legal_risk") or {}).get("haircut")],
        [_("Open compliance findings"), (r.get("legal_risk") or {}).get("open_findings")],
        [_("Data cash-flow share"), (r.get("cash_sources") or {}).get("data_cash_share")],
        [_("Senior rating with support"), coverage.get("senior_rating_with_support")],
        [_("Senior rating without support"), coverage.get("senior_rating_without_support")],
        [_("Support notches of the senior"), coverage.get("support_notches")],
        [_("Share of the senior's stand-alone expected loss the support removes"), coverage.get("support_loss_share")],
        [_("The senior relies on"), relies.get("provider")],
        [_("Break-even stress of the senior"), breakeven.get("senior_haircut")],
        [_("Senior coverage multiple"), breakeven.get("senior_coverage_multiple")],
    ]  # fmt: skip
    if history:
        rows += [[_("Revenue stability score"), history["stability_score"]], [_("Months of history"), history["months"]],
                 [_("Coefficient of variation"), history["coefficient_of_variation"]],
                 [_("Largest drawdown"), history["max_drawdown"]], [_("Top-1 customer share"), history["top1_share"]],
                 [_("Top-5 customer share"), history["top5_share"]], [_("HHI"), history["hhi"]]]  # fmt: skip
        labels = stability_part_labels()
        rows += [[_("Stability part: %(part)s") % {"part": labels.get(k, k)}, v["score"]]
                 for k, v in history["stability_parts"].items()]  # fmt: skip
    for m in r.get("max_senior_size") or []:
        text = (
            _("Largest senior at %(rating)s with support")
            if m["with_guarantees"]
            else _("Largest senior at %(rating)s on the pool's own cash")
        )
        rows.append([text % {"rating": m["target_rating"]}, m["senior_size"]])
    return rows


def _coupon_rows(r: dict[str, Any]) -> list[list[Any]]:
    low, high = MARKET_BAND_2025
    rows = []
    for t in r["tranches"]:
        s = t.get("suggested_coupon")
        if not s:
            continue
        band = _("below") if s["coupon"] < low else _("within") if s["coupon"] <= high else _("above")
        rows.append([t["name"], s["rating"], s["wal_years"], *(s.get(k) for k in coupon_part_labels()), s["coupon"],
                     provider_text(s["support_party"]) if s.get("support_party") else None,
                     s.get("support_rating") or None, band, r.get("pricing_date"), r.get("market_as_of")])  # fmt: skip
    return rows


def _coverage_rows(c: dict[str, Any]) -> list[list[Any]]:
    relies = c.get("relies_on") or {}
    return [
        [_("Senior debt service (CNY)"), c.get("senior_debt_service")],
        [_("Coverage without support, mean"), c.get("senior_coverage_without_support")],
        [_("Coverage without support, 5th percentile"), c.get("senior_coverage_without_support_p5")],
        [_("Coverage with support, mean"), c.get("senior_coverage_with_support")],
        [_("Coverage with support, 5th percentile"), c.get("senior_coverage_with_support_p5")],
        [_("Support covering the senior (CNY)"), c.get("support_capacity")],
        [_("Senior rating with support"), c.get("senior_rating_with_support")],
        [_("Senior rating without support"), c.get("senior_rating_without_support")],
        [_("Senior expected loss with support"), c.get("senior_expected_loss_with_support")],
        [_("Senior expected loss without support"), c.get("senior_expected_loss_without_support")],
        [_("Support notches"), c.get("support_notches")],
        [_("Share of the stand-alone expected loss the support removes"), c.get("support_loss_share")],
        [_("Relies on: provider"), relies.get("provider")],
        [_("Relies on: provider type"), provider_text(relies["type"]) if relies.get("type") else None],
        [_("Relies on: kind of support"), support_kind_text(relies["kind"]) if relies.get("kind") else None],
        [_("Relies on: provider's rating"), relies.get("rating")],
        [_("Relies on: provider's stated rating"), relies.get("stated_rating")],
        [_("Expected collections to notes issued"), c.get("collections_to_notes")],
    ]


def _structure_rows(s: dict[str, Any]) -> list[list[Any]]:
    return [
        [_("Paydown"), label(PaydownMode, s.get("mode"))], [_("Structuring ratio"), s.get("structuring_ratio")],
        [_("DSCR trigger level"), s.get("dscr_trigger")], [_("Trigger window (payment periods)"), s.get("trigger_window_periods")],
        [_("Trigger cure (passing tests in a row; 0: never)"), s.get("trigger_cure_periods")],
        [_("Controlled amortisation periods"), s.get("controlled_amortisation_periods")],
        [_("Residual release"), label(ResidualRelease, s.get("residual_release"))],
        [_("Rated notes (CNY)"), s.get("rated_notes")], [_("Payment periods to expected maturity"), s.get("scheduled_periods")],
    ]  # fmt: skip


def _dscr_rows(d: dict[str, Any]) -> list[list[Any]]:
    minimum = d.get("minimum_percentiles") or {}
    return [
        [_("Trigger level"), d.get("trigger")], [_("Trigger window (payment periods)"), d.get("window_periods")],
        [_("Trigger cure (passing tests in a row)"), d.get("cure_periods")],
        *[[_("Lowest DSCR before any trip, %(p)s percentile") % {"p": k[1:]}, v] for k, v in minimum.items()],
        [_("Paths below the trigger level before any trip"), d.get("probability_below_trigger")],
        [_("Paths below 1.0 before any trip"), d.get("probability_below_one")],
        [_("Probability the trigger trips before expected maturity"), d.get("probability_trigger_tripped")],
        [_("Share of path-periods run tripped"), d.get("share_of_periods_tripped")],
    ]  # fmt: skip


def _histogram_rows(d: dict[str, Any]) -> list[list[Any]]:
    before = d.get("histogram") or {"edges": [], "counts": []}
    after = d.get("histogram_after_trip") or {"edges": [], "counts": []}
    edges, counts, later = before["edges"], before["counts"], after["counts"] or [0] * len(before["counts"])
    share, share_after = shares_of(counts) or [0.0] * len(counts), shares_of(later) or [0.0] * len(later)
    return [[text, edges[i], edges[i + 1], counts[i], share[i] / 100, later[i], share_after[i] / 100]
            for i, text in enumerate(dscr_bin_labels(edges))]  # fmt: skip


def _appraisal_rows(a: dict[str, Any], assumptions: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for x in a.get("assets") or []:
        gone, weights = x.get("unavailable") or {}, x.get("weights") or {}
        methods = []
        for m in METHODS:
            methods += [x.get(f"{m}_value"), unavailable_text(m, gone[m], assumptions) if m in gone else None]
        rows.append([x.get("key"), x.get("name"), x.get("quality_coefficient"), *methods,
                     *(weights.get(m) for m in METHODS), x.get("indicated_value"), x.get("agreement"),
                     x.get("divergence_ratio"), x.get("divergence_threshold"), x.get("discount_rate")])  # fmt: skip
    rows.append(["", _("All data assets"), None, a.get("total_income"), None, a.get("total_cost"), None,
                 a.get("total_market"), None, None, None, None, a.get("total_indicated")])  # fmt: skip
    return rows


def valuation_workbook(*, deal: Deal, run: ValuationRun) -> bytes:
    """The workbook's bytes (.xlsx): every section of the page, then the inputs and assumptions."""
    r = run.result
    book = Workbook()
    _fields(book, _("Summary"), _summary_rows(deal, run), first=True)
    _sheet(book, _("Tranches"), tranche_columns(), tranche_rows(r))
    parts = coupon_part_labels()
    _sheet(book, _("Coupon build-up"), [(_("Tranche"), None), (_("Rating"), None), (_("WAL (years)"), None),
           *((parts[k], PERCENT) for k in parts), (_("Suggested coupon"), PERCENT), (_("Support party"), None),
           (_("Support party's rating"), None), (_("Against the 2025 band"), None), (_("Pricing date"), None),
           (_("Market data as of"), None)], _coupon_rows(r))  # fmt: skip
    pricing = r.get("pricing") or {}
    _sheet(book, _("Comparables"), [(_("Deal"), None), (_("Issued"), None), (_("Coupon"), PERCENT),
           (_("Curve at its WAL"), PERCENT), (_("Spread over the curve"), PERCENT), (_("WAL (years)"), None),
           (_("Rating"), None), (_("Support"), None), (_("Beyond the rating spread"), PERCENT), (_("Fitted"), PERCENT)],
           [[c["name"], c.get("issue_date"), c.get("coupon"), c.get("benchmark"), c.get("spread"), c.get("wal_years"),
             c.get("rating"), provider_text(c.get("support_type")), c.get("excess_spread"), c.get("fitted_excess_spread")]
            for c in pricing.get("comparables") or []])  # fmt: skip
    fit = [[coefficient_label(k), v] for k, v in (pricing.get("coefficients") or {}).items()]
    fit += [[_("Residual standard deviation"), pricing.get("residual_sd")],
            [_("Fitted spread of the senior"), pricing.get("fitted_spread")],
            [_("Fitted coupon of the senior"), pricing.get("fitted_coupon")]] if fit else \
        [[_("Too few comparables for a fit"), len(pricing.get("comparables") or [])]]  # fmt: skip
    _fields(book, _("Comparables fit"), fit)
    sources = r.get("cash_sources") or {}
    words = cash_source_words()
    _sheet(book, _("Cash sources"), [(_("Part"), None), (_("Code"), None), (_("Source"), None),
           (_("Counts as data cash"), None), (_("Expected (CNY)"), AMOUNT), (_("Share"), PERCENT)],
           [[_("Expected collections"), k, words[k][0], is_data, (sources.get("expected") or {}).get(k),
             (sources.get("shares") or {}).get(k)] for k, is_data in CASH_SOURCE_KEYS]
           + [[_("Pool principal"), k, label(CashSource, k), None, None, v]
              for k, v in (sources.get("pool_principal_by_cash_source") or {}).items()])  # fmt: skip
    _fields(book, pgettext("the senior's coverage multiples", "Coverage"), _coverage_rows(r.get("coverage") or {}))
    structure = r.get("structure") or {}
    _fields(book, _("Structure"), _structure_rows(structure))
    rated = structure.get("rated_notes") or 0.0
    _sheet(book, _("Target schedule"), [(_("After payment period"), None), (_("Target balance (CNY)"), AMOUNT),
           (_("Of the rated notes"), PERCENT)],
           [[k + 1, b, b / rated if rated else None] for k, b in enumerate(structure.get("target_balance") or [])])  # fmt: skip
    _fields(book, _("DSCR"), _dscr_rows(r.get("dscr") or {}))
    _sheet(book, _("DSCR histograms"), [(_("Bin"), None), (_("From"), None), (_("To"), None),
           (_("Before a trip: path-periods"), None), (_("Before a trip: share"), PERCENT),
           (_("After a trip: path-periods"), None), (_("After a trip: share"), PERCENT)],
           _histogram_rows(r.get("dscr") or {}))  # fmt: skip
    b = r.get("breakeven") or {}
    _sheet(book, _("Break-even"), [(_("Tranche"), None), (_("Largest cut of expected collections survived"), PERCENT),
           (_("Break-even default rate (TDR)"), PERCENT), (_("Base default rate (BDR)"), PERCENT),
           (_("TDR / BDR"), None)],
           [[name, cut, (b.get("breakeven_default_rates") or {}).get(name), b.get("base_default_rate"),
             (b.get("default_multiples") or {}).get(name)] for name, cut in (b.get("haircuts") or {}).items()])  # fmt: skip
    stress = []
    for s in r.get("stress") or []:
        text, description = scenario_text(s, licence=r.get("deal_type") == "licence_revenue")
        stress += [[s["scenario"], text, description, s.get("probability"), s["expected_collections"], t["name"],
                    t["expected_loss"], t.get("expected_loss_standard_error"), t["probability_of_shortfall"],
                    t["wal_years"], t["implied_rating"], t.get("market_value_change")] for t in s["tranches"]]  # fmt: skip
    _sheet(book, _("Stress"), [(_("Scenario code"), None), (_("Scenario"), None), (_("What it does"), None),
           (_("Probability"), PERCENT), (_("Expected collections (CNY)"), AMOUNT), (_("Tranche"), None),
           (_("Expected loss"), PERCENT_FINE), (_("Expected loss standard error"), PERCENT_FINE),
           (_("Probability of shortfall"), PERCENT), (_("WAL (years)"), None), (_("Implied rating"), None),
           (_("Change in market value"), PERCENT)], stress)  # fmt: skip
    projection = r["projection"]
    fan = projection.get("percentiles_by_month") or {}
    keys = ["p5", "p25", "p50", "p75", "p95"]
    _sheet(book, _("Projection fan"),
           [(_("Month"), None), *((_("%(p)s percentile (CNY)") % {"p": k[1:]}, AMOUNT) for k in keys),
            (_("Mean (CNY)"), AMOUNT)],
           [[m + 1, *(fan[k][m] for k in keys), projection["mean_by_month"][m]] for m in range(projection["months"])])  # fmt: skip
    methods = method_labels()
    appraisal_columns: list[Column] = [(_("Key"), None), (_("Data asset"), None), (_("Quality coefficient"), None)]
    for m in METHODS:
        appraisal_columns += [(_("%(method)s (CNY)") % {"method": methods[m]}, AMOUNT),
                              (_("%(method)s: why it could not apply") % {"method": methods[m]}, None)]  # fmt: skip
    appraisal_columns += [*((_("Weight: %(method)s") % {"method": methods[m]}, PERCENT) for m in METHODS),
                          (_("Indicated value (CNY)"), AMOUNT), (_("Agreement"), None),
                          (_("Divergence (highest / lowest - 1)"), PERCENT), (_("Divergence threshold"), PERCENT),
                          (_("Discount rate"), PERCENT)]  # fmt: skip
    _sheet(
        book, _("Appraisal"), appraisal_columns, _appraisal_rows(r.get("appraisal") or {}, r.get("assumptions") or {})
    )
    if r.get("empowerment"):
        _fields(book, _("Empowerment"), [[k.replace("_", " "), v] for k, v in r["empowerment"].items()])
    snapshot = [[_("inputs"), key, value] for key, value in (run.inputs or {}).items()]
    snapshot += [[_("assumptions"), key, value] for key, value in (r.get("assumptions") or {}).items()]
    _sheet(book, _("Inputs snapshot"), [(_("Part"), None), (_("Field"), None), (_("Value"), None)], snapshot)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _download(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def valuation_workbook_response(*, deal: Deal, run: ValuationRun) -> HttpResponse:
    """The workbook as a download."""
    body = valuation_workbook(deal=deal, run=run)
    return _download(HttpResponse(body, content_type=XLSX), f"valuation-deal-{deal.pk}-run-{run.pk}.xlsx")


def _csv_text(value: Any) -> Any:
    text = _cell(value)
    return "'" + text if isinstance(text, str) and text.startswith(FORMULA_START) else text


def tranche_csv(*, run: ValuationRun) -> str:
    """The tranche table as CSV text (with a byte-order mark, so spreadsheet programs read Chinese correctly)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(tranche_header())
    for row in tranche_rows(run.result):
        writer.writerow([_csv_text(v) for v in row])
    return out.getvalue()


def tranche_csv_response(*, deal: Deal, run: ValuationRun) -> HttpResponse:
    """The tranche CSV as a download."""
    response = HttpResponse(tranche_csv(run=run), content_type="text/csv; charset=utf-8")
    return _download(response, f"valuation-deal-{deal.pk}-run-{run.pk}-tranches.csv")
