"""The full re-match end to end on PostgreSQL: 10,000 investors x 2,000 published tranches, scored and persisted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/matching_db.py [--strict]

Creates a scratch database next to the one DATABASE_URL names (dropped at the
end), migrates it, bulk-loads 10,000 risk profiles and 200 published deals of
10 tranches each, then times the matching job's own path (`match_execute`:
load rows, encode, score block by block, COPY the kept pairs, rebuild the
indexes, commit) against a baseline measured in the same run: the job's own
inputs (`load_scope`) read, encoded and scored, the pairs to keep picked out,
nothing persisted. Prints seconds, rows written, where the time goes, the ratio
to the baseline and the process's peak memory, then times a one-deal and a
one-investor run on the full table (what publishing a deal and changing a
profile cost), and one investor's candidates (`match_candidates_for`: what its
product pages compute). Target: under 30 s and 2 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
N_INVESTORS, N_DEALS, TRANCHES_PER_DEAL = 10_000, 200, 10
TARGET_SECONDS, TARGET_MIB = 30.0, 2048.0


def _scratch_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_scratch_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _load(rng) -> None:  # type: ignore[no-untyped-def]
    from deals.models import Deal, Tranche
    from investors.models import Investor, RiskProfile
    from origination.models import Originator, User
    from tests.factories import make_uscc

    originator = Originator.objects.create(name="Bench Data Co.", uscc=make_uscc(1), ownership_type="local_soe",
                                           industry="Transport", region="Shanghai")  # fmt: skip
    user = User.objects.create(username="bench", role="originator", originator=originator)
    types = ["licence_revenue", "data_pledge", "empowerment"]
    deals = Deal.objects.bulk_create(
        Deal(originator=originator, name=f"Bench deal {i}", deal_type=types[i % 3], target_size=Decimal(10**9),
             tenor_months=int(rng.choice([24, 36, 60])), exchange="SSE", manager="Bench", status="published",
             created_by=user)
        for i in range(N_DEALS)
    )  # fmt: skip
    ratings = ["AAA", "AA+", "AA", "AA-", "A+", "A"]
    tranches = []
    for deal in deals:
        for j in range(TRANCHES_PER_DEAL):
            rating = ratings[min(j // 2, len(ratings) - 1)]
            tranches.append(Tranche(
                deal=deal, name=f"T{j}", tranche_class="senior" if j < 6 else "mezzanine",
                size=Decimal(int(rng.integers(10, 300))) * 10**6, coupon=Decimal(str(round(rng.uniform(0.018, 0.045), 4))),
                target_rating=rating, payment_priority=j + 1, product_risk_level=f"R{min(5, 1 + j // 2)}",
                product_risk_factors={"inputs": {"rating": rating, "stability_score": float(rng.uniform(40, 95)),
                                                 "data_share": float(rng.uniform(0.2, 1)),
                                                 "guarantee_dependence": float(rng.uniform(0, 0.6)),
                                                 "suggested_coupon": None}},
            ))  # fmt: skip
    Tranche.objects.bulk_create(tranches, batch_size=2000)
    investors = Investor.objects.bulk_create(
        (Investor(name=f"Bench investor {i}", investor_type="insurer") for i in range(N_INVESTORS)), batch_size=5000
    )
    RiskProfile.objects.bulk_create(
        (RiskProfile(investor=inv, risk_tolerance=f"C{int(rng.integers(1, 6))}", min_rating=str(rng.choice(ratings)),
                     max_tenor_months=int(rng.choice([24, 36, 60, 120])),
                     min_coupon=Decimal(str(round(rng.uniform(0.015, 0.03), 4))), ticket_min=Decimal(10**6),
                     ticket_max=Decimal(5 * 10**8), allowed_deal_types=[], excluded_industries=[],
                     no_personal_info=bool(rng.random() < 0.3), require_pipia=True,
                     max_guarantee_dependence=Decimal(str(round(rng.uniform(0.2, 1), 2))))
         for inv in investors),
        batch_size=5000,
    )  # fmt: skip


def _peak_mib() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, not inherited across exec from a parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine_only() -> float:
    """Baseline: the job's own rows, read, encoded and scored block by block with the pairs to keep picked out,
    nothing written."""
    from investors.match_jobs import load_scope

    started = time.perf_counter()
    kept = sum(len(pairs) for pairs in load_scope("all", None).kept_pairs())
    assert kept > 0
    return time.perf_counter() - started


def _investor_pages() -> None:
    """What an investor's product pages cost on the full market: its candidates (stored pairs and live near
    misses, with their reasons), and one deal's tranches computed live."""
    from deals.models import Deal
    from investors.match_candidates import Fit, by_fit, match_candidates_for
    from investors.models import RiskProfile

    profile = RiskProfile.objects.select_related("investor").order_by("investor_id").first()
    started = time.perf_counter()
    groups = by_fit(match_candidates_for(profile=profile))
    seconds = time.perf_counter() - started
    print(f"one investor's candidates on the market ({N_DEALS * TRANCHES_PER_DEAL:,} tranches): {seconds:.2f} s, "
          f"{len(groups[Fit.SUITABLE]):,} suitable, {len(groups[Fit.ABOVE_LEVEL]):,} above its level, "
          f"{len(groups[Fit.NEAR_MISS]):,} near misses")  # fmt: skip
    deal = Deal.objects.order_by("pk").first()
    started = time.perf_counter()
    one_deal = match_candidates_for(profile=profile, deal=deal)
    print(f"one investor's candidates on one deal ({len(one_deal)} tranches): {time.perf_counter() - started:.3f} s")


def _scoped_runs() -> None:
    """The runs that follow a publish (one deal x every investor) and a profile change, on the full table."""
    from deals.models import Deal
    from investors.match_jobs import match_execute
    from investors.models import Investor, MatchRun

    for scope, scope_id in (("deal", Deal.objects.order_by("pk").first().pk),
                            ("investor", Investor.objects.order_by("pk").first().pk)):  # fmt: skip
        run = MatchRun.objects.create(scope=scope, scope_id=scope_id)
        started = time.perf_counter()
        match_execute(run_id=run.pk)
        seconds = time.perf_counter() - started
        run.refresh_from_db()
        assert run.status == "succeeded", run.error
        print(f"{scope} run ({run.result['investors']:,} x {run.result['tranches']:,}) on the full table: "
              f"{seconds:.2f} s, {run.result['stored']:,} rows written")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("matching_db: skipped (set DATABASE_URL=postgres://... to run the PostgreSQL half)")
        return 0
    name = "dataabs_bench_matching"
    _admin(url, f"DROP DATABASE IF EXISTS {name}")
    _admin(url, f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = _scratch_url(url, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        import django
        import numpy as np

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _load(np.random.default_rng(2025))
        from investors.match_jobs import match_execute
        from investors.models import Match, MatchRun

        baseline = _engine_only()
        run = MatchRun.objects.create(scope="all")
        started = time.perf_counter()
        match_execute(run_id=run.pk)
        seconds = time.perf_counter() - started
        run.refresh_from_db()
        assert run.status == "succeeded", run.error
        rows = Match.objects.count()
        peak_mib = _peak_mib()
        pairs = N_INVESTORS * N_DEALS * TRANCHES_PER_DEAL
        print(f"full re-match {N_INVESTORS:,} x {N_DEALS * TRANCHES_PER_DEAL:,} on PostgreSQL: {seconds:.1f} s "
              f"({pairs / seconds / 1e6:.1f} M pairs/s), {rows:,} rows written ({run.result['eligible']:,} eligible)")  # fmt: skip
        print(f"baseline (the same rows read, encoded and scored, nothing written): {baseline:.1f} s; "
              f"end to end / baseline = {seconds / baseline:.1f}x")  # fmt: skip
        r = run.result
        print(f"  where the time goes: loading rows + encoding {r['seconds_loading']:.1f} s, scoring "
              f"{r['seconds_scoring']:.1f} s, formatting + COPY {r['seconds_writing']:.1f} s, rebuilding indexes "
              f"{r['seconds_indexing']:.1f} s (the commit is in the total: the result is stored in its transaction)")  # fmt: skip
        print(f"peak memory of the process: {peak_mib:.0f} MiB")
        ok = seconds < TARGET_SECONDS and peak_mib < TARGET_MIB
        print(f"targets (< {TARGET_SECONDS:.0f} s, < {TARGET_MIB:.0f} MiB): {'met' if ok else 'MISSED'}")
        _scoped_runs()
        _investor_pages()
        from django.db import connections

        connections.close_all()
        return 0 if ok or not args.strict else 1
    finally:
        _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
