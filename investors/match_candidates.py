"""One investor's match candidates, for its product pages: every matching decision the pages show is made here.

`match_candidates_for(profile=..., deal=None)`
    Without a deal: the investor's products on the market. The pairs the last
    matching run stored (suitable ones, and those above its risk level: the
    special-warning flow), then its near misses, computed now by the engine (they
    are not stored). With a deal: every valued tranche of that deal on the
    market against the investor, computed now, whatever it fails.
`product_page_for(profile=..., deal=...)`
    A product page: every tranche of the deal with its candidate, its facts, and
    whether the special warning is shown or interest may be registered.

Each candidate carries its `Fit` (suitable, above level, near miss, outside),
every rule in words with the change a failed one needs, and the score's parts.
The rules, the score and the near misses are described in docs/matching.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from deals.models import Deal, Tranche

from .match_reasons import Reason, components, explain
from .match_rows import MARKET_STATES, market_tranches, profile_row, tranche_rows
from .matching import build_vocabulary, encode_investors, encode_tranches, iter_match_blocks
from .matching_rules import RISK_LEVEL_ONLY, near_miss_mask
from .models import Match, RiskProfile
from .suitability import above_level, confirmed_warnings, warning_text


class Fit(StrEnum):
    """How a product fits an investor's mandate, from the rules it fails."""

    SUITABLE = "suitable"  # every rule passes
    ABOVE_LEVEL = "above_level"  # only the risk level fails: opened after the special warning, confirmed
    NEAR_MISS = "near_miss"  # exactly one relaxable rule fails, not the risk level
    OUTSIDE = "outside"  # anything else: two rules or more, or a privacy rule


def near_miss(failed_rules: Any) -> np.ndarray:
    """True where a pair is a near miss: it fails exactly one relaxable rule, and that rule is not the risk level."""
    failed = np.asarray(failed_rules, dtype=np.uint16)
    return near_miss_mask(failed) & (failed != RISK_LEVEL_ONLY)


def fit_of(failed_rules: int) -> Fit:
    """The fit of a pair from its failed rules (the engine's bit mask)."""
    if failed_rules == 0:
        return Fit.SUITABLE
    if failed_rules == RISK_LEVEL_ONLY:
        return Fit.ABOVE_LEVEL
    if bool(near_miss(failed_rules)):
        return Fit.NEAR_MISS
    return Fit.OUTSIDE


@dataclass(frozen=True)
class MatchCandidate:
    """One tranche against one investor: its fit, score, failed rules and reasons, and the engine's row of it."""

    tranche: Tranche
    deal: Deal
    score: float  # 0-100, rounded to 4 decimals
    failed_rules: int  # the engine's bit mask (investors/matching_rules.py RULES)
    fit: Fit
    facts: dict[str, Any]  # the tranche as the engine read it (investors/match_rows.py tranche_match_row)
    reasons: tuple[Reason, ...]  # every rule in words, passed or failed, with the change a failed one needs
    components: tuple[tuple[str, float], ...]  # the score's parts: (label, points)
    stored: bool  # True: from the last matching run; False: computed now

    @property
    def tranche_id(self) -> int:
        return self.tranche.pk

    @property
    def deal_id(self) -> int:
        return self.deal.pk

    @property
    def eligible(self) -> bool:
        return self.fit == Fit.SUITABLE

    @property
    def warning_only(self) -> bool:
        return self.fit == Fit.ABOVE_LEVEL

    @property
    def failed(self) -> list[Reason]:
        """The rules that fail, in words."""
        return [r for r in self.reasons if not r.passed]


@dataclass(frozen=True)
class _Pair:
    tranche: Tranche
    row: dict[str, Any]
    score: float
    failed_rules: int
    stored: bool


def _score(profile: dict[str, Any], rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """The engine on one investor and these tranche rows: failed rules (uint16) and score (float32), aligned."""
    failed = np.zeros(len(rows), dtype=np.uint16)
    score = np.zeros(len(rows), dtype=np.float32)
    if not rows:
        return failed, score
    vocabulary = build_vocabulary(investor_rows=[profile])
    investors = encode_investors(rows=[profile], vocabulary=vocabulary)
    tranches = encode_tranches(rows=rows, vocabulary=vocabulary)
    for block in iter_match_blocks(investors=investors, tranches=tranches):
        failed[block.tranche_slice] = block.failed_rules[0]
        score[block.tranche_slice] = block.score[0]
    return failed, score


def _live_pairs(tranches: Sequence[Tranche], rows: Sequence[dict[str, Any]], profile: dict[str, Any]) -> list[_Pair]:
    failed, score = _score(profile, rows)
    return [
        _Pair(tranche, row, round(float(s), 4), int(f), stored=False)
        for tranche, row, f, s in zip(tranches, rows, failed.tolist(), score.tolist(), strict=True)
    ]


def _candidates(pairs: list[_Pair], profile: dict[str, Any]) -> list[MatchCandidate]:
    """The pairs as candidates, in their order, with their reasons and the score's parts (one engine call)."""
    parts = components(profiles=[profile] * len(pairs), tranches=[p.row for p in pairs])
    return [
        MatchCandidate(
            tranche=p.tranche,
            deal=p.tranche.deal,
            score=p.score,
            failed_rules=p.failed_rules,
            fit=fit_of(p.failed_rules),
            facts=p.row,
            reasons=tuple(explain(profile=profile, tranche=p.row, failed_rules=p.failed_rules)),
            components=tuple(part),
            stored=p.stored,
        )  # fmt: skip
        for p, part in zip(pairs, parts, strict=True)
    ]


def match_candidates_for(*, profile: RiskProfile, deal: Deal | None = None) -> list[MatchCandidate]:
    """The investor's candidates: on the whole market (stored ones, then near misses), or on one deal (every pair).

    Without a deal: the stored pairs, suitable first, then best score first (ties:
    lower tranche id), then the near misses computed now on the tranches the run
    did not store, best score first. With a deal: its valued tranches by payment
    priority, none if it is not on the market.
    """
    row = profile_row(profile)
    if deal is not None:
        market = market_tranches(deal_id=deal.pk)
        return _candidates(_live_pairs(market.tranches, market.rows, row), row)
    market = market_tranches()
    by_id = {t.pk: (t, r) for t, r in zip(market.tranches, market.rows, strict=True)}
    stored = Match.objects.filter(investor_id=profile.investor_id, deal__status__in=MARKET_STATES).order_by(
        "-eligible", "-score", "tranche_id"
    )
    pairs = []
    for tranche_id, score, failed_rules in stored.values_list("tranche_id", "score", "failed_rules"):
        if tranche_id in by_id:  # a tranche no longer valued is not shown
            tranche, tranche_row = by_id[tranche_id]
            pairs.append(_Pair(tranche, tranche_row, score, failed_rules, stored=True))
    seen = {p.tranche.pk for p in pairs}
    live = [p for p in _live_pairs(market.tranches, market.rows, row) if p.tranche.pk not in seen]
    misses = [p for p, miss in zip(live, near_miss([p.failed_rules for p in live]).tolist(), strict=True) if miss]
    misses.sort(key=lambda p: (-p.score, p.tranche.pk))
    return _candidates(pairs + misses, row)


def by_fit(candidates: Sequence[MatchCandidate]) -> dict[Fit, list[MatchCandidate]]:
    """The candidates grouped by fit, each group in the candidates' order."""
    groups: dict[Fit, list[MatchCandidate]] = {fit: [] for fit in Fit}
    for candidate in candidates:
        groups[candidate.fit].append(candidate)
    return groups


@dataclass(frozen=True)
class ProductTranche:
    """One tranche on a product page: its candidate (None when not valued or off the market) and the warning."""

    tranche: Tranche
    facts: dict[str, Any] | None  # the engine's row; None until the tranche is valued
    candidate: MatchCandidate | None
    warning: str  # the special warning for a tranche above the investor's level, "" when none applies
    confirmed: bool  # the investor confirmed the warning at these very levels
    on_market: bool  # its deal takes orders (published or book building)

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.candidate.reasons if self.candidate is not None else ()

    @property
    def asks_for_warning(self) -> bool:
        """The warning is shown, with its confirmation form, in place of the way to register interest."""
        return self.on_market and bool(self.warning) and not self.confirmed

    @property
    def may_register_interest(self) -> bool:
        """On the market, and suitable or with its warning confirmed (and the warning not asked for again)."""
        if not self.on_market or self.asks_for_warning:
            return False
        return (self.candidate is not None and self.candidate.eligible) or self.confirmed


@dataclass(frozen=True)
class ProductPage:
    """A product for one investor: on the market or not (issued, held), and each tranche in payment order."""

    on_market: bool
    tranches: list[ProductTranche]


def product_page_for(*, profile: RiskProfile, deal: Deal) -> ProductPage:
    """Every tranche of the deal against the investor, now, with each rule's outcome whatever it fails.

    The special warning applies to a tranche above the investor's risk level that
    fails no other rule (one failing the mandate stays closed); interest may be
    registered on a suitable tranche, or one whose warning the investor confirmed.
    """
    on_market = deal.status in MARKET_STATES
    tranches = list(deal.tranches.order_by("payment_priority"))
    rows = tranche_rows(tranches)
    row = profile_row(profile)
    valued = [(t, r) for t, r in zip(tranches, rows, strict=True) if r is not None] if on_market else []
    candidates = {
        c.tranche_id: c for c in _candidates(_live_pairs([t for t, _r in valued], [r for _t, r in valued], row), row)
    }
    confirmed = confirmed_warnings(investor_id=profile.investor_id, tranche_ids=[t.pk for t in tranches])
    page = []
    for tranche, facts in zip(tranches, rows, strict=True):
        candidate = candidates.get(tranche.pk)
        levels = above_level(investor=profile.investor, tranche=tranche, profile=profile)
        warn = bool(levels) and (candidate is None or candidate.fit == Fit.ABOVE_LEVEL)
        page.append(
            ProductTranche(
                tranche=tranche,
                facts=facts,
                candidate=candidate,
                warning=warning_text(investor_level=levels[0], product_level=levels[1]) if warn else "",
                confirmed=bool(levels) and (tranche.pk, *levels) in confirmed,
                on_market=on_market,
            )
        )
    return ProductPage(on_market=on_market, tranches=page)
