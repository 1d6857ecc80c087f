"""Choices of the compliance review: checklist sections, who answers, outcomes, severities, automatic rules."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from deals.choices import DealStatus


class ChecklistSection(models.TextChoices):
    """The part of the checklist an item belongs to."""

    PERSONAL_INFORMATION = "personal_information", _("Personal information protection")
    DATA_SECURITY = "data_security", _("Data security")
    TITLE = "title", _("Title and registration")
    TRANSACTION = "transaction", _("Transaction structure")
    OPINION = "opinion", _("Legal opinion")


class Responder(models.TextChoices):
    """Who provides the answer and evidence of an item (the originator's staff files it on the platform)."""

    ORIGINATOR = "originator", _("Originator")
    MANAGER = "manager", _("Plan manager")
    LAW_FIRM = "law_firm", _("Law firm")
    ASSESSOR = "assessor", _("Assessment body")


class ItemOutcome(models.TextChoices):
    """The compliance officer's finding on one checklist item ("" while not assessed)."""

    PASS = "pass", _("Pass")
    FINDING = "finding", _("Finding")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


# An item counts as closed when the officer passed it or found it not applicable.
CLOSED_OUTCOMES = frozenset({ItemOutcome.PASS, ItemOutcome.NOT_APPLICABLE})


class Severity(models.TextChoices):
    """How much an open finding weighs on the deal's legal risk (see legal_risk.py)."""

    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


SEVERITY_ORDER = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)


class EvidenceStatus(models.TextChoices):
    """A document stays on record when it is replaced by a newer version or withdrawn."""

    CURRENT = "current", _("Current")
    REPLACED = "replaced", _("Replaced")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class FindingRule(models.TextChoices):
    """The checks the platform makes itself from the data it holds."""

    RIGHT_EXPIRES_BEFORE_MATURITY = "right_expires_before_maturity", _("Data right expires before legal maturity")
    PLEDGED_TO_ANOTHER_DEAL = "pledged_to_another_deal", _("Data asset pledged to another active deal")
    RISK_ASSESSMENT_MISSING = "risk_assessment_missing", _("Important or core data without a risk assessment")
    PIPIA_MISSING = "pipia_missing", _("Personal information without a PIPIA")
    SEPARATE_CONSENT_MISSING = "separate_consent_missing", _("Sensitive personal information without separate consent")
    CROSS_BORDER_MECHANISM_MISSING = "cross_border_mechanism_missing", _("Cross-border flow without a mechanism")
    PLEDGE_NOT_FILED = "pledge_not_filed", _("Pledge without a registry filing")
    DATA_SECURED_NOT_PLEDGED = "data_secured_not_pledged", _("Data-secured claim without an active pledge of its data")
    RIGHT_MISSING = "right_missing", _("Data asset without one of its three data rights")
    FACTS_CHANGED_AFTER_ISSUE = "facts_changed_after_issue", _("A fact of the issued deal changed")


class FactChangeOutcome(models.TextChoices):
    """What a change to its frozen facts did to a deal (docs/frozen_facts.md)."""

    RECORDED = "recorded", _("Recorded for the review")
    REVIEW_REOPENED = "review_reopened", _("Review reopened")
    FINDING_RAISED = "finding_raised", _("Finding raised")


# The review is being worked: the platform keeps its automatic findings up to date and the originator may answer.
IN_PROGRESS_STATES = frozenset({DealStatus.SUBMITTED, DealStatus.IN_REVIEW, DealStatus.CHANGES_REQUESTED})
ANSWERABLE_STATES = IN_PROGRESS_STATES
# The officer records findings only on a deal taken into review.
ASSESSABLE_STATES = frozenset({DealStatus.IN_REVIEW})
# The decisions an officer takes from the review page; each is a workflow move with its audit event.
DECISIONS = ("start_review", "request_changes", "approve", "reject")
