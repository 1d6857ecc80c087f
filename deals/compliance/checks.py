"""The automatic findings: checks the platform makes itself from the data it holds.

Each rule names the data asset and the rule, and attaches to the checklist item
whose answer or evidence addresses it. Document rules are met by a current
evidence file on that item covering the asset (or covering every asset of the
deal); data rules are met when the data changes (a renewed or newly registered
right, a released pledge, a pledge of a data-secured claim's data, a filing
number). `collect_violations` is read-only; the service
`review_refresh` raises what is new and clears what is gone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.audit import audit_reason_text
from deals.choices import CashSource, DealStatus, PledgeStatus
from deals.models import Deal, Pledge, PoolAsset
from origination.choices import ClassificationGrade, RightType
from origination.models import DataAsset, DataRight

from .choices import EvidenceStatus, FindingRule, Severity
from .models import AutomaticFinding, ComplianceReview, Evidence

R = FindingRule
# The checklist item (by code) that each rule's finding belongs to.
RULE_ITEM = {
    R.RIGHT_EXPIRES_BEFORE_MATURITY: "chain_of_title",
    R.PLEDGED_TO_ANOTHER_DEAL: "registration_pledge_filing",
    R.RISK_ASSESSMENT_MISSING: "classification_risk_assessment",
    R.PIPIA_MISSING: "pipia",
    R.SEPARATE_CONSENT_MISSING: "separate_consent",
    R.CROSS_BORDER_MECHANISM_MISSING: "cross_border",
    R.PLEDGE_NOT_FILED: "registration_pledge_filing",
    R.DATA_SECURED_NOT_PLEDGED: "registration_pledge_filing",
    R.RIGHT_MISSING: "chain_of_title",
}
# Every automatic rule flags a defect that can stop the deal (an unregistered pledge does not even exist,
# Civil Code art. 445), so all are high.
RULE_SEVERITY = dict.fromkeys(R, Severity.HIGH)
# Deals whose active pledge on an asset still binds it.
_LIVE_ELSEWHERE = {DealStatus.WITHDRAWN, DealStatus.REJECTED}


@dataclass(frozen=True)
class Violation:
    """One automatic finding as the data shows it now."""

    rule: str
    subject: str
    data_asset_id: int | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def item_code(self) -> str:
        return RULE_ITEM[self.rule]

    @property
    def severity(self) -> str:
        return RULE_SEVERITY[self.rule]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clipped to the end of a shorter month."""
    year, month = divmod(day.month - 1 + months, 12)
    first = dt.date(day.year + year, month + 1, 1)
    last_day = (_add_one_month(first) - dt.timedelta(days=1)).day
    return first.replace(day=min(day.day, last_day))


def _add_one_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def deal_maturity(deal: Deal) -> dt.date:
    """The date the data rights must last to: the legal maturity, else expected issue (or today) plus the tenor."""
    if deal.legal_maturity_date:
        return deal.legal_maturity_date
    start = deal.expected_issue_date or timezone.localdate()
    return add_months(start, deal.tenor_months)


def deal_data_assets(deal: Deal) -> list[DataAsset]:
    """The data assets behind the deal: those linked to its pool and those pledged to it."""
    return list(
        DataAsset.objects.filter(Q(pool_assets__deal=deal) | Q(pledges__deal=deal, pledges__status=PledgeStatus.ACTIVE))
        .distinct()
        .order_by("name", "pk")
    )


def _documents_on_file(review: ComplianceReview) -> set[tuple[str, int | None]]:
    """(item code, data asset id or None for 'every asset') of the review's current evidence."""
    return set(
        Evidence.objects.filter(item__review=review, status=EvidenceStatus.CURRENT).values_list(
            "item__template_item__code", "data_asset_id"
        )
    )


def _right_violations(deal: Deal, assets: list[DataAsset], maturity: dt.date) -> list[Violation]:
    latest: dict[tuple[int, str], DataRight] = {}
    # A revoked registration stays on record but is no longer a right held (docs/frozen_facts.md).
    for right in DataRight.objects.filter(data_asset__in=assets, revoked_at__isnull=True).order_by("expires_on", "pk"):
        latest[(right.data_asset_id, right.right_type)] = right  # the last one expires latest
    names = {asset.pk: asset.name for asset in assets}
    # Each of the three separated rights ("Data 20 Articles", arts. (3) to (5)) must be registered for the asset.
    missing = [
        Violation(
            R.RIGHT_MISSING,
            f"right:{asset.pk}:{right_type}",
            asset.pk,
            {"asset": asset.name, "right_type": right_type},
        )
        for asset in assets
        for right_type in RightType.values
        if (asset.pk, right_type) not in latest
    ]
    return missing + [
        Violation(
            R.RIGHT_EXPIRES_BEFORE_MATURITY,
            f"right:{asset_id}:{right_type}",
            asset_id,
            {
                "asset": names[asset_id],
                "right_type": right_type,
                "certificate_no": right.certificate_no,
                "expires_on": right.expires_on.isoformat(),
                "maturity": maturity.isoformat(),
            },
        )
        for (asset_id, right_type), right in sorted(latest.items())
        if right.expires_on < maturity
    ]


def _data_secured_violations(deal: Deal) -> list[Violation]:
    """A claim secured by data is secured only if at least one of its data assets is actively pledged to this deal."""
    claims = list(
        PoolAsset.objects.filter(deal=deal, cash_source=CashSource.DATA_SECURED)
        .prefetch_related("data_assets")
        .order_by("pk")
    )
    if not claims:
        return []
    pledged = set(Pledge.objects.filter(deal=deal, status=PledgeStatus.ACTIVE).values_list("data_asset_id", flat=True))
    found = []
    for claim in claims:
        assets = sorted(claim.data_assets.all(), key=lambda a: (a.name, a.pk))
        if any(asset.pk in pledged for asset in assets):
            continue
        found.append(
            Violation(
                R.DATA_SECURED_NOT_PLEDGED,
                f"claim:{claim.pk}",
                assets[0].pk if assets else None,
                {"claim": claim.obligor, "claim_id": claim.pk, "asset": ", ".join(a.name for a in assets)},
            )
        )
    return found


def _pledge_violations(deal: Deal, assets: list[DataAsset]) -> list[Violation]:
    found = []
    elsewhere = (
        Pledge.objects.filter(data_asset__in=assets, status=PledgeStatus.ACTIVE)
        .exclude(deal=deal)
        .exclude(deal__status__in=_LIVE_ELSEWHERE)
        .select_related("deal", "data_asset")
        .order_by("pk")
    )
    for pledge in elsewhere:
        found.append(
            Violation(
                R.PLEDGED_TO_ANOTHER_DEAL,
                f"pledge:{pledge.pk}",
                pledge.data_asset_id,
                {"asset": pledge.data_asset.name, "other_deal": pledge.deal.name, "other_deal_id": pledge.deal_id},
            )
        )
    unfiled = (
        Pledge.objects.filter(deal=deal, status=PledgeStatus.ACTIVE)
        .filter(Q(registry_filing_no="") | Q(filed_on__isnull=True))
        .select_related("data_asset")
        .order_by("pk")
    )
    for pledge in unfiled:
        found.append(
            Violation(
                R.PLEDGE_NOT_FILED, f"pledge:{pledge.pk}", pledge.data_asset_id, {"asset": pledge.data_asset.name}
            )
        )
    return found


# (rule, when it applies to an asset); the rule's item (RULE_ITEM) holds the evidence that meets it.
_DOCUMENT_RULES = (
    (R.RISK_ASSESSMENT_MISSING, lambda a: a.classification_grade != ClassificationGrade.GENERAL),
    (R.PIPIA_MISSING, lambda a: a.has_personal_info),
    (R.SEPARATE_CONSENT_MISSING, lambda a: a.has_sensitive_personal_info),
    (R.CROSS_BORDER_MECHANISM_MISSING, lambda a: a.cross_border_flow),
)


def _document_violations(review: ComplianceReview, assets: list[DataAsset]) -> list[Violation]:
    on_file = _documents_on_file(review)
    found = []
    for rule, applies in _DOCUMENT_RULES:
        code = RULE_ITEM[rule]
        for asset in assets:
            if applies(asset) and (code, None) not in on_file and (code, asset.pk) not in on_file:
                found.append(
                    Violation(
                        rule,
                        f"asset:{asset.pk}",
                        asset.pk,
                        {"asset": asset.name, "grade": asset.classification_grade},
                    )
                )
    return found


def collect_violations(review: ComplianceReview) -> list[Violation]:
    """Every automatic finding the deal's data shows now (read-only)."""
    deal = review.deal
    assets = deal_data_assets(deal)
    maturity = deal_maturity(deal)
    return [
        *_right_violations(deal, assets, maturity),
        *_pledge_violations(deal, assets),
        *_data_secured_violations(deal),
        *_document_violations(review, assets),
    ]


def finding_message(finding: AutomaticFinding | Violation) -> str:
    """What the finding says, in the active language, naming the asset and what is missing or wrong."""
    d = finding.details
    asset = d.get("asset", "")
    rule = finding.rule
    if rule == R.RIGHT_EXPIRES_BEFORE_MATURITY:
        right = RightType(d["right_type"]).label if d.get("right_type") in RightType.values else d.get("right_type")
        return _(
            "%(right)s of “%(asset)s” (certificate %(certificate)s) expires on %(expires)s, before the deal's "
            "legal maturity on %(maturity)s."
        ) % {
            "right": right,
            "asset": asset,
            "certificate": d.get("certificate_no", ""),
            "expires": d.get("expires_on", ""),
            "maturity": d.get("maturity", ""),
        }
    if rule == R.RIGHT_MISSING:
        right = RightType(d["right_type"]).label if d.get("right_type") in RightType.values else d.get("right_type")
        return _(
            "%(right)s of “%(asset)s” is not registered: a deal needs all three rights to its data (the Data 20 "
            "Articles, arts. (3) to (5))."
        ) % {"right": right, "asset": asset}
    if rule == R.DATA_SECURED_NOT_PLEDGED:
        if not asset:
            return _(
                "The claim on “%(claim)s” is secured by data but no data asset is linked to it, so nothing is "
                "pledged to this deal."
            ) % {"claim": d.get("claim", "")}
        return _(
            "The claim on “%(claim)s” is secured by data, but none of its data assets (%(assets)s) has an active "
            "pledge to this deal: pledge it and file the pledge (Civil Code art. 440)."
        ) % {"claim": d.get("claim", ""), "assets": asset}
    if rule == R.FACTS_CHANGED_AFTER_ISSUE:
        change = json.dumps(d.get("params") or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return _(
            "A fact the issued deal relies on changed after issue: %(change)s Assess its effect on the notes and on "
            "the investors, who see it on the product page."
        ) % {"change": audit_reason_text(d.get("action", ""), change)}
    if rule == R.PLEDGED_TO_ANOTHER_DEAL:
        return _("“%(asset)s” is also pledged to the active deal “%(deal)s”.") % {
            "asset": asset,
            "deal": d.get("other_deal", ""),
        }
    if rule == R.PLEDGE_NOT_FILED:
        return _(
            "The pledge of “%(asset)s” has no filing in the PBoC unified movable-property registry "
            "(filing number and date)."
        ) % {"asset": asset}
    messages = {
        R.RISK_ASSESSMENT_MISSING: _(
            "“%(asset)s” is graded “%(grade)s” and no risk assessment report is on file (DSL art. 30)."
        ),
        R.PIPIA_MISSING: _("“%(asset)s” holds personal information and no PIPIA report is on file (PIPL art. 55)."),
        R.SEPARATE_CONSENT_MISSING: _(
            "“%(asset)s” holds sensitive personal information and no record of separate consent is on file "
            "(PIPL arts. 23, 29)."
        ),
        R.CROSS_BORDER_MECHANISM_MISSING: _(
            "“%(asset)s” flows across the border and no transfer mechanism (security assessment, certification "
            "or standard contract) is on file (PIPL art. 38)."
        ),
    }
    grade = ClassificationGrade(d["grade"]).label if d.get("grade") in ClassificationGrade.values else ""
    return messages[rule] % {"asset": asset, "grade": grade}
