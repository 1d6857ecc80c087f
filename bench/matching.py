"""Benchmark the matching engine against the per-pair reference, and the full re-match of 10,000 x 2,000.

    .venv/bin/python bench/matching.py [--investors 10000] [--tranches 2000] [--repeat 3] [--strict] [--db]

Engine half (runs on its own, no Django, no database), pinned to one CPU core:
1. engine vs per-pair reference on the same synthetic subset in the same run
   (pairs scored per second, the ratio, and a check that both decide alike);
2. the full matrix, 10,000 investors x 2,000 tranches = 20 M pairs: the dense
   `match()` (first run, whose time includes the operating system handing out
   the result's fresh pages, then the best of the repeats), and the streaming
   `iter_eligible_pairs()` a re-match would persist, with its peak memory.
Targets (issue 5): engine >= 10x the reference and >= 10 M pairs/s on one core.

DB half (`--db`): runs bench/matching_db.py in a subprocess (on every core, as
the machine runs it) and prints its output: the matching job end to end on
PostgreSQL (load, score, COPY the kept pairs, rebuild indexes, commit) with its
own seeded data in a scratch database. Needs DATABASE_URL=postgres://...
Target (issue 5): under 30 s and 2 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from deals.product_risk import product_risk  # noqa: E402
from investors.matching import (  # noqa: E402
    RISK_LEVEL_ONLY,
    InvestorArrays,
    TrancheArrays,
    iter_eligible_pairs,
    match,
)
from investors.matching_inputs import RATING_INDEX  # noqa: E402
from investors.matching_reference import reference_match  # noqa: E402

TARGET_RATIO = 10.0
TARGET_PAIRS_PER_SECOND = 10e6

# Investor types as the demo has them: (share, tolerances, min ratings, max tenor, min coupon,
# ticket min, ticket max, allowed type mask, no personal info, guarantee cap)
MANDATES = (
    (0.20, (1, 2, 3), ("AAA", "AA+"), 120, 0.0180, 50e6, 500e6, 0b101, True, 0.5),
    (0.10, (1, 2), ("AAA",), 84, 0.0185, 30e6, 300e6, 0b101, True, 0.4),
    (0.20, (2, 3), ("AAA", "AA+"), 60, 0.0185, 20e6, 300e6, 0b111, False, 0.7),
    (0.15, (3, 4), ("AA+", "AA"), 36, 0.0195, 10e6, 150e6, 0b111, False, 0.8),
    (0.15, (3, 4, 5), ("AA+", "AA", "AA-"), 60, 0.0200, 10e6, 200e6, 0b111, False, 1.0),
    (0.10, (4, 5), ("AA-", "A+"), 60, 0.0240, 10e6, 100e6, 0b111, False, 1.0),
    (0.10, (4, 5), ("A+", "A"), 48, 0.0280, 5e6, 50e6, 0b111, False, 1.0),
)


def synthetic_investors(*, n: int, rng: np.random.Generator) -> InvestorArrays:
    """n investor profiles with mandates drawn like the demo's institution types."""
    kind = rng.choice(len(MANDATES), size=n, p=[m[0] for m in MANDATES])
    columns: dict[str, list] = {name: [] for name in InvestorArrays.DTYPES}
    for k in kind.tolist():
        _, tolerances, ratings, tenor, coupon, tmin, tmax, types, no_pi, cap = MANDATES[k]
        columns["risk_tolerance"].append(int(rng.choice(tolerances)))
        columns["min_rating"].append(RATING_INDEX[str(rng.choice(ratings))])
        columns["max_tenor_months"].append(tenor)
        columns["min_coupon"].append(coupon + float(rng.uniform(-0.001, 0.001)))
        columns["ticket_min"].append(tmin)
        columns["ticket_max"].append(tmax)
        columns["allowed_deal_types"].append(types)
        columns["excluded_industries"].append(1 if rng.random() < 0.3 else 0)  # bit 0: "financial leasing"
        columns["no_personal_info"].append(no_pi)
        columns["require_pipia"].append(bool(rng.random() < 0.9))
        columns["max_guarantee_dependence"].append(cap)
    columns["excluded_industries"] = np.array(columns["excluded_industries"], dtype=np.uint64)
    return InvestorArrays(**columns)


def synthetic_tranches(*, n: int, rng: np.random.Generator) -> TrancheArrays:
    """n published tranches: mostly AAA/AA+ seniors, some mezzanine and unrated notes, risk level by product_risk."""
    rating = rng.choice(["AAA", "AA+", "AA", "AA-", "A+", "NR"], size=n, p=[0.45, 0.2, 0.12, 0.08, 0.05, 0.1])
    tenor = rng.choice([12, 24, 36, 48, 60, 84], size=n)
    stability = rng.uniform(30, 98, size=n)
    share = rng.uniform(0.1, 1.0, size=n)
    guarantee = rng.uniform(0, 0.9, size=n)
    levels = [
        product_risk(
            rating=str(r),
            tenor_months=int(t),
            stability_score=float(s),
            data_share=float(d),
            guarantee_dependence=float(g),
        ).level
        for r, t, s, d, g in zip(rating, tenor, stability, share, guarantee, strict=True)
    ]
    has_pi = rng.random(n) < 0.4
    return TrancheArrays(
        risk_level=levels,
        rating=[RATING_INDEX[str(r)] for r in rating],
        tenor_months=tenor,
        coupon=0.0135 + 0.0008 * tenor / 12 + rng.uniform(0.002, 0.02, size=n),
        size=rng.choice([20e6, 50e6, 100e6, 200e6, 500e6], size=n),
        deal_type=rng.choice(3, size=n, p=[0.4, 0.2, 0.4]),
        industry=rng.choice([-1, 0], size=n, p=[0.9, 0.1]),
        has_personal_info=has_pi,
        has_pipia=has_pi & (rng.random(n) < 0.8),
        guarantee_dependence=guarantee,
        stability_score=stability,
        data_share=share,
    )


def _best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_engine_vs_reference(*, investors, tranches, repeat: int) -> float:
    """Pairs per second of the engine and of the per-pair reference on the same inputs; returns the ratio."""
    pairs = len(investors) * len(tranches)
    start = time.perf_counter()
    reference = reference_match(investors=investors, tranches=tranches)
    reference_s = time.perf_counter() - start
    engine_s, engine = _best_of(repeat, lambda: match(investors=investors, tranches=tranches))
    same = np.array_equal(engine.failed_rules, reference.failed_rules) and np.array_equal(
        engine.eligible, reference.eligible
    )
    worst = float(np.abs(engine.score.astype(np.float64) - reference.score).max())
    ratio = reference_s / engine_s
    print(f"same inputs, {len(investors):,} investors x {len(tranches):,} tranches = {pairs:,} pairs")
    print(f"  per-pair reference  {pairs / reference_s:>16,.0f} pairs/s  ({reference_s:.3f} s)")
    print(f"  engine              {pairs / engine_s:>16,.0f} pairs/s  ({engine_s * 1e3:.1f} ms, best of {repeat})")
    print(f"  ratio               {ratio:>16,.1f}x   (target >= {TARGET_RATIO:.0f}x)")
    print(f"  decisions identical: {same}; largest score difference {worst:.2e}")
    if not same:
        raise SystemExit("engine and reference disagree")
    return ratio


def bench_full_engine(*, investors, tranches, repeat: int) -> float:
    """The full matrix on one core: dense result and the streaming eligible pairs; returns pairs/s (best dense)."""
    pairs = len(investors) * len(tranches)
    print(f"full matrix, {len(investors):,} investors x {len(tranches):,} tranches = {pairs:,} pairs")
    start = time.perf_counter()
    result = match(investors=investors, tranches=tranches)
    first_s = time.perf_counter() - start
    eligible = int(result.eligible.sum())
    risk_only = int((result.failed_rules == RISK_LEVEL_ONLY).sum())
    dense_bytes = result.eligible.nbytes + result.failed_rules.nbytes + result.score.nbytes
    del result
    best_s, _ = _best_of(repeat, lambda: match(investors=investors, tranches=tranches))
    print(f"  match() first run   {pairs / first_s:>16,.0f} pairs/s  ({first_s:.3f} s, incl. fresh result pages)")
    print(f"  match() best        {pairs / best_s:>16,.0f} pairs/s  ({best_s:.3f} s, best of {repeat})")
    print(f"  dense result        {dense_bytes / 2**20:>16,.0f} MiB    (eligible + failed_rules + score)")
    print(
        f"  eligible pairs      {eligible:>16,}        ({eligible / pairs:.1%}); failing only on risk level {risk_only:,}"
    )

    def stream() -> int:
        return sum(p.investor_idx.size for p in iter_eligible_pairs(investors=investors, tranches=tranches))

    stream_s, streamed = _best_of(repeat, stream)
    tracemalloc.start()
    stream()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  eligible pairs iter {pairs / stream_s:>16,.0f} pairs/s  ({stream_s:.3f} s, {streamed:,} pairs)")
    print(f"  streaming peak      {peak / 2**20:>16,.1f} MiB    (NumPy allocations while streaming)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  process max RSS     {rss:>16,.0f} MiB    (limit 2048)")
    return pairs / best_s


def bench_full_rematch_postgres() -> bool | None:
    """DB half: bench/matching_db.py in a subprocess, its output printed; whether it met its targets (None: skipped)."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("DB half: skipped (set DATABASE_URL=postgres://... to run it)")
        return None
    print("DB half (bench/matching_db.py, every core):", flush=True)
    command = [sys.executable, str(ROOT / "bench" / "matching_db.py"), "--strict"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
    print(done.stdout, end="")
    if done.returncode not in (0, 1):
        print(done.stderr, end="")
    return done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--investors", type=int, default=10_000)
    parser.add_argument("--tranches", type=int, default=2_000)
    parser.add_argument("--ref-investors", type=int, default=200, help="subset for the per-pair comparison")
    parser.add_argument("--ref-tranches", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20251120)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--db", action="store_true", help="also run the PostgreSQL half")
    args = parser.parse_args()

    cpus = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    if cpus:
        os.sched_setaffinity(0, {min(cpus)})  # one core, as the target says
    rng = np.random.default_rng(args.seed)
    investors = synthetic_investors(n=args.investors, rng=rng)
    tranches = synthetic_tranches(n=args.tranches, rng=rng)
    print(f"matching engine, NumPy {np.__version__}, one core")

    ratio = bench_engine_vs_reference(
        investors=investors.take(slice(0, args.ref_investors)),
        tranches=tranches.take(slice(0, args.ref_tranches)),
        repeat=args.repeat,
    )
    speed = bench_full_engine(investors=investors, tranches=tranches, repeat=args.repeat)
    hits = {
        f"engine >= {TARGET_RATIO:.0f}x per-pair": ratio >= TARGET_RATIO,
        f"engine >= {TARGET_PAIRS_PER_SECOND / 1e6:.0f} M pairs/s": speed >= TARGET_PAIRS_PER_SECOND,
    }
    for name, ok in hits.items():
        print(f"  target {name}: {'met' if ok else 'MISSED'}")

    if args.db:
        if cpus:
            os.sched_setaffinity(0, cpus)  # the subprocess inherits it: the job runs on every core
        db_ok = bench_full_rematch_postgres()
        if db_ok is not None:
            hits["full re-match on PostgreSQL < 30 s, < 2 GiB"] = db_ok
            print(f"  target full re-match on PostgreSQL: {'met' if db_ok else 'MISSED'}")
    else:
        print("DB half: skipped (pass --db with DATABASE_URL=postgres://... to run bench/matching_db.py)")
    if args.strict and not all(hits.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
