"""The matching job: load profiles and published tranches, run the engine, replace the stored matches.

A run's scope is everything (nightly), one deal (on publish) or one investor
(on a profile change). The matches of that scope are deleted and rewritten in
one transaction, so a reader sees the old set or the new one, never half of
each. Rows go in by PostgreSQL COPY (or bulk_create on SQLite).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.choices import DealStatus
from deals.models import Deal, Tranche
from origination.errors import DomainError
from origination.jobs import job_claim, job_fail, job_finish, job_progress
from origination.models import User

from .matching import build_vocabulary, encode_investors, encode_tranches, iter_match_blocks, near_miss_mask
from .matching_rules import RISK_LEVEL_ONLY
from .models import Match, MatchRun, RiskProfile

# Products on the market: published, and still taking orders in book building.
MARKET_STATES = frozenset({DealStatus.PUBLISHED, DealStatus.BOOK_BUILDING})
INSERT_BATCH = 5_000


def match_request(
    *, scope: str = MatchRun.Scope.ALL, scope_id: int | None = None, actor: User | None = None
) -> MatchRun:
    """Queue a matching run after commit (arranger, the publish move, a profile change, or the nightly beat)."""
    if actor is not None and not actor.is_arranger:
        raise DomainError("forbidden", _("Only the arranger starts a full matching run."), status=403)
    from .tasks import run_matching

    with transaction.atomic():
        run = MatchRun.objects.create(scope=scope, scope_id=scope_id, requested_by=actor, inputs={"scope": scope})
        transaction.on_commit(lambda: run_matching.delay(run.pk))
    return run


def _investor_rows(scope: str, scope_id: int | None) -> tuple[list[int], list[dict[str, Any]]]:
    profiles = RiskProfile.objects.select_related("investor").order_by("investor_id")
    if scope == MatchRun.Scope.INVESTOR:
        profiles = profiles.filter(investor_id=scope_id)
    ids, rows = [], []
    for p in profiles.values(
        "investor_id", "risk_tolerance", "min_rating", "max_tenor_months", "min_coupon", "ticket_min", "ticket_max",
        "allowed_deal_types", "excluded_industries", "no_personal_info", "require_pipia", "max_guarantee_dependence",
    ):  # fmt: skip
        ids.append(p.pop("investor_id"))
        rows.append(p)
    return ids, rows


def deal_privacy_facts(*, deal_ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """Per deal: (its pool's data holds personal information, a PIPIA is on file for it).

    A PIPIA is on file when the deal's compliance review holds no open
    automatic finding "personal information without a PIPIA" (PIPL art. 55).
    """
    from deals.compliance.choices import FindingRule
    from deals.compliance.models import AutomaticFinding, ComplianceReview
    from origination.models import DataAsset

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
    """The engine's view of a tranche, from its deal and its latest valuation; None if not valued yet."""
    facts = tranche.product_risk_factors or {}
    inputs = facts.get("inputs")
    if not tranche.product_risk_level or not inputs:
        return None
    return {
        "risk_level": tranche.product_risk_level,
        "rating": inputs["rating"],
        "tenor_months": deal.tenor_months,
        "coupon": tranche.coupon if tranche.coupon is not None else (inputs.get("suggested_coupon") or 0.0),
        "size": tranche.size,
        "deal_type": deal.deal_type,
        "industry": deal.originator.industry,
        "has_personal_info": privacy[0],
        "has_pipia": privacy[1],
        "guarantee_dependence": inputs["guarantee_dependence"],
        "stability_score": inputs["stability_score"],
        "data_share": inputs["data_share"],
    }


def _tranche_rows(scope: str, scope_id: int | None) -> tuple[list[Tranche], list[dict[str, Any]], int]:
    tranches = Tranche.objects.select_related("deal", "deal__originator").filter(deal__status__in=MARKET_STATES)
    if scope == MatchRun.Scope.DEAL:
        tranches = tranches.filter(deal_id=scope_id)
    tranches = list(tranches.order_by("deal_id", "payment_priority"))
    privacy = deal_privacy_facts(deal_ids=sorted({t.deal_id for t in tranches}))
    kept, rows, unvalued = [], [], 0
    for tranche in tranches:
        row = tranche_match_row(tranche, tranche.deal, privacy[tranche.deal_id])
        if row is None:
            unvalued += 1
            continue
        kept.append(tranche)
        rows.append(row)
    return kept, rows, unvalued


def _stored_pairs(investors, tranches, investor_ids, tranche_list, run_id, now) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    """Rows to store: eligible pairs, pairs failing only on risk level, and near misses."""
    tranche_ids = np.array([t.pk for t in tranche_list], dtype=np.int64)
    deal_ids = np.array([t.deal_id for t in tranche_list], dtype=np.int64)
    inv_ids = np.array(investor_ids, dtype=np.int64)
    for block in iter_match_blocks(investors=investors, tranches=tranches):
        keep = block.eligible | (block.failed_rules == RISK_LEVEL_ONLY) | near_miss_mask(block.failed_rules)
        rows, cols = np.nonzero(keep)
        inv = inv_ids[rows + block.investor_slice.start]
        tr = cols + block.tranche_slice.start
        scores = block.score[rows, cols].astype(float)
        failed = block.failed_rules[rows, cols].astype(int)
        for i in range(rows.size):
            yield (int(inv[i]), int(tranche_ids[tr[i]]), int(deal_ids[tr[i]]), round(float(scores[i]), 4),
                   int(failed[i]), bool(failed[i] == 0), run_id, now)  # fmt: skip


def _insert(rows: Iterator[tuple]) -> int:
    columns = ("investor_id", "tranche_id", "deal_id", "score", "failed_rules", "eligible", "run_id", "computed_at")
    count = 0
    if connection.vendor == "postgresql":
        table = Match._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 - fixed names
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    batch: list[Match] = []
    for row in rows:
        batch.append(Match(**dict(zip(columns, row, strict=True))))
        if len(batch) >= INSERT_BATCH:
            Match.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    Match.objects.bulk_create(batch)
    return count + len(batch)


def match_execute(*, run_id: int) -> None:
    """Claim the run, score its scope with the engine and replace the scope's matches in one transaction."""
    token = job_claim(model=MatchRun, job_id=run_id)
    if token is None:
        return
    try:
        run = MatchRun.objects.get(pk=run_id)
        started = time.perf_counter()
        investor_ids, investor_rows = _investor_rows(run.scope, run.scope_id)
        tranche_list, tranche_rows, unvalued = _tranche_rows(run.scope, run.scope_id)
        job_progress(model=MatchRun, job_id=run_id, token=token, progress=20.0)
        loaded = time.perf_counter()
        vocabulary = build_vocabulary(investor_rows=investor_rows)
        investors = encode_investors(rows=investor_rows, vocabulary=vocabulary)
        tranches = encode_tranches(rows=tranche_rows, vocabulary=vocabulary)
        now = timezone.now()
        with transaction.atomic():
            stale = Match.objects.all()
            if run.scope == MatchRun.Scope.DEAL:
                stale = stale.filter(deal_id=run.scope_id)
            elif run.scope == MatchRun.Scope.INVESTOR:
                stale = stale.filter(investor_id=run.scope_id)
            stale._raw_delete(stale.db)
            stored = 0
            if investor_rows and tranche_rows:
                stored = _insert(_stored_pairs(investors, tranches, investor_ids, tranche_list, run_id, now))
        finished = time.perf_counter()
        eligible = Match.objects.filter(run_id=run_id, eligible=True).count()
        job_finish(
            model=MatchRun,
            job_id=run_id,
            token=token,
            result={
                "investors": len(investor_rows),
                "tranches": len(tranche_rows),
                "tranches_not_valued": unvalued,
                "pairs_scored": len(investor_rows) * len(tranche_rows),
                "stored": stored,
                "eligible": eligible,
                "seconds_loading": round(loaded - started, 3),
                "seconds_scoring_and_writing": round(finished - loaded, 3),
            },
        )
    except Exception as exc:
        job_fail(model=MatchRun, job_id=run_id, token=token, error=f"{type(exc).__name__}: {exc}")
        raise
