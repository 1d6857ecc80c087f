"""What the review page and the export show of each item: answers, evidence, findings, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deals.facts import fact_change_text

from .checks import finding_message
from .choices import CLOSED_OUTCOMES, ChecklistSection, ItemOutcome
from .models import AutomaticFinding, ChecklistTemplateItem, Evidence, ItemAnswer, ItemAssessment, ReviewItem
from .selectors import open_fact_findings_for


@dataclass
class ItemRow:
    """One checklist item with everything filed and found on it."""

    item: ReviewItem
    answers: list[ItemAnswer]
    current_evidence: list[Evidence]
    past_evidence: list[Evidence]
    open_automatic: list[dict[str, Any]]
    cleared_automatic: list[dict[str, Any]]
    assessments: list[ItemAssessment]
    errors: dict[str, str] = field(default_factory=dict)
    draft_answer: str = ""

    @property
    def template_item(self) -> ChecklistTemplateItem:
        return self.item.template_item

    @property
    def current_answer(self) -> ItemAnswer | None:
        return self.answers[-1] if self.answers else None

    @property
    def earlier_answers(self) -> list[ItemAnswer]:
        return list(reversed(self.answers[:-1]))

    @property
    def is_closed(self) -> bool:
        return self.item.outcome in CLOSED_OUTCOMES and not self.open_automatic

    @property
    def is_open_condition_precedent(self) -> bool:
        return self.template_item.condition_precedent and not self.is_closed

    @property
    def has_finding(self) -> bool:
        return self.item.outcome == ItemOutcome.FINDING or bool(self.open_automatic)

    @property
    def changed_since_assessment(self) -> bool:
        """The originator answered or filed something after the officer's latest finding."""
        if not self.item.assessed_at:
            return False
        latest = [a.created_at for a in self.answers] + [e.uploaded_at for e in self.current_evidence]
        return any(moment > self.item.assessed_at for moment in latest)

    @property
    def state(self) -> str:
        """For the badge: closed, finding, answered or open."""
        if self.is_closed:
            return "closed"
        if self.has_finding:
            return "finding"
        return "answered" if self.answers or self.current_evidence else "open"


def _finding_view(finding: AutomaticFinding) -> dict[str, Any]:
    return {
        "finding": finding,
        "message": finding_message(finding),
        "rule": finding.get_rule_display(),
        "severity": finding.get_severity_display(),
    }


def item_rows(items: list[ReviewItem], *, errors: dict[int, dict[str, str]] | None = None,
              drafts: dict[int, str] | None = None) -> list[ItemRow]:  # fmt: skip
    """Rows for items loaded by `selectors.review_items_with_history` (no further queries)."""
    rows = []
    for item in items:
        evidence = list(item.evidence.all())
        findings = list(item.automatic_findings.all())
        rows.append(
            ItemRow(
                item=item,
                answers=list(item.answers.all()),
                current_evidence=[e for e in evidence if e.is_current],
                past_evidence=[e for e in evidence if not e.is_current],
                open_automatic=[_finding_view(f) for f in findings if f.is_open],
                cleared_automatic=[_finding_view(f) for f in findings if not f.is_open],
                assessments=list(item.assessments.all()),
                errors=(errors or {}).get(item.pk, {}),
                draft_answer=(drafts or {}).get(item.pk, ""),
            )
        )
    return rows


def sections(rows: list[ItemRow]) -> list[tuple[str, list[ItemRow]]]:
    """Rows grouped by checklist section, in the order the checklist first uses each section."""
    grouped: dict[str, list[ItemRow]] = {}
    for row in rows:
        grouped.setdefault(row.template_item.section, []).append(row)
    return [(str(ChecklistSection(key).label), value) for key, value in grouped.items()]


def with_text(changes: Any) -> list[Any]:
    """Changes to a deal's facts, each with `text`: what changed, in the reader's language."""
    rows = list(changes)
    for change in rows:
        change.text = fact_change_text(change)
    return rows


def fact_findings_for(user: Any) -> list[Any]:
    """Open findings raised by changes to the facts of issued deals, with their text (the officer's list)."""
    return with_text(open_fact_findings_for(user))
