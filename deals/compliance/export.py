"""The review as an Excel workbook a regulator can read: summary, items, answers, evidence, findings, audit trail.

Every item, every version of every answer, every document with its SHA-256,
every automatic finding (open and cleared), every finding the officer recorded,
and the deal's hash-chained audit log with its verification, in the reader's
language; the checklist's legal texts are given in Chinese and English.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from deals.audit import audit_action_label, audit_reason_text, audit_verify
from deals.audit_read import may_read_audit_event
from deals.models import AuditEvent
from origination.models import User

from .checks import finding_message
from .choices import Severity
from .models import ComplianceReview
from .presenters import item_rows
from .selectors import legal_risk_for, review_counts, review_items_with_history

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %z")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value if isinstance(value, int | float) else str(value)


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]], *, first: bool = False) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_text(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text typed by users is never a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, _title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 24
    sheet.freeze_panes = "A2"


def _person(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def review_workbook(*, review: ComplianceReview, user: User) -> bytes:
    """The workbook's bytes (.xlsx)."""
    deal = review.deal
    rows = item_rows(review_items_with_history(review))
    counts = review_counts(review=review)
    risk = legal_risk_for(deal)
    verification = audit_verify(deal_ids=[deal.pk])
    template = review.template
    workbook = Workbook()
    summary = [
        [_("Deal"), deal.name],
        [_("Originator"), deal.originator.name],
        [_("Unified social credit code"), deal.originator.uscc],
        [_("Deal type"), deal.get_deal_type_display()],
        [_("Status"), deal.get_status_display()],
        [_("Legal maturity date"), deal.legal_maturity_date.isoformat() if deal.legal_maturity_date else ""],
        [_("Checklist"), f"{template.title_zh} / {template.title_en}"],
        [_("Checklist version"), template.version],
        [_("Times submitted"), review.submissions],
        [_("Automatic checks last run"), review.checked_at],
        [_("Items"), len(rows)],
        [_("Items not yet assessed"), counts["not_assessed"]],
        [_("Open conditions precedent"), counts["open_conditions_precedent"]],
        [_("Open findings"), counts["open_findings"]],
        *[
            [_("Open findings: %(severity)s") % {"severity": Severity(s).label}, n]
            for s, n in risk.risk.open_findings.items()
        ],  # fmt: skip
        [_("Legal-risk haircut"), round(risk.risk.haircut, 6)],
        [_("Regulatory-stop probability over the deal's life"), round(risk.risk.regulatory_stop_probability_life, 6)],
        [_("Audit chain verified"), verification.ok],
        [_("Exported at"), timezone.now()],
        [_("Exported by"), f"{_person(user)} ({user.get_role_display()})"],
    ]
    _sheet(workbook, _("Summary"), [_("Field"), _("Value")], summary, first=True)
    _sheet(
        workbook,
        _("Items"),
        [_("No."), _("Code"), _("Title (Chinese)"), _("Title (English)"), _("Legal basis (Chinese)"),
         _("Legal basis (English)"), _("Answered by"), _("Evidence required"), _("Condition precedent"),
         _("Current answer"), _("Answer version"), _("Officer's finding"), _("Severity"), _("Comment"),
         _("Assessed by"), _("Assessed at"), _("Open automatic findings")],
        [
            [r.template_item.position, r.template_item.code, r.template_item.title_zh, r.template_item.title_en,
             r.template_item.legal_basis_zh, r.template_item.legal_basis_en, r.template_item.get_answered_by_display(),
             r.template_item.evidence_required, r.template_item.condition_precedent,
             r.current_answer.text if r.current_answer else "", r.current_answer.version if r.current_answer else "",
             r.item.get_outcome_display(), r.item.get_severity_display(), r.item.comment, _person(r.item.assessed_by),
             r.item.assessed_at, " ".join(f["message"] for f in r.open_automatic)]
            for r in rows
        ],
    )  # fmt: skip
    _sheet(
        workbook,
        _("Answers"),
        [_("No."), _("Code"), _("Version"), _("Answer"), _("Author"), _("At")],
        [[r.template_item.position, r.template_item.code, a.version, a.text, _person(a.author), a.created_at]
         for r in rows for a in r.answers],
    )  # fmt: skip
    _sheet(
        workbook,
        _("Evidence"),
        [_("No."), _("Code"), _("File name"), _("Type"), _("Size (bytes)"), _("SHA-256"), _("Covers"), _("Status"),
         _("Replaces document"), _("Uploaded by"), _("Uploaded at"), _("Status changed at"), _("Document id")],
        [[r.template_item.position, r.template_item.code, e.file_name, e.content_type, e.size, e.sha256,
          e.data_asset.name if e.data_asset else _("every data asset of the deal"), e.get_status_display(),
          e.replaces_id or "", _person(e.uploaded_by), e.uploaded_at, e.status_changed_at, e.pk]
         for r in rows for e in [*r.current_evidence, *r.past_evidence]],
    )  # fmt: skip
    findings = review.automatic_findings.select_related("item__template_item", "data_asset").order_by("raised_at", "pk")
    _sheet(
        workbook,
        _("Automatic findings"),
        [_("No."), _("Code"), _("Rule"), _("Data asset"), _("Severity"), pgettext("what the platform found", "Finding"),
         _("Raised at"), _("Cleared at"), _("Open")],
        [[f.item.template_item.position if f.item else "", f.item.template_item.code if f.item else "",
          f.get_rule_display(), f.details.get("asset", ""), f.get_severity_display(), finding_message(f),
          f.raised_at, f.cleared_at, f.is_open] for f in findings],
    )  # fmt: skip
    _sheet(
        workbook,
        _("Officer's findings"),
        [_("No."), _("Code"), pgettext("the officer's outcome on an item", "Finding"), _("Severity"), _("Comment"),
         _("Officer"), _("At")],
        [[r.template_item.position, r.template_item.code, a.get_outcome_display(), a.get_severity_display(),
          a.comment, _person(a.officer), a.created_at] for r in rows for a in r.assessments],
    )  # fmt: skip
    # The book's events only as the reader may see the book (compliance officers do not); the verification
    # above covers the whole chain.
    events = [
        e for e in AuditEvent.objects.filter(deal=deal).order_by("sequence") if may_read_audit_event(user, deal, e)
    ]
    problems = [[_("Verification"), p["problem"]] for p in verification.problems]
    _sheet(
        workbook,
        _("Audit trail"),
        [_("Sequence"), _("When"), _("Who"), _("Action"), _("What happened"), _("From"), _("To"), _("Reason"),
         _("Reason as recorded (hashed)"), _("Previous hash"), _("Hash")],
        [[e.sequence, e.created_at, e.actor_label, e.action, audit_action_label(e.action), e.from_status,
          e.to_status, audit_reason_text(e.action, e.reason), e.reason, e.prev_hash, e.hash] for e in events]
        + problems,
    )  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def review_workbook_response(*, review: ComplianceReview, user: User) -> HttpResponse:
    """The workbook as a download."""
    response = HttpResponse(review_workbook(review=review, user=user), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="compliance-review-deal-{review.deal_id}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
