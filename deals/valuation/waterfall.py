"""The priority of payments on every path at once, as the deal's documents write it (docs/valuation.md).

Each payment date k, on each path:

1. senior fees (a rate on the notes outstanding plus a fixed amount; unpaid fees carry forward);
2. the tests: DSCR_k = (collections_k - fees paid) / (rated interest of the period + the schedule's own
   instalment of the period; for a controlled amortisation, the period's share of the principal still to
   be funded: (rated balance - principal funding account) / periods left), never cumulative; the trigger compares the DSCR over a trailing window
   (sum of cash / sum of debt service of the last w periods) with its level, and a regulatory
   suspension of data use fails the test while it lasts. A failed test trips the trigger; a tripped
   trigger is cured after `trigger_cure` passing tests in a row (0: never). Tests run to expected
   maturity; the tail after it pays sequentially anyway;
3. interest of every rated class in priority order, all of it before any principal; a shortfall is
   drawn from the reserve (classes it covers), then from timely support covering the class (while
   its provider stands); what is still unpaid carries forward, without interest on it;
4. the reserve is topped up to its target (not on the last date, when it is released);
5. principal of the rated classes:
   - tripped, or after expected maturity: all cash, sequentially (turbo);
   - "sequential": all cash, sequentially (pass-through);
   - "pro_rata": all cash, shared by the rated classes in proportion to their balances;
   - "target_schedule" and "controlled_amortisation": the rated notes are paid down to the
     schedule's balance, sequentially; cash above it goes to the residual class only when the
     documents release it while every test passes ("excess_when_tests_pass"); otherwise it repays
     the rated notes early (target schedule) or is trapped until the next date (controlled
     amortisation, whose notes must not amortise before their period). A controlled
     amortisation first keeps in its principal funding account the share of the principal still
     due that the periods so far should have funded ((k + 1) / N of it), then releases;
   timely support pays the covered classes' shortfall against the schedule (pass-through modes:
   their balance at expected maturity);
6. the residual class receives what is left only once every rated class is repaid on that path
   (or as released in 5); with no residual class it goes back to the originator;
7. at the legal final the reserve and any trapped cash are released into the available funds first,
   and every support pays what the covered classes still miss, up to its amount.

Cash in = collections + the reserve funded at closing + support draws; cash out = fees + payments to
the classes + the originator's release + the reserve left at the end. The two are equal on every
path (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

MODES = ("sequential", "pro_rata", "target_schedule", "controlled_amortisation")
SCHEDULE_MODES = ("target_schedule", "controlled_amortisation")


@dataclass(frozen=True, eq=False)
class WaterfallStructure:
    """The capital structure and its rules, classes in order of priority; amounts in CNY, rates per period.

    `target_balance[k]` is the rated notes' aggregate balance the schedule
    reaches after period k (for every mode: it binds in the schedule modes and
    is the DSCR test's instalment in all of them); None means no schedule (the
    whole rated balance falls due at expected maturity).
    """

    names: tuple[str, ...]
    classes: tuple[str, ...]
    sizes: np.ndarray  # [J]
    period_rates: np.ndarray  # [J] coupon / periods per year (0 for a residual class without coupon)
    residual: int | None  # the subordinated class that takes what is left; never rated
    periods_per_year: int
    scheduled_periods: int  # payment periods to expected maturity
    mode: str = "sequential"
    target_balance: np.ndarray | None = None  # [K] rated aggregate balance after each period
    residual_release: str = "after_rated_repaid"
    fee_rate: float = 0.0  # per period, on the notes outstanding
    fixed_fee: float = 0.0  # per period
    reserve_target: float = 0.0
    reserve_covers: np.ndarray | None = None  # [J] bool
    support_amounts: np.ndarray | None = None  # [G]
    support_covers: np.ndarray | None = None  # [G, J] bool
    support_timely: np.ndarray | None = None  # [G] bool: timely (else ultimate)
    dscr_trigger: float = float("-inf")  # -inf: no DSCR test
    trigger_window: int = 1
    trigger_cure: int = 0  # passing tests in a row that cure a tripped trigger; 0: never

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown paydown mode {self.mode!r}")

    @property
    def supports(self) -> int:
        """Number of external supports (guarantees and undertakings)."""
        return 0 if self.support_amounts is None else int(self.support_amounts.size)

    @property
    def rated(self) -> list[int]:
        """The classes that are rated: all but the residual."""
        return [j for j in range(self.sizes.size) if j != self.residual]

    def without_support(self) -> WaterfallStructure:
        """The same structure with the external support removed (for the underlying rating)."""
        return replace(self, support_amounts=None, support_covers=None, support_timely=None)

    def with_sizes(self, sizes: np.ndarray) -> WaterfallStructure:
        """The same structure with other class sizes (the schedule scales with the rated notes)."""
        sizes = np.asarray(sizes, dtype=float)
        target = self.target_balance
        if target is not None:
            old = float(np.sum(self.sizes[self.rated]))
            new = float(np.sum(sizes[self.rated]))
            target = target * (new / old if old > 0 else 0.0)
        return replace(self, sizes=sizes, target_balance=target)


@dataclass(frozen=True, eq=False)
class WaterfallOutput:
    """Per path results; arrays are [classes, periods, paths], [classes, paths] or [periods, paths]."""

    cash: np.ndarray | None  # everything each class received each period (None unless recorded)
    principal: np.ndarray | None  # the principal part of it
    present_value: np.ndarray  # [J, B] what each class received, discounted at its own coupon
    principal_time: np.ndarray  # [J, B] sum of principal received x its time in years
    interest_shortfall: np.ndarray  # [J, B] a period ended with interest unpaid
    principal_outstanding: np.ndarray  # [J, B] at the legal final
    interest_arrears: np.ndarray  # [J, B] at the legal final
    fees_paid: np.ndarray  # [B]
    support_draws: np.ndarray  # [G, B] what each support paid
    reserve_initial: float
    reserve_final: np.ndarray  # [B]
    released_to_originator: np.ndarray  # [B]
    dscr: np.ndarray  # [K, B] the period's own DSCR; NaN where no test runs
    tripped_at_start: np.ndarray  # [K, B] bool: the trigger stood tripped when the period began
    tripped: np.ndarray  # [K, B] bool: the trigger was tripped for the period's payments (after its test)
    trigger_period: np.ndarray  # [B] first period (0-based) the trigger tripped, K if never
    schedule_missed: np.ndarray  # [K, B] bool: the rated notes ended the period above the schedule

    @property
    def guarantee_draws(self) -> np.ndarray:
        """[B] what all supports paid together."""
        return self.support_draws.sum(axis=0)


def class_targets(target: np.ndarray, sizes: np.ndarray, rated: list[int]) -> np.ndarray:
    """Each rated class's share of an aggregate scheduled balance, sequential: seniors amortise first.

    Class j holds clip(T - (rated balance junior to j), 0, size_j): the most
    junior rated class keeps its balance longest. Returns [J, K] (0 for others).
    """
    out = np.zeros((sizes.size, target.size))
    below = 0.0
    for j in reversed(rated):
        out[j] = np.clip(target - below, 0.0, sizes[j])
        below += sizes[j]
    return out


def run_waterfall(
    collections: np.ndarray,
    structure: WaterfallStructure,
    *,
    regulatory_event_period: np.ndarray | None = None,
    regulatory_event_end: np.ndarray | None = None,
    support_default_period: np.ndarray | None = None,
    record: bool = True,
) -> WaterfallOutput:
    """Run the priority of payments (module docstring) on collections [periods, paths], vectorised over paths.

    `regulatory_event_period[b]` is the 0-based period path b's suspension of
    data use starts (K or more: none) and `regulatory_event_end[b]` the first
    period after it (default: one period); it fails the tests meanwhile. `support_default_period[g, b]` is the
    period from which support g pays nothing. With `record=False` the cash of
    each period is not kept, only its present value and timing.
    """
    s = structure
    collections = np.asarray(collections, dtype=float)
    periods, paths = collections.shape
    classes = s.sizes.size
    sizes = s.sizes.astype(float)
    rates = s.period_rates.astype(float)
    rated = s.rated
    residual = s.residual
    # The residual, when there is one, is the last class: the rated classes are a prefix, read through a view.
    rated_rows = slice(0, len(rated))
    rated_rates = rates[rated_rows, None]
    n_scheduled = max(int(s.scheduled_periods), 1)
    covers_reserve = np.zeros(classes, dtype=bool) if s.reserve_covers is None else np.asarray(s.reserve_covers)
    n_support = s.supports
    caps = np.repeat(s.support_amounts.astype(float)[:, None], paths, axis=1) if n_support else np.zeros((0, paths))
    timely = np.asarray(s.support_timely, dtype=bool) if n_support else np.zeros(0, dtype=bool)
    if n_support and support_default_period is None:
        support_default_period = np.full((n_support, paths), periods, dtype=np.int64)
    tolerance = 1e-9 * np.maximum(sizes, 1.0)
    rated_total = float(sizes[rated].sum()) if rated else 0.0
    rated_tolerance = 1e-9 * max(rated_total, 1.0)
    dust = 1e-11 * max(float(sizes.sum()), 1.0)

    target = np.zeros(periods)
    if s.target_balance is not None:
        given = np.asarray(s.target_balance, dtype=float)[:periods]
        target[: given.size] = given
    else:
        target[: n_scheduled - 1] = rated_total
    target[n_scheduled - 1 :] = 0.0  # every rated note falls due at expected maturity
    targets_by_class = class_targets(target, sizes, rated)
    schedule_mode = s.mode in SCHEDULE_MODES
    controlled = s.mode == "controlled_amortisation"
    releases = s.residual_release == "excess_when_tests_pass" and residual is not None

    balance = np.repeat(sizes[:, None], paths, axis=1)
    arrears = np.zeros((classes, paths))
    fee_arrears = np.zeros(paths)
    reserve = np.full(paths, float(s.reserve_target))
    trap = np.zeros(paths)
    kept = periods if record else 1  # without a record, one period's slot is reused
    cash = np.zeros((classes, kept, paths))
    principal = np.zeros((classes, kept, paths))
    present = np.zeros((classes, paths))
    timed = np.zeros((classes, paths))
    discount = (1.0 + rates[:, None]) ** -np.arange(1, periods + 1, dtype=float)[None, :]
    shortfall = np.zeros((classes, paths), dtype=bool)
    fees_paid = np.zeros(paths)
    drawn = np.zeros((n_support, paths))
    originator = np.zeros(paths)
    dscr = np.full((periods, paths), np.nan)
    numerators = np.zeros((periods, paths))
    denominators = np.zeros((periods, paths))
    tripped = np.zeros(paths, dtype=bool)
    tripped_at_start = np.zeros((periods, paths), dtype=bool)
    tripped_for_payments = np.zeros((periods, paths), dtype=bool)
    passes = np.zeros(paths, dtype=np.int64)
    trigger_period = np.full(paths, periods, dtype=np.int64)
    missed = np.zeros((periods, paths), dtype=bool)
    window = max(int(s.trigger_window), 1)
    has_dscr_test = np.isfinite(s.dscr_trigger)
    if regulatory_event_period is not None and regulatory_event_end is None:
        regulatory_event_end = regulatory_event_period + 1
    charges_fees = s.fee_rate > 0 or s.fixed_fee > 0
    available = np.empty(paths)
    pay = np.empty(paths)

    def support(j: int, k: int, need: np.ndarray, *, use_reserve: bool, only_timely: bool) -> np.ndarray:
        # The reserve (if it covers j), then the supports covering j pay `need` in place; returns what they paid.
        paid = np.zeros(paths)
        if use_reserve and covers_reserve[j]:
            draw = np.minimum(reserve, need)
            reserve[:] -= draw
            need -= draw
            paid += draw
        for g in range(n_support):
            if not s.support_covers[g, j] or (only_timely and not timely[g]):
                continue
            draw = np.minimum(caps[g], need)
            draw[support_default_period[g] <= k] = 0.0
            caps[g] -= draw
            need -= draw
            paid += draw
            drawn[g] += draw
        return paid

    def pay_class_principal(j: int, slot: int, amount: np.ndarray) -> None:
        balance[j] -= amount
        principal[j, slot] += amount
        cash[j, slot] += amount

    def sequential(slot: int, budget: np.ndarray, gate: np.ndarray | None = None) -> np.ndarray:
        # Pay `budget` (gated to some paths) to the rated classes in priority order; returns what was paid.
        spend = budget if gate is None else np.where(gate, budget, 0.0)
        total = np.zeros(paths)
        if not spend.any():
            return total
        for j in rated:
            amount = np.minimum(balance[j], spend)
            if amount.any():
                pay_class_principal(j, slot, amount)
                spend = spend - amount
                total += amount
        return total

    def pay_residual(slot: int, amount: np.ndarray) -> None:
        if residual is None:
            originator[:] += amount
            return
        to_principal = np.minimum(balance[residual], amount)
        pay_class_principal(residual, slot, to_principal)
        cash[residual, slot] += amount - to_principal

    for k in range(periods):
        slot = k if record else 0
        last = k == periods - 1
        np.copyto(available, collections[k])
        trap_start = trap.copy() if controlled else None  # the principal funding account's balance
        available += trap
        trap.fill(0.0)
        if last:
            available += reserve
            reserve.fill(0.0)
        # 1. fees
        fee_now = np.zeros(paths)
        if charges_fees:
            due = balance.sum(axis=0) * s.fee_rate + s.fixed_fee + fee_arrears
            fee_now = np.minimum(available, due)
            available -= fee_now
            fees_paid += fee_now
            fee_arrears = due - fee_now
        # 2. tests (to expected maturity)
        tripped_at_start[k] = tripped
        rated_outstanding = balance[rated_rows].sum(axis=0) if rated else np.zeros(paths)
        if k < n_scheduled and rated:
            if controlled:
                # An accumulation structure: the period's share of the principal still to be funded by expected
                # maturity, net of what the principal funding account already holds.
                instalment = np.maximum(rated_outstanding - trap_start, 0.0) / (n_scheduled - k)
            else:
                before = rated_total if k == 0 else target[k - 1]
                instalment = np.minimum(rated_outstanding, max(before - target[k], 0.0))
            interest_now = (balance[rated_rows] * rated_rates).sum(axis=0)
            numerators[k] = np.maximum(collections[k] - fee_now, 0.0)
            denominators[k] = interest_now + instalment
            live = denominators[k] > rated_tolerance * 1e-3
            np.divide(numerators[k], denominators[k], out=dscr[k], where=live)
            fail = np.zeros(paths, dtype=bool)
            if has_dscr_test:
                first = max(0, k - window + 1)
                num = numerators[first : k + 1].sum(axis=0)
                den = denominators[first : k + 1].sum(axis=0)
                ratio = np.divide(num, den, out=np.full(paths, np.inf), where=den > rated_tolerance * 1e-3)
                fail |= ratio < s.dscr_trigger
            if regulatory_event_period is not None:
                fail |= (regulatory_event_period <= k) & (k < regulatory_event_end)
            if s.trigger_cure > 0:
                passes = np.where(fail, 0, passes + 1)
                tripped = (tripped & (passes < s.trigger_cure)) | fail
            else:
                tripped = tripped | fail
            trigger_period = np.where(fail & (trigger_period == periods), k, trigger_period)
        tripped_for_payments[k] = tripped
        # 3. interest of every rated class before any principal
        for j in rated:
            if rates[j] <= 0 and not arrears[j].any():
                continue
            due = balance[j] * rates[j] + arrears[j]
            paid = np.minimum(available, due)
            available -= paid
            short = due - paid
            if short.any():
                paid = paid + support(j, k, short, use_reserve=True, only_timely=not last)
                shortfall[j] |= short > tolerance[j]
            arrears[j] = short
            cash[j, slot] += paid
        # 4. reserve
        if not last and s.reserve_target > 0:
            top = np.minimum(available, s.reserve_target - reserve)
            reserve += top
            available -= top
        # 5. principal
        turbo = tripped | (k >= n_scheduled)
        if s.mode == "sequential" or turbo.all():
            available -= sequential(slot, available)
        elif s.mode == "pro_rata":
            available -= sequential(slot, available, turbo)
            outstanding = balance[rated_rows].sum(axis=0)
            share = np.divide(available, outstanding, out=np.ones(paths), where=outstanding > 0)
            share = np.where(turbo, 0.0, np.minimum(share, 1.0))
            for j in rated:
                amount = balance[j] * share
                if amount.any():
                    pay_class_principal(j, slot, amount)
                    available -= amount
        else:
            available -= sequential(slot, available, turbo)
            due = np.maximum(balance[rated_rows].sum(axis=0) - target[k], 0.0)
            available -= sequential(slot, np.minimum(available, due), ~turbo)
            excess = np.where(turbo, 0.0, available)
            if controlled and not last:
                # The principal funding account keeps the share of the principal still due that the periods so
                # far should have funded, before anything is released (a bullet is paid from what it gathered).
                remaining = balance[rated_rows].sum(axis=0)
                keep = np.minimum(excess, remaining * min(1.0, (k + 1) / n_scheduled))
                trap += keep
                available -= keep
                excess = excess - keep
            if releases:
                pay_residual(slot, excess)
                available -= excess
            elif s.mode == "target_schedule":
                available -= sequential(slot, excess)
            elif not last:
                repaid = balance[rated_rows].sum(axis=0) <= rated_tolerance
                hold = np.where(repaid, 0.0, excess)  # once repaid, the residual takes it below
                trap += hold
                available -= hold
        # timely support of scheduled principal
        if n_support and rated:
            for j in rated:
                if not s.support_covers[:, j].any():
                    continue
                if schedule_mode:
                    need = np.maximum(balance[j] - targets_by_class[j, k], 0.0)
                elif k == n_scheduled - 1:
                    need = balance[j].copy()
                else:
                    continue
                if need.any():
                    paid = support(j, k, need, use_reserve=False, only_timely=not last)
                    pay_class_principal(j, slot, paid)
        if k < n_scheduled and rated:
            missed[k] = balance[rated_rows].sum(axis=0) > target[k] + rated_tolerance
        # Floating-point dust left by the subtractions above is not cash for the residual class (the books keep it).
        specks = available <= dust
        originator[specks] += available[specks]
        available[specks] = 0.0
        # 6. the residual once the rated classes are repaid
        done = balance[rated_rows].sum(axis=0) <= rated_tolerance if rated else np.ones(paths, dtype=bool)
        rest = np.where(done, available, 0.0)
        if rest.any():
            pay_residual(slot, rest)
            available -= rest
        # 7. the legal final: support pays what the covered classes still miss; anything left is released
        if last:
            for j in rated:
                if n_support and s.support_covers[:, j].any():
                    arrears_paid = support(j, k, arrears[j], use_reserve=False, only_timely=False)
                    cash[j, slot] += arrears_paid
                    owed = balance[j].copy()
                    principal_paid = support(j, k, owed, use_reserve=False, only_timely=False)
                    pay_class_principal(j, slot, principal_paid)
            if available.any():
                pay_residual(slot, available)
                available.fill(0.0)
        else:
            trap += available  # only cash that no class could take yet: kept for the next date
            available.fill(0.0)
        # Present value at each class's coupon and principal timing, summed period by period.
        for j in range(classes):
            np.multiply(cash[j, slot], discount[j, k], out=pay)
            present[j] += pay
            np.multiply(principal[j, slot], (k + 1) / s.periods_per_year, out=pay)
            timed[j] += pay
            if not record:
                cash[j, slot].fill(0.0)
                principal[j, slot].fill(0.0)

    return WaterfallOutput(
        cash=cash if record else None,
        principal=principal if record else None,
        present_value=present,
        principal_time=timed,
        interest_shortfall=shortfall,
        principal_outstanding=balance,
        interest_arrears=arrears,
        fees_paid=fees_paid,
        support_draws=drawn,
        reserve_initial=float(s.reserve_target),
        reserve_final=reserve,
        released_to_originator=originator,
        dscr=dscr,
        tripped_at_start=tripped_at_start,
        tripped=tripped_for_payments,
        trigger_period=trigger_period,
        schedule_missed=missed,
    )
