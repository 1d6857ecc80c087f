"""Benchmark the valuation engine's Monte Carlo plus waterfall, and its batched IRR, on one core.

    .venv/bin/python bench/valuation.py [--paths 10000] [--baseline-paths 1000] [--repeat 3]

The deal: 10,000 paths, 120 months paid monthly, three tranches (senior,
mezzanine, subordinated), licence revenue projected from a 48-month history,
a reserve, senior fees, the DSCR trigger and random regulatory suspensions.

1. Monte Carlo plus waterfall: `simulate_collections` + `evaluate_structure`
   (losses, shortfalls, WAL of every class on every path), best of --repeat.
2. The same numbers from a straightforward pure-Python per-path loop (revenue
   recursion, licensee losses, suspension, waterfall, PV and WAL, one path at
   a time), timed in the same run on the first --baseline-paths paths; it takes
   its random numbers from the same generator blocks as the engine (drawing
   them with NumPy, timed in). Per path-period rates are compared; the per-path
   losses and WALs must agree to 1e-9, or the benchmark fails.
3. Batched IRR over every class's per-path cash flows (121 periods) against
   numpy-financial's `irr` (and pyxirr's, for information) on a sample of the
   same series, per series.
4. The whole `value_deal` (stress, bisections, appraisal...) end to end, with
   the process's peak resident memory.
5. The time to a decided rating of the demo deals' seniors, and the paths it
   takes against plain Monte Carlo for the same error (bench/rating_decision.py).

Targets (issue 4): Monte Carlo plus waterfall >= 10 M path-periods/s and >= 30x
the pure-Python loop; batched IRR >= 1,000x numpy-financial per series;
value_deal of 10,000 paths < 10 s and < 1 GiB.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # one core: set before NumPy loads its BLAS (not when a test imports this file)
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deals.valuation import (  # noqa: E402
    CreditEnhancementInput,
    FeesInput,
    PaydownInput,
    RevenueHistory,
    TrancheInput,
    ValuationInputs,
    batched_irr,
    build_structure,
    estimate_revenue_model,
    evaluate_structure,
    expected_period_cash,
    provisional_coupons,
    simulate_collections,
    value_deal,
)
from deals.valuation.draws import PathDraws  # noqa: E402
from deals.valuation.projection import revenue_log_mean  # noqa: E402

M = 1_000_000.0
SEED = 20251120


def bench_history() -> RevenueHistory:
    """48 months of revenue from six licensees: 12 % growth, 6 % seasonality, 5 % noise, two late joiners."""
    rng = np.random.default_rng(7)
    months, columns = 48, []
    for level, shares, history in ((10.4 * M, (0.4, 0.3, 0.2, 0.1), 48), (3.6 * M, (0.6, 0.4), 36)):
        for index, share in enumerate(shares):
            joins = int(history * 0.12 * (index - 1)) if index >= 2 else 0
            column = np.zeros(months)
            for t in range(months - history + joins, months):
                season = 1 + 0.06 * math.cos(2 * math.pi * (t % 12 - 6) / 12)
                column[t] = level * share * 1.12 ** (-(months - 1 - t) / 12) * season * rng.normal(1.0, 0.05)
            columns.append(column)
    return RevenueHistory(amounts=np.column_stack(columns), first_calendar_month=1)


def bench_inputs() -> ValuationInputs:
    """A 10-year deal paid monthly: 1 bn senior, 120 m mezzanine, 80 m subordinated."""
    return ValuationInputs(
        deal_type="licence_revenue",
        tenor_months=120,
        periods_per_year=12,
        tranches=(
            TrancheInput("Senior A", "senior", 1000 * M, 0.0220, 1, "AAA"),
            TrancheInput("Mezzanine B", "mezzanine", 120 * M, 0.0300, 2, "AA"),
            TrancheInput("Subordinated", "subordinated", 80 * M, None, 3),
        ),
        revenue_history=bench_history(),
        enhancement=CreditEnhancementInput(reserve_target=12 * M),
        paydown=PaydownInput(
            mode="target_schedule",
            structuring_ratio=1.25,
            dscr_trigger=1.10,
            trigger_window_periods=3,
            trigger_cure_periods=3,
            residual_release="excess_when_tests_pass",
        ),  # fmt: skip
        fees=FeesInput(senior_fees_bps=20, fixed_annual=0.3 * M),
    )


def bench_structure(inputs: ValuationInputs):  # type: ignore[no-untyped-def]
    """The deal's waterfall with its target schedule sized on 2,000 paths' expected cash (fixed by the seed)."""
    sim = simulate_collections(inputs, n_paths=2_000, seed=SEED)
    return build_structure(inputs, provisional_coupons(inputs), expected_cash=expected_period_cash(sim))


def python_path(
    revenue: list[float], s, event_period: int, event_end: int
) -> tuple[list[float], list[float], list[bool]]:
    """The waterfall of one path in plain Python (sequential or target-schedule paydown, DSCR trigger with a
    window and a cure, reserve, fees, release of the excess while tests pass): (loss, WAL, shortfall) per class,
    as the engine defines them, written independently of its vectorised code."""
    classes, periods = len(s.sizes), len(revenue)
    sizes = [float(x) for x in s.sizes]
    rates = [float(x) for x in s.period_rates]
    rated = [j for j in range(classes) if j != s.residual]
    rated_total = sum(sizes[j] for j in rated)
    n_scheduled = s.scheduled_periods
    target = [float(x) for x in s.target_balance][:periods] if s.target_balance is not None else []
    target += [0.0] * (periods - len(target))
    for k in range(n_scheduled - 1, periods):
        target[k] = 0.0
    balance, arrears = sizes[:], [0.0] * classes
    cash = [[0.0] * periods for _ in range(classes)]
    principal = [[0.0] * periods for _ in range(classes)]
    short_flag = [False] * classes
    reserve, fee_arrears, trap, tripped, passes = float(s.reserve_target), 0.0, 0.0, False, 0
    covers = list(s.reserve_covers)
    nums, dens = [], []
    releases = s.residual_release == "excess_when_tests_pass" and s.residual is not None

    def pay_principal(j: int, k: int, amount: float) -> None:
        balance[j] -= amount
        principal[j][k] += amount
        cash[j][k] += amount

    def sequential(k: int, budget: float) -> float:
        spent = 0.0
        for j in rated:
            amount = min(balance[j], budget - spent)
            if amount > 0:
                pay_principal(j, k, amount)
                spent += amount
        return spent

    def residual(k: int, amount: float) -> None:
        to_principal = min(balance[s.residual], amount)
        pay_principal(s.residual, k, to_principal)
        cash[s.residual][k] += amount - to_principal

    for k in range(periods):
        last = k == periods - 1
        available = revenue[k] + trap
        trap = 0.0
        if last:
            available += reserve
            reserve = 0.0
        due_fee = sum(balance) * s.fee_rate + s.fixed_fee + fee_arrears
        fee = min(available, due_fee)
        available -= fee
        fee_arrears = due_fee - fee
        if k < n_scheduled:
            outstanding = sum(balance[j] for j in rated)
            before = rated_total if k == 0 else target[k - 1]
            instalment = min(outstanding, max(before - target[k], 0.0))
            nums.append(max(revenue[k] - fee, 0.0))
            dens.append(sum(balance[j] * rates[j] for j in rated) + instalment)
            window_num, window_den = sum(nums[-s.trigger_window :]), sum(dens[-s.trigger_window :])
            ratio = window_num / window_den if window_den > 1e-12 * rated_total else math.inf
            fail = ratio < s.dscr_trigger or event_period <= k < event_end
            if s.trigger_cure > 0:
                passes = 0 if fail else passes + 1
                tripped = (tripped and passes < s.trigger_cure) or fail
            else:
                tripped = tripped or fail
        for j in rated:
            due = balance[j] * rates[j] + arrears[j]
            if due <= 0:
                continue
            pay = min(available, due)
            available -= pay
            short = due - pay
            if short > 0 and covers[j]:
                draw = min(reserve, short)
                reserve -= draw
                short -= draw
                pay += draw
            short_flag[j] = short_flag[j] or short > 1e-9 * max(sizes[j], 1.0)
            arrears[j] = short
            cash[j][k] += pay
        if not last and s.reserve_target > 0:
            top = min(available, s.reserve_target - reserve)
            reserve += top
            available -= top
        if tripped or k >= n_scheduled or s.mode == "sequential":
            available -= sequential(k, available)
        else:  # target schedule
            available -= sequential(k, min(available, max(sum(balance[j] for j in rated) - target[k], 0.0)))
            if releases:
                residual(k, available)
                available = 0.0
            else:
                available -= sequential(k, available)
        if sum(balance[j] for j in rated) <= 1e-9 * max(rated_total, 1.0):
            residual(k, available)
            available = 0.0
        trap = available
    losses, wals, shortfalls = [], [], []
    for j in range(classes):
        present = sum(cash[j][k] / (1 + rates[j]) ** (k + 1) for k in range(periods))
        gap = 1.0 - present / sizes[j]
        losses.append(gap if gap > 1e-12 else 0.0)
        timed = sum(principal[j][k] * (k + 1) / s.periods_per_year for k in range(periods))
        wals.append((timed + balance[j] * periods / s.periods_per_year) / sizes[j])
        unpaid = balance[j] > 1e-9 * max(sizes[j], 1.0) or arrears[j] > 1e-9 * max(sizes[j], 1.0)
        shortfalls.append(short_flag[j] or unpaid)
    return losses, wals, shortfalls


def python_loop(inputs: ValuationInputs, n_paths: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every path one at a time in plain Python, random numbers from the engine's generator blocks."""
    a = inputs.assumptions
    model = estimate_revenue_model(inputs.revenue_history, a)
    structure = bench_structure(inputs)
    months = inputs.horizon_months
    log_mean = revenue_log_mean(model, months).tolist()
    phi = model.persistence
    a_scale = model.transitory_volatility * math.sqrt(1 - phi**2)
    b_scale = model.permanent_volatility
    shares = model.counterparty_shares.tolist()
    loss_p = model.counterparty_loss_annual.tolist()
    stop = inputs.legal_risk.regulatory_stop_annual
    annual_stop = a.regulatory_stop_base_annual if stop is None else stop
    within = 1 - (1 - annual_stop) ** (inputs.tenor_months / 12)
    replace_after, back_share = a.counterparty_replacement_months, a.counterparty_replacement_share
    draws = PathDraws(seed=SEED, block_paths=a.seed_block_paths)
    mpp = inputs.months_per_period
    losses, wals, shortfalls = [], [], []
    for start in range(0, n_paths, a.seed_block_paths):
        stop = min(start + a.seed_block_paths, n_paths)
        normals = draws.normal("revenue", start, stop, months).T.tolist()
        uniforms = draws.uniform("licensee_loss", start, stop, a.counterparties_modelled).T.tolist()
        stops = draws.uniform("regulatory", start, stop, 2).T.tolist()
        for z, u, r in zip(normals, uniforms, stops, strict=True):
            lost = []
            for i, share in enumerate(shares):
                years = math.log1p(-u[i]) / math.log1p(-loss_p[i])
                lost.append((max(1, math.ceil(12 * years)) - 1, share))
            transitory = permanent = 0.0
            revenue = []
            for h in range(months):
                transitory = transitory * phi + z[h] * a_scale
                permanent = permanent + z[h] * b_scale
                multiplier = 1.0
                for begin, share in lost:
                    if h >= begin:
                        multiplier -= share
                        if h >= begin + replace_after:
                            multiplier += share * back_share
                revenue.append(math.exp(transitory + permanent + log_mean[h]) * multiplier * inputs.revenue_share)
            event = months
            if r[0] < within:
                begin = int(math.floor(r[1] * inputs.tenor_months))
                for h in range(begin, min(begin + a.regulatory_stop_months, months)):
                    revenue[h] = 0.0
                event = begin
            event_end = months if event == months else (event + a.regulatory_stop_months - 1) // mpp + 1
            loss, wal, short = python_path(revenue, structure, event, event_end)
            losses.append(loss)
            wals.append(wal)
            shortfalls.append(short)
    return np.array(losses).T, np.array(wals).T, np.array(shortfalls).T


def pyxirr_irr(row: np.ndarray) -> float:
    import pyxirr

    try:
        return pyxirr.irr(row)
    except pyxirr.InvalidPaymentsError:  # nothing received: no sign change
        return math.nan


def best_time(function, repeat: int):
    best, value = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> int:
    import numpy_financial as npf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--baseline-paths", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-ratings", action="store_true", help="skip the time to a decided rating")
    args = parser.parse_args()
    inputs = bench_inputs()
    structure = bench_structure(inputs)
    chunk = inputs.assumptions.default_chunk_size
    periods = inputs.horizon_months
    path_periods = args.paths * periods

    def engine():
        sim = simulate_collections(inputs, n_paths=args.paths, seed=SEED, chunk_size=chunk)
        return evaluate_structure(sim, structure, chunk_size=chunk, with_irr=False, keep_cash=False)

    engine_time, outcome = best_time(engine, args.repeat)
    engine_rate = path_periods / engine_time
    baseline_paths = min(args.baseline_paths, args.paths)
    baseline_time, (losses, wals, shortfalls) = best_time(lambda: python_loop(inputs, baseline_paths), 1)
    baseline_rate = baseline_paths * periods / baseline_time
    loss_gap = float(np.max(np.abs(losses - outcome.loss[:, :baseline_paths])))
    wal_gap = float(np.max(np.abs(wals - outcome.wal_years[:, :baseline_paths])))
    same_flags = bool(np.array_equal(shortfalls, outcome.shortfall[:, :baseline_paths]))
    same = loss_gap <= 1e-9 and wal_gap <= 1e-9 and same_flags
    ratio = engine_rate / baseline_rate

    print(f"valuation: {args.paths:,} paths x {periods} months (monthly payments), 3 tranches, one core")
    print(f"  Monte Carlo + waterfall   {engine_time * 1e3:8.1f} ms   {engine_rate / 1e6:6.1f} M path-periods/s")
    print(f"  pure-Python per-path loop {baseline_time * 1e3:8.1f} ms   {baseline_rate / 1e6:6.3f} M path-periods/s"
          f"   ({baseline_paths:,} paths)")  # fmt: skip
    print(f"  ratio {ratio:.1f}x; same numbers: max |loss diff| {loss_gap:.1e}, max |WAL diff| {wal_gap:.1e}, "
          f"shortfall flags equal: {same_flags}")  # fmt: skip
    for j, name in enumerate(structure.names):
        print(f"    {name:14s} EL {outcome.loss[j].mean():.3e}  PoS {outcome.shortfall[j].mean():.4f}"
              f"  WAL {outcome.wal_years[j].mean():.2f} y")  # fmt: skip

    sim = simulate_collections(inputs, n_paths=args.paths, seed=SEED, chunk_size=chunk)
    kept = evaluate_structure(sim, structure, chunk_size=chunk, with_irr=False, keep_cash=True)
    series = np.vstack(
        [
            np.column_stack([np.full(args.paths, -structure.sizes[j]), kept.cash[j].T])
            for j in range(len(structure.names))
        ]
    )
    irr_time, rates = best_time(lambda: batched_irr(series), args.repeat)
    sample = np.concatenate([np.arange(j * args.paths, j * args.paths + 20) for j in range(len(structure.names))])
    npf_time, reference = best_time(lambda: np.array([npf.irr(row) for row in series[sample]]), 1)
    pyxirr_time, _ = best_time(lambda: [pyxirr_irr(row) for row in series[sample]], 1)
    per_series = irr_time / series.shape[0]
    npf_per_series = npf_time / sample.size
    both = np.isfinite(reference) & np.isfinite(rates[sample])
    irr_gap = float(np.max(np.abs(rates[sample][both] - reference[both]))) if both.any() else 0.0
    print(f"batched IRR: {series.shape[0]:,} series of {series.shape[1]} periods (every class, every path)")
    print(f"  batched_irr        {per_series * 1e6:9.2f} us/series")
    print(f"  numpy-financial    {npf_per_series * 1e6:9.1f} us/series   ratio {npf_per_series / per_series:,.0f}x"
          f"   (max |diff| {irr_gap:.1e} on {sample.size} series)")  # fmt: skip
    print(f"  pyxirr             {pyxirr_time / sample.size * 1e6:9.2f} us/series   (for information)")

    started = time.perf_counter()
    result = value_deal(inputs, n_paths=args.paths, seed=SEED)
    whole = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    senior = result.senior
    print(f"value_deal end to end: {whole:.2f} s, peak resident memory {peak:.0f} MiB "
          f"(senior {senior.implied_rating}, suggested coupon {senior.suggested_coupon.coupon:.4%})")  # fmt: skip

    targets = [
        ("Monte Carlo + waterfall >= 10 M path-periods/s", engine_rate >= 10e6),
        ("Monte Carlo + waterfall >= 30x the pure-Python loop", ratio >= 30),
        ("batched IRR >= 1,000x numpy-financial per series", npf_per_series / per_series >= 1000),
        ("value_deal < 10 s and < 1 GiB", whole < 10 and peak < 1024),
    ]
    for label, met in targets:
        print(f"  target {label}: {'met' if met else 'NOT MET'}")
    if not same:
        print("FAILED: the pure-Python loop and the engine disagree")
        return 1
    if args.no_ratings:
        return 0
    print("\ntime to a decided rating (bench/rating_decision.py):", flush=True)
    from rating_decision import main as ratings  # noqa: PLC0415 - the same directory

    sys.argv = [sys.argv[0]]
    return ratings()


if __name__ == "__main__":
    sys.exit(main())
