"""The rows the matching engine reads, from the database: the investors' mandates and the tranches on the market.

The matching job (investors/match_jobs.py) and the live reads of one investor's
candidates (investors/match_candidates.py) build their engine inputs here, so
both see a tranche alike. A tranche's valuation part is read through
`TrancheRiskInputs` (deals/product_risk.py), the shape the valuation job wrote
it in (docs/matching.md, "The risk inputs").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deals.choices import DealStatus
from deals.compliance.choices import FindingRule
from deals.compliance.models import AutomaticFinding, ComplianceReview
from deals.models import Deal, Tranche
from deals.product_risk import TrancheRiskInputs
from origination.models import DataAsset

from .models import RiskProfile

# Products on the market: published, and still taking orders in book building.
MARKET_STATES = frozenset({DealStatus.PUBLISHED, DealStatus.BOOK_BUILDING})

# The mandate as the engine reads it (encode_investors).
PROFILE_FIELDS = (
    "risk_tolerance", "min_rating", "max_tenor_months", "min_coupon", "ticket_min", "ticket_max",
    "allowed_deal_types", "excluded_industries", "no_personal_info", "require_pipia", "max_guarantee_dependence",
)  # fmt: skip


def profile_row(profile: RiskProfile) -> dict[str, Any]:
    """One investor's mandate as the engine reads it."""
    return {name: getattr(profile, name) for name in PROFILE_FIELDS}


def investor_rows(*, investor_id: int | None = None) -> tuple[list[int], list[dict[str, Any]]]:
    """Every investor's mandate (or one investor's), by investor id: the ids and the rows, aligned."""
    profiles = RiskProfile.objects.order_by("investor_id")
    if investor_id is not None:
        profiles = profiles.filter(investor_id=investor_id)
    ids, rows = [], []
    for p in profiles.values("investor_id", *PROFILE_FIELDS):
        ids.append(p.pop("investor_id"))
        rows.append(p)
    return ids, rows


def deal_privacy_facts(*, deal_ids: Sequence[int]) -> dict[int, tuple[bool, bool]]:
    """Per deal: (its pool's data holds personal information, a PIPIA is on file for it).

    A PIPIA is on file when the deal's compliance review holds no open
    automatic finding "personal information without a PIPIA" (PIPL art. 55).
    """
    with_pi = set(
        DataAsset.objects.filter(pool_assets__deal_id__in=deal_ids, has_personal_info=True).values_list(
            "pool_assets__deal_id", flat=True
        )
    )
    reviewed = set(ComplianceReview.objects.filter(deal_id__in=deal_ids).values_list("deal_id", flat=True))
    pipia_missing = set(
        AutomaticFinding.objects.filter(
            review__deal_id__in=deal_ids, rule=FindingRule.PIPIA_MISSING, cleared_at__isnull=True
        ).values_list("review__deal_id", flat=True)
    )
    return {d: (d in with_pi, d in with_pi and d in reviewed and d not in pipia_missing) for d in deal_ids}


def tranche_match_row(tranche: Tranche, deal: Deal, privacy: tuple[bool, bool]) -> dict[str, Any] | None:
    """The engine's view of a tranche, from its deal and its latest valuation; None if not valued yet.

    The coupon is the tranche's, or the valuation's suggested one until it is set (0 when there is neither).
    """
    inputs = TrancheRiskInputs.of(tranche.product_risk_factors)
    if not tranche.product_risk_level or inputs is None:
        return None
    return {
        "risk_level": tranche.product_risk_level,
        "rating": inputs.rating,
        "tenor_months": deal.tenor_months,
        "coupon": tranche.coupon if tranche.coupon is not None else (inputs.suggested_coupon or 0.0),
        "size": tranche.size,
        "deal_type": deal.deal_type,
        "industry": deal.originator.industry,
        "has_personal_info": privacy[0],
        "has_pipia": privacy[1],
        "guarantee_dependence": inputs.guarantee_dependence,
        "underlying_rating": inputs.underlying_rating,
        "stability_score": inputs.stability_score,
        "data_share": inputs.data_share,
    }


def tranche_rows(tranches: Sequence[Tranche]) -> list[dict[str, Any] | None]:
    """The engine's row of each tranche (None where not valued), aligned; the privacy facts read once."""
    privacy = deal_privacy_facts(deal_ids=sorted({t.deal_id for t in tranches}))
    return [tranche_match_row(t, t.deal, privacy[t.deal_id]) for t in tranches]


@dataclass(frozen=True)
class MarketTranches:
    """The valued tranches on the market and their engine rows, aligned; how many were left out as not valued."""

    tranches: list[Tranche]
    rows: list[dict[str, Any]]
    unvalued: int


def market_tranches(*, deal_id: int | None = None) -> MarketTranches:
    """The tranches on the market (or one deal's, if it is on the market), by deal and payment priority."""
    tranches = Tranche.objects.select_related("deal", "deal__originator").filter(deal__status__in=MARKET_STATES)
    if deal_id is not None:
        tranches = tranches.filter(deal_id=deal_id)
    every = list(tranches.order_by("deal_id", "payment_priority"))
    kept, rows = [], []
    for tranche, row in zip(every, tranche_rows(every), strict=True):
        if row is not None:
            kept.append(tranche)
            rows.append(row)
    return MarketTranches(tranches=kept, rows=rows, unvalued=len(every) - len(kept))
