"""Deal choices and the workflow: statuses, named groups of states, and the transition map."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from origination.choices import Role


class DealType(models.TextChoices):
    """The three transaction models of the market; the first two are 'data asset ABS'."""

    LICENCE_REVENUE = "licence_revenue", _("Data asset ABS: licence revenue")
    DATA_PLEDGE = "data_pledge", _("Data asset ABS: data-pledge loans and receivables")
    EMPOWERMENT = "empowerment", _("Data asset empowerment ABS")


DATA_ASSET_ABS_TYPES = frozenset({DealType.LICENCE_REVENUE, DealType.DATA_PLEDGE})


class PaymentFrequency(models.TextChoices):
    """How often the notes pay; the value is periods per year."""

    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Semi-annual")
    ANNUAL = "annual", _("Annual")


PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}


class Exchange(models.TextChoices):
    """Where the notes are listed."""

    SSE = "SSE", _("Shanghai Stock Exchange")
    SZSE = "SZSE", _("Shenzhen Stock Exchange")
    BSE = "BSE", _("Beijing Stock Exchange")
    INTERBANK = "interbank", _("Interbank bond market")


class PoolAssetKind(models.TextChoices):
    """What a pool asset is."""

    LICENCE_REVENUE = "licence_revenue", _("Licence revenue stream")
    LOAN = "loan", _("Loan")
    RECEIVABLE = "receivable", _("Receivable")
    LEASE = "lease", _("Lease")


class EnhancementKind(models.TextChoices):
    """Credit enhancement of a deal."""

    EXTERNAL_GUARANTEE = "external_guarantee", _("External guarantee")
    RESERVE_ACCOUNT = "reserve_account", _("Reserve account")
    OVERCOLLATERALISATION = "overcollateralisation", _("Overcollateralisation")
    SUBORDINATION = "subordination", _("Subordination")


class GuarantorType(models.TextChoices):
    """Who stands behind an external guarantee."""

    GUARANTEE_COMPANY = "guarantee_company", _("Guarantee company")
    BANK_GUARANTEE_LETTER = "bank_guarantee_letter", _("Bank guarantee letter")
    STATE_OWNED_DEBTOR = "state_owned_debtor", _("State-owned debtor")


class TrancheClass(models.TextChoices):
    """Seniority of a tranche."""

    SENIOR = "senior", _("Senior A")
    MEZZANINE = "mezzanine", _("Mezzanine B")
    SUBORDINATED = "subordinated", _("Subordinated")


class PledgeStatus(models.TextChoices):
    """A pledge is active until released."""

    ACTIVE = "active", _("Active")
    RELEASED = "released", _("Released")


class DealStatus(models.TextChoices):
    """Where a deal stands in origination."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    COMPLIANCE_APPROVED = "compliance_approved", _("Compliance approved")
    VALUING = "valuing", _("Valuing")
    VALUED = "valued", _("Valued")
    PUBLISHED = "published", _("Published")
    BOOK_BUILDING = "book_building", _("Book building")
    ISSUED = "issued", _("Issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = DealStatus
TERMINAL_STATES = frozenset({S.REJECTED, S.ISSUED, S.WITHDRAWN})
# Deals an investor may see: they are on the market or have been issued.
PUBLIC_STATES = frozenset({S.PUBLISHED, S.BOOK_BUILDING, S.ISSUED})
# Deals compliance sees: everything that has ever been submitted.
REVIEWABLE_STATES = frozenset(set(S) - {S.DRAFT})
# The originator may still edit the application (pool, tranches, enhancement).
EDITABLE_STATES = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
# The arranger's system actor: the worker that finishes a valuation.
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    """One workflow move: from which states, to which, who may make it, and whether a reason is required."""

    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    label: str
    reason_required: bool = False


_WITHDRAWABLE = frozenset(set(S) - TERMINAL_STATES)

ALLOWED_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("submit", frozenset({S.DRAFT, S.CHANGES_REQUESTED}), S.SUBMITTED, frozenset({Role.ORIGINATOR}), _("Submit for review")),
        Transition("start_review", frozenset({S.SUBMITTED}), S.IN_REVIEW, frozenset({Role.COMPLIANCE}), _("Start review")),
        Transition("request_changes", frozenset({S.IN_REVIEW}), S.CHANGES_REQUESTED, frozenset({Role.COMPLIANCE}), _("Request changes"), reason_required=True),
        Transition("reject", frozenset({S.IN_REVIEW}), S.REJECTED, frozenset({Role.COMPLIANCE}), _("Reject"), reason_required=True),
        Transition("approve", frozenset({S.IN_REVIEW}), S.COMPLIANCE_APPROVED, frozenset({Role.COMPLIANCE}), _("Approve")),
        Transition("start_valuation", frozenset({S.COMPLIANCE_APPROVED}), S.VALUING, frozenset({Role.ARRANGER, SYSTEM}), _("Start valuation")),
        Transition("complete_valuation", frozenset({S.VALUING}), S.VALUED, frozenset({SYSTEM}), _("Complete valuation")),
        Transition("fail_valuation", frozenset({S.VALUING}), S.COMPLIANCE_APPROVED, frozenset({SYSTEM, Role.ARRANGER}), _("Valuation failed"), reason_required=True),
        Transition("publish", frozenset({S.VALUED}), S.PUBLISHED, frozenset({Role.ARRANGER}), _("Publish")),
        Transition("open_book", frozenset({S.PUBLISHED}), S.BOOK_BUILDING, frozenset({Role.ARRANGER}), _("Open book building")),
        Transition("issue", frozenset({S.BOOK_BUILDING}), S.ISSUED, frozenset({Role.ARRANGER}), _("Issue")),
        Transition("withdraw", _WITHDRAWABLE, S.WITHDRAWN, frozenset({Role.ORIGINATOR}), _("Withdraw"), reason_required=True),
    ]
}  # fmt: skip
