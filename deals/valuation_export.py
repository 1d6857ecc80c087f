"""A valuation run's results as files: an Excel workbook of everything, and the tranche table as CSV.

Numbers are written as stored in the run (fractions, CNY, years), unrounded,
so a reader can recompute from them; cells carry percentage and amount formats
for display only. Text typed by users (tranche names) is never a formula.
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
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .models import Deal, ValuationRun
from .valuation_presenters import class_text, coupon_part_labels, dscr_bin_labels, scenario_text, stability_part_labels

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.00%"
PERCENT_FINE = "0.0000%"
AMOUNT = "#,##0.00"
FORMULA_START = ("=", "+", "-", "@")
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")  # Excel refuses these in a sheet's name (a translation might use one)


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


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]], *,
           formats: dict[int, str] | None = None, first: bool = False) -> None:  # fmt: skip
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = "".join("-" if ch in SHEET_NAME_FORBIDDEN else ch for ch in title)[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
        for index, cell in enumerate(sheet[sheet.max_row]):
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            elif formats and index in formats and isinstance(cell.value, int | float):
                cell.number_format = formats[index]
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 22
    sheet.freeze_panes = "A2"


def tranche_header() -> list[str]:
    """Columns of the tranche table (the workbook's sheet and the CSV)."""
    labels = coupon_part_labels()
    return [
        _("Tranche"), _("Class"), _("Priority"), _("Size (CNY)"), _("Coupon paid in the model"),
        _("Coupon given by the structure"), _("Probability of shortfall"), _("Expected loss"),
        _("Expected loss standard error"), _("WAL (years)"), _("Expected yield"), _("Mean IRR"), _("IRR 5th percentile"),
        _("IRR median"), _("IRR 95th percentile"), _("Implied rating"), _("Expected-loss bound of the rating"),
        _("Target rating"), _("Meets the target"), _("Suggested coupon"), *(labels[k] for k in labels),
    ]  # fmt: skip


def tranche_rows(result: dict[str, Any]) -> list[list[Any]]:
    """One row per tranche, the stored numbers unchanged."""
    rows = []
    for t in result["tranches"]:
        irr = t.get("irr_percentiles") or {}
        coupon = t.get("suggested_coupon") or {}
        rows.append([
            t["name"], class_text(t["tranche_class"]), t["priority"], t["size"], t["coupon"], t["coupon_given"],
            t["probability_of_shortfall"], t["expected_loss"], t.get("expected_loss_standard_error"), t["wal_years"],
            t.get("expected_yield"), t.get("irr_mean"), irr.get("p5"), irr.get("p50"), irr.get("p95"),
            t["implied_rating"], t.get("expected_loss_threshold"), t["target_rating"], t.get("meets_target"),
            coupon.get("coupon"), *(coupon.get(k) for k in coupon_part_labels()),
        ])  # fmt: skip
    return rows


def _summary_rows(deal: Deal, run: ValuationRun) -> list[list[Any]]:
    r = run.result
    history = r.get("history") or {}
    coverage = r.get("coverage") or {}
    breakeven = r.get("breakeven") or {}
    market = run.market_parameters
    rows: list[list[Any]] = [
        [_("Deal"), deal.name], [_("Originator"), deal.originator.name], [_("Deal type"), deal.get_deal_type_display()],
        [_("Valuation run"), run.pk], [_("Finished at"), run.finished_at], [_("Paths"), r["n_paths"]],
        [_("Seed"), r["seed"]], [_("Engine"), r["engine_version"]],
        [_("Market parameters as of"), market.as_of.isoformat() if market else ""],
        [_("Benchmark"), market.benchmark_name if market else ""],
        [_("Horizon (months)"), r["horizon_months"]], [_("Payments per year"), r["periods_per_year"]],
        [_("Expected collections (CNY)"), r["projection"]["expected_total"]],
        [_("Regulatory-stop probability"), r.get("regulatory_stop_probability")],
        [_("Legal-risk haircut"), (r.get("legal_risk") or {}).get("haircut")],
    ]  # fmt: skip
    if history:
        rows += [[_("Revenue stability score"), history["stability_score"]], [_("Months of history"), history["months"]],
                 [_("Coefficient of variation"), history["coefficient_of_variation"]],
                 [_("Largest drawdown"), history["max_drawdown"]], [_("Top-1 customer share"), history["top1_share"]],
                 [_("Top-5 customer share"), history["top5_share"]], [_("HHI"), history["hhi"]]]  # fmt: skip
        labels = stability_part_labels()
        rows += [[_("Stability part: %(part)s") % {"part": labels.get(k, k)}, v["score"]]
                 for k, v in history["stability_parts"].items()]  # fmt: skip
    rows += [
        [_("Data cash-flow share"), coverage.get("data_cash_share")],
        [_("Senior coverage without guarantees"), coverage.get("senior_coverage_without_guarantees")],
        [_("Senior coverage with guarantees"), coverage.get("senior_coverage_with_guarantees")],
        [_("Guarantee dependence"), coverage.get("guarantee_dependence")],
        [_("Guarantee dependence (expected)"), coverage.get("guarantee_dependence_expected")],
        [_("Break-even stress of the senior"), breakeven.get("senior_haircut")],
        [_("Senior coverage multiple"), breakeven.get("senior_coverage_multiple")],
    ]
    rows += [[_("Break-even stress: %(tranche)s") % {"tranche": name}, cut]
             for name, cut in (breakeven.get("haircuts") or {}).items()]  # fmt: skip
    for m in r.get("max_senior_size") or []:
        label = (
            _("Largest senior at %(rating)s with guarantees")
            if m["with_guarantees"]
            else _("Largest senior at %(rating)s without guarantees")
        )
        rows.append([label % {"rating": m["target_rating"]}, m["senior_size"]])
    empowerment = r.get("empowerment")
    if empowerment:
        rows += [[_("Empowerment: %(field)s") % {"field": k.replace("_", " ")}, v] for k, v in empowerment.items()]
    return rows


def valuation_workbook(*, deal: Deal, run: ValuationRun) -> bytes:
    """The workbook's bytes (.xlsx): summary, tranches, stress, projection fan, DSCR histogram, appraisal, inputs."""
    r = run.result
    workbook = Workbook()
    _sheet(workbook, _("Summary"), [_("Field"), _("Value")], _summary_rows(deal, run), first=True)
    _sheet(workbook, _("Tranches"), tranche_header(), tranche_rows(r),
           formats={4: PERCENT, 6: PERCENT, 7: PERCENT_FINE, 8: PERCENT_FINE, 10: PERCENT, 11: PERCENT, 12: PERCENT,
                    13: PERCENT, 14: PERCENT, 16: PERCENT_FINE, 19: PERCENT, 20: PERCENT, 21: PERCENT, 22: PERCENT,
                    23: PERCENT, 24: PERCENT, 3: AMOUNT})  # fmt: skip
    stress = []
    for s in r.get("stress") or []:
        label, description = scenario_text(s, licence=r.get("deal_type") == "licence_revenue")
        for t in s["tranches"]:
            stress.append([s["scenario"], label, description, s.get("probability"), s["expected_collections"], t["name"],
                           t["expected_loss"], t["probability_of_shortfall"], t["wal_years"], t["implied_rating"],
                           t.get("market_value_change")])  # fmt: skip
    _sheet(workbook, _("Stress"),
           [_("Scenario code"), _("Scenario"), _("What it does"), _("Probability"), _("Expected collections (CNY)"),
            _("Tranche"), _("Expected loss"), _("Probability of shortfall"), _("WAL (years)"), _("Implied rating"),
            _("Change in market value")], stress,
           formats={3: PERCENT, 4: AMOUNT, 6: PERCENT, 7: PERCENT, 10: PERCENT})  # fmt: skip
    projection = r["projection"]
    fan = projection.get("percentiles_by_month") or {}
    keys = ["p5", "p25", "p50", "p75", "p95"]
    _sheet(workbook, _("Projection fan"),
           [_("Month"), *(_("%(p)s percentile (CNY)") % {"p": k[1:]} for k in keys), _("Mean (CNY)")],
           [[m + 1, *(fan[k][m] for k in keys), projection["mean_by_month"][m]] for m in range(projection["months"])],
           formats=dict.fromkeys(range(1, 7), AMOUNT))  # fmt: skip
    histogram = (r.get("dscr") or {}).get("histogram") or {"edges": [], "counts": []}
    edges, counts = histogram["edges"], histogram["counts"]
    total = sum(counts) or 1
    _sheet(workbook, _("DSCR histogram"), [_("Bin"), _("From"), _("To"), _("Path-periods"), _("Share")],
           [[label, edges[i], edges[i + 1], counts[i], counts[i] / total]
            for i, label in enumerate(dscr_bin_labels(edges))], formats={4: PERCENT})  # fmt: skip
    appraisal = r.get("appraisal") or {}
    _sheet(workbook, _("Appraisal"), [_("Field"), _("Value")], [
        [_("Income method (CNY)"), appraisal.get("income_value")], [_("Cost method (CNY)"), appraisal.get("cost_value")],
        [_("Market method (CNY)"), appraisal.get("market_value")],
        [_("Indicated value (CNY)"), appraisal.get("indicated_value")],
        [_("Quality coefficient"), appraisal.get("quality_coefficient")],
        [_("Divergence (highest / lowest - 1)"), appraisal.get("divergence_ratio")],
        [_("Divergence threshold"), appraisal.get("divergence_threshold")],
        [_("The methods diverge"), appraisal.get("divergent")], [_("Discount rate"), appraisal.get("discount_rate")],
        *[[_("Details: %(key)s") % {"key": key}, value] for key, value in (appraisal.get("details") or {}).items()],
    ])  # fmt: skip
    snapshot = [[_("inputs"), key, value] for key, value in (run.inputs or {}).items()]
    snapshot += [[_("assumptions"), key, value] for key, value in (r.get("assumptions") or {}).items()]
    _sheet(workbook, _("Inputs snapshot"), [_("Part"), _("Field"), _("Value")], snapshot)
    buffer = io.BytesIO()
    workbook.save(buffer)
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
