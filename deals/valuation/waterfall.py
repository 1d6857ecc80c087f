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

from .arrays import Bools, Floats, Ints

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
    sizes: Floats  # [J]
    period_rates: Floats  # [J] coupon / periods per year (0 for a residual class without coupon)
    residual: int | None  # the subordinated class that takes what is left; never rated
    periods_per_year: int
    scheduled_periods: int  # payment periods to expected maturity
    mode: str = "sequential"
    target_balance: Floats | None = None  # [K] rated aggregate balance after each period
    residual_release: str = "after_rated_repaid"
    fee_rate: float = 0.0  # per period, on the notes outstanding
    fixed_fee: float = 0.0  # per period
    reserve_target: float = 0.0
    reserve_covers: Bools | None = None  # [J] bool
    support_amounts: Floats | None = None  # [G]
    support_covers: Bools | None = None  # [G, J] bool
    support_timely: Bools | None = None  # [G] bool: timely (else ultimate)
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

    def with_sizes(self, sizes: Floats) -> WaterfallStructure:
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

    cash: Floats | None  # everything each class received each period (None unless recorded)
    principal: Floats | None  # the principal part of it
    present_value: Floats  # [J, B] what each class received, discounted at its own coupon
    principal_time: Floats  # [J, B] sum of principal received x its time in years
    interest_shortfall: Bools  # [J, B] a period ended with interest unpaid
    principal_outstanding: Floats  # [J, B] at the legal final
    interest_arrears: Floats  # [J, B] at the legal final
    fees_paid: Floats  # [B]
    support_draws: Floats  # [G, B] what each support paid
    reserve_initial: float
    reserve_final: Floats  # [B]
    released_to_originator: Floats  # [B]
    dscr: Floats  # [K, B] the period's own DSCR; NaN where no test runs
    tripped_at_start: Bools  # [K, B] bool: the trigger stood tripped when the period began
    tripped: Bools  # [K, B] bool: the trigger was tripped for the period's payments (after its test)
    trigger_period: Ints  # [B] first period (0-based) the trigger tripped, K if never
    schedule_missed: Bools  # [K, B] bool: the rated notes ended the period above the schedule

    @property
    def guarantee_draws(self) -> Floats:
        """[B] what all supports paid together."""
        total: Floats = self.support_draws.sum(axis=0)
        return total


def class_targets(target: Floats, sizes: Floats, rated: list[int]) -> Floats:
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


# --- the run: fixed rules, the books that carry from period to period, and one function per step -----------------


@dataclass(frozen=True, eq=False, slots=True)
class _Rules:
    """The structure read into arrays for one run, with its tolerances; nothing here changes between periods."""

    periods: int
    paths: int
    record: bool
    sizes: Floats  # [J]
    rates: Floats  # [J] per period
    rated: list[int]
    residual: int | None
    # The residual, when there is one, is the last class: the rated classes are a prefix, read through a view.
    rated_rows: slice
    rated_rates: Floats  # [rated, 1]
    n_scheduled: int
    target: Floats  # [K] the rated notes' aggregate balance after each period, 0 from expected maturity
    targets_by_class: Floats  # [J, K]
    rated_total: float
    tolerance: Floats  # [J] below this a class's shortfall is rounding
    rated_tolerance: float
    dust: float
    mode: str
    schedule_mode: bool
    controlled: bool
    releases: bool  # the documents release the excess over the schedule to the residual while the tests pass
    charges_fees: bool
    fee_rate: float
    fixed_fee: float
    reserve_target: float
    covers_reserve: Bools  # [J]
    n_support: int
    support_covers: Bools  # [G, J]
    timely: Bools  # [G]
    support_default_period: Ints  # [G, B] the period each provider defaults (never: K)
    has_dscr_test: bool
    dscr_trigger: float
    window: int
    trigger_cure: int
    event_start: Ints | None  # [B] regulatory suspension
    event_end: Ints | None  # [B]
    discount: Floats  # [J, K]
    periods_per_year: int


@dataclass(eq=False, slots=True)
class _Books:
    """The balances carried from one period to the next, and what each class and party received so far."""

    balance: Floats  # [J, B]
    arrears: Floats  # [J, B] interest unpaid
    fee_arrears: Floats  # [B]
    reserve: Floats  # [B]
    trap: Floats  # [B] cash kept for the next date (the principal funding account, or no class could take it)
    caps: Floats  # [G, B] what each support may still pay
    drawn: Floats  # [G, B]
    cash: Floats  # [J, kept periods, B]
    principal: Floats  # [J, kept periods, B]
    present: Floats  # [J, B]
    timed: Floats  # [J, B]
    shortfall: Bools  # [J, B]
    fees_paid: Floats  # [B]
    originator: Floats  # [B]
    available: Floats  # [B] the period's funds not yet paid out
    scratch: Floats  # [B]


@dataclass(eq=False, slots=True)
class _Tests:
    """The DSCR tests and the trigger: its state carried between periods and what each period recorded."""

    tripped: Bools  # [B] now
    passes: Ints  # [B] passing tests in a row since the last failure
    numerators: Floats  # [K, B]
    denominators: Floats  # [K, B]
    dscr: Floats  # [K, B]
    tripped_at_start: Bools  # [K, B]
    tripped_for_payments: Bools  # [K, B]
    trigger_period: Ints  # [B]
    missed: Bools  # [K, B]


def _read_rules(
    s: WaterfallStructure,
    periods: int,
    paths: int,
    *,
    record: bool,
    event_start: Ints | None,
    event_end: Ints | None,
    support_default_period: Ints | None,
) -> _Rules:
    """The structure's rules as arrays for `paths` paths over `periods` periods."""
    classes = s.sizes.size
    sizes = s.sizes.astype(float)
    rates = s.period_rates.astype(float)
    rated = s.rated
    rated_rows = slice(0, len(rated))
    n_scheduled = max(int(s.scheduled_periods), 1)
    n_support = s.supports
    if support_default_period is None:
        support_default_period = np.full((n_support, paths), periods, dtype=np.int64)
    if event_start is not None and event_end is None:
        event_end = event_start + 1  # a suspension lasts one period unless told
    rated_total = float(sizes[rated].sum()) if rated else 0.0
    target = np.zeros(periods)
    if s.target_balance is not None:
        given = np.asarray(s.target_balance, dtype=float)[:periods]
        target[: given.size] = given
    else:
        target[: n_scheduled - 1] = rated_total
    target[n_scheduled - 1 :] = 0.0  # every rated note falls due at expected maturity
    return _Rules(
        periods=periods,
        paths=paths,
        record=record,
        sizes=sizes,
        rates=rates,
        rated=rated,
        residual=s.residual,
        rated_rows=rated_rows,
        rated_rates=rates[rated_rows, None],
        n_scheduled=n_scheduled,
        target=target,
        targets_by_class=class_targets(target, sizes, rated),
        rated_total=rated_total,
        tolerance=1e-9 * np.maximum(sizes, 1.0),
        rated_tolerance=1e-9 * max(rated_total, 1.0),
        dust=1e-11 * max(float(sizes.sum()), 1.0),
        mode=s.mode,
        schedule_mode=s.mode in SCHEDULE_MODES,
        controlled=s.mode == "controlled_amortisation",
        releases=s.residual_release == "excess_when_tests_pass" and s.residual is not None,
        charges_fees=s.fee_rate > 0 or s.fixed_fee > 0,
        fee_rate=s.fee_rate,
        fixed_fee=s.fixed_fee,
        reserve_target=s.reserve_target,
        covers_reserve=np.zeros(classes, dtype=bool) if s.reserve_covers is None else np.asarray(s.reserve_covers),
        n_support=n_support,
        support_covers=np.asarray(s.support_covers, dtype=bool) if n_support else np.zeros((0, classes), dtype=bool),
        timely=np.asarray(s.support_timely, dtype=bool) if n_support else np.zeros(0, dtype=bool),
        support_default_period=support_default_period,
        has_dscr_test=bool(np.isfinite(s.dscr_trigger)),
        dscr_trigger=s.dscr_trigger,
        window=max(int(s.trigger_window), 1),
        trigger_cure=s.trigger_cure,
        event_start=event_start,
        event_end=event_end,
        discount=(1.0 + rates[:, None]) ** -np.arange(1, periods + 1, dtype=float)[None, :],
        periods_per_year=s.periods_per_year,
    )


def _open_books(rules: _Rules, s: WaterfallStructure) -> _Books:
    """The books at closing: every class at its size, the reserve funded, nothing paid yet."""
    classes, paths = rules.sizes.size, rules.paths
    kept = rules.periods if rules.record else 1  # without a record, one period's slot is reused
    caps = (
        np.repeat(s.support_amounts.astype(float)[:, None], paths, axis=1)
        if rules.n_support and s.support_amounts is not None
        else np.zeros((0, paths))
    )
    return _Books(
        balance=np.repeat(rules.sizes[:, None], paths, axis=1),
        arrears=np.zeros((classes, paths)),
        fee_arrears=np.zeros(paths),
        reserve=np.full(paths, float(s.reserve_target)),
        trap=np.zeros(paths),
        caps=caps,
        drawn=np.zeros((rules.n_support, paths)),
        cash=np.zeros((classes, kept, paths)),
        principal=np.zeros((classes, kept, paths)),
        present=np.zeros((classes, paths)),
        timed=np.zeros((classes, paths)),
        shortfall=np.zeros((classes, paths), dtype=bool),
        fees_paid=np.zeros(paths),
        originator=np.zeros(paths),
        available=np.empty(paths),
        scratch=np.empty(paths),
    )


def _open_tests(rules: _Rules) -> _Tests:
    """No test run yet, the trigger untripped."""
    periods, paths = rules.periods, rules.paths
    return _Tests(
        tripped=np.zeros(paths, dtype=bool),
        passes=np.zeros(paths, dtype=np.int64),
        numerators=np.zeros((periods, paths)),
        denominators=np.zeros((periods, paths)),
        dscr=np.full((periods, paths), np.nan),
        tripped_at_start=np.zeros((periods, paths), dtype=bool),
        tripped_for_payments=np.zeros((periods, paths), dtype=bool),
        trigger_period=np.full(paths, periods, dtype=np.int64),
        missed=np.zeros((periods, paths), dtype=bool),
    )


# --- payments shared by the steps ----------------------------------------------------------------------------------


def _draw_support(
    rules: _Rules, books: _Books, j: int, k: int, need: Floats, *, use_reserve: bool, only_timely: bool
) -> Floats:
    """The reserve (if it covers class j), then the supports covering j, pay `need`; it is reduced in place.

    Returns what they paid. A support pays nothing from its provider's default on, and at most its amount.
    """
    paid = np.zeros(rules.paths)
    if use_reserve and rules.covers_reserve[j]:
        draw = np.minimum(books.reserve, need)
        books.reserve[:] -= draw
        need -= draw
        paid += draw
    for g in range(rules.n_support):
        if not rules.support_covers[g, j] or (only_timely and not rules.timely[g]):
            continue
        draw = np.minimum(books.caps[g], need)
        draw[rules.support_default_period[g] <= k] = 0.0
        books.caps[g] -= draw
        need -= draw
        paid += draw
        books.drawn[g] += draw
    return paid


def _pay_class_principal(books: _Books, j: int, slot: int, amount: Floats) -> None:
    """Class j receives `amount` of principal."""
    books.balance[j] -= amount
    books.principal[j, slot] += amount
    books.cash[j, slot] += amount


def _pay_sequentially(rules: _Rules, books: _Books, slot: int, budget: Floats, gate: Bools | None = None) -> Floats:
    """Pay `budget` (on the paths `gate` allows) to the rated classes in priority order; returns what was paid."""
    spend = budget if gate is None else np.where(gate, budget, 0.0)
    total = np.zeros(rules.paths)
    if not spend.any():
        return total
    for j in rules.rated:
        amount = np.minimum(books.balance[j], spend)
        if amount.any():
            _pay_class_principal(books, j, slot, amount)
            spend = spend - amount
            total += amount
    return total


def _pay_residual(rules: _Rules, books: _Books, slot: int, amount: Floats) -> None:
    """The residual class takes `amount` (principal first, the rest as its return); without one, the originator."""
    residual = rules.residual
    if residual is None:
        books.originator[:] += amount
        return
    to_principal = np.minimum(books.balance[residual], amount)
    _pay_class_principal(books, residual, slot, to_principal)
    books.cash[residual, slot] += amount - to_principal


def _rated_outstanding(rules: _Rules, books: _Books) -> Floats:
    """[B] the rated classes' aggregate balance."""
    outstanding: Floats = books.balance[rules.rated_rows].sum(axis=0)
    return outstanding


# --- the steps of one payment date, in the order of the priority of payments (module docstring) --------------------


def _collect_cash(rules: _Rules, books: _Books, collected: Floats, *, last: bool) -> Floats | None:
    """Available funds: the period's collections, the cash kept from the last date and, at the legal final, the reserve.

    Returns what the principal funding account held at the start (controlled amortisation only), for the test.
    """
    np.copyto(books.available, collected)
    trap_start = books.trap.copy() if rules.controlled else None
    books.available += books.trap
    books.trap.fill(0.0)
    if last:
        books.available += books.reserve
        books.reserve.fill(0.0)
    return trap_start


def _pay_senior_fees(rules: _Rules, books: _Books) -> Floats:
    """1. Senior fees on the notes outstanding plus the fixed fee and any unpaid before; returns what was paid."""
    fee_now = np.zeros(rules.paths)
    if rules.charges_fees:
        due = books.balance.sum(axis=0) * rules.fee_rate + rules.fixed_fee + books.fee_arrears
        fee_now = np.minimum(books.available, due)
        books.available -= fee_now
        books.fees_paid += fee_now
        books.fee_arrears = due - fee_now
    return fee_now


def _debt_service(rules: _Rules, books: _Books, k: int, trap_start: Floats | None) -> Floats:
    """The DSCR's denominator: the rated interest of the period plus the schedule's own instalment of it."""
    outstanding = _rated_outstanding(rules, books)
    if trap_start is not None:  # controlled amortisation
        # An accumulation structure: the period's share of the principal still to be funded by expected
        # maturity, net of what the principal funding account already holds.
        instalment = np.maximum(outstanding - trap_start, 0.0) / (rules.n_scheduled - k)
    else:
        before = rules.rated_total if k == 0 else rules.target[k - 1]
        instalment = np.minimum(outstanding, max(before - rules.target[k], 0.0))
    interest_now: Floats = (books.balance[rules.rated_rows] * rules.rated_rates).sum(axis=0)
    return interest_now + instalment


def _failed_tests(rules: _Rules, tests: _Tests, k: int) -> Bools:
    """[B] the DSCR over the trailing window is below its level, or data use is suspended."""
    fail = np.zeros(rules.paths, dtype=bool)
    if rules.has_dscr_test:
        first = max(0, k - rules.window + 1)
        num = tests.numerators[first : k + 1].sum(axis=0)
        den = tests.denominators[first : k + 1].sum(axis=0)
        ratio = np.divide(num, den, out=np.full(rules.paths, np.inf), where=den > rules.rated_tolerance * 1e-3)
        fail |= ratio < rules.dscr_trigger
    if rules.event_start is not None and rules.event_end is not None:
        fail |= (rules.event_start <= k) & (k < rules.event_end)
    return fail


def _trip_or_cure(rules: _Rules, tests: _Tests, k: int, fail: Bools) -> None:
    """A failed test trips the trigger; `trigger_cure` passes in a row cure it (never when 0)."""
    if rules.trigger_cure > 0:
        tests.passes = np.where(fail, 0, tests.passes + 1)
        tests.tripped = (tests.tripped & (tests.passes < rules.trigger_cure)) | fail
    else:
        tests.tripped = tests.tripped | fail
    tests.trigger_period = np.where(fail & (tests.trigger_period == rules.periods), k, tests.trigger_period)


def _run_tests(
    rules: _Rules, books: _Books, tests: _Tests, k: int, collected: Floats, fee_now: Floats, trap_start: Floats | None
) -> None:
    """2. The period's DSCR and the trigger, to expected maturity only (the tail pays sequentially anyway)."""
    tests.tripped_at_start[k] = tests.tripped
    if k < rules.n_scheduled and rules.rated:
        tests.numerators[k] = np.maximum(collected - fee_now, 0.0)
        tests.denominators[k] = _debt_service(rules, books, k, trap_start)
        live = tests.denominators[k] > rules.rated_tolerance * 1e-3
        np.divide(tests.numerators[k], tests.denominators[k], out=tests.dscr[k], where=live)
        _trip_or_cure(rules, tests, k, _failed_tests(rules, tests, k))
    tests.tripped_for_payments[k] = tests.tripped


def _pay_interest(rules: _Rules, books: _Books, k: int, slot: int, *, last: bool) -> None:
    """3. Interest of every rated class in priority order; a shortfall is drawn from the reserve, then support."""
    available = books.available
    for j in rules.rated:
        if rules.rates[j] <= 0 and not books.arrears[j].any():
            continue
        due = books.balance[j] * rules.rates[j] + books.arrears[j]
        paid = np.minimum(available, due)
        available -= paid
        short = due - paid
        if short.any():
            # Before the legal final only timely support pays interest when due.
            paid = paid + _draw_support(rules, books, j, k, short, use_reserve=True, only_timely=not last)
            books.shortfall[j] |= short > rules.tolerance[j]
        books.arrears[j] = short  # what support left unpaid carries forward, without interest on it
        books.cash[j, slot] += paid


def _top_up_reserve(rules: _Rules, books: _Books, *, last: bool) -> None:
    """4. The reserve back to its target (not at the legal final, when it was released)."""
    if not last and rules.reserve_target > 0:
        top = np.minimum(books.available, rules.reserve_target - books.reserve)
        books.reserve += top
        books.available -= top


def _pay_principal_pro_rata(rules: _Rules, books: _Books, slot: int, turbo: Bools) -> None:
    """Pro rata: the rated classes share the cash by balance; tripped paths pay sequentially instead."""
    available = books.available
    available -= _pay_sequentially(rules, books, slot, available, turbo)
    outstanding = _rated_outstanding(rules, books)
    share = np.divide(available, outstanding, out=np.ones(rules.paths), where=outstanding > 0)
    share = np.where(turbo, 0.0, np.minimum(share, 1.0))
    for j in rules.rated:
        amount = books.balance[j] * share
        if amount.any():
            _pay_class_principal(books, j, slot, amount)
            available -= amount


def _pay_principal_to_schedule(rules: _Rules, books: _Books, k: int, slot: int, turbo: Bools) -> Floats:
    """The schedule modes: the rated notes down to the schedule, sequentially; returns the excess over it.

    Tripped paths pay all their cash sequentially and have no excess.
    """
    available = books.available
    available -= _pay_sequentially(rules, books, slot, available, turbo)
    due = np.maximum(_rated_outstanding(rules, books) - rules.target[k], 0.0)
    available -= _pay_sequentially(rules, books, slot, np.minimum(available, due), ~turbo)
    return np.where(turbo, 0.0, available)


def _fund_principal_account(rules: _Rules, books: _Books, k: int, excess: Floats) -> Floats:
    """Controlled amortisation: keep the share of the principal due that the periods so far should have funded.

    Returns the excess left after it.
    """
    # The principal funding account keeps the share of the principal still due that the periods so far should
    # have funded, before anything is released (a bullet is paid from what it gathered).
    remaining = _rated_outstanding(rules, books)
    keep = np.minimum(excess, remaining * min(1.0, (k + 1) / rules.n_scheduled))
    books.trap += keep
    books.available -= keep
    return excess - keep


def _place_excess(rules: _Rules, books: _Books, slot: int, excess: Floats, *, last: bool) -> None:
    """The cash above the schedule: released to the residual, early repayment (target schedule), or trapped."""
    if rules.releases:
        _pay_residual(rules, books, slot, excess)
        books.available -= excess
    elif rules.mode == "target_schedule":
        books.available -= _pay_sequentially(rules, books, slot, excess)
    elif not last:
        repaid = _rated_outstanding(rules, books) <= rules.rated_tolerance
        hold = np.where(repaid, 0.0, excess)  # once repaid, the residual takes it below
        books.trap += hold
        books.available -= hold


def _pay_principal(rules: _Rules, books: _Books, k: int, slot: int, turbo: Bools, *, last: bool) -> None:
    """5. Principal of the rated classes per paydown mode; tripped paths and the tail pay sequentially (turbo)."""
    if rules.mode == "sequential" or turbo.all():
        books.available -= _pay_sequentially(rules, books, slot, books.available)
    elif rules.mode == "pro_rata":
        _pay_principal_pro_rata(rules, books, slot, turbo)
    else:
        excess = _pay_principal_to_schedule(rules, books, k, slot, turbo)
        if rules.controlled and not last:
            excess = _fund_principal_account(rules, books, k, excess)
        _place_excess(rules, books, slot, excess, last=last)


def _support_scheduled_principal(rules: _Rules, books: _Books, k: int, slot: int, *, last: bool) -> None:
    """Timely support pays the covered classes' shortfall against the schedule (pass-through: at expected maturity)."""
    if not (rules.n_support and rules.rated):
        return
    for j in rules.rated:
        if not rules.support_covers[:, j].any():
            continue
        if rules.schedule_mode:
            need = np.maximum(books.balance[j] - rules.targets_by_class[j, k], 0.0)
        elif k == rules.n_scheduled - 1:
            need = books.balance[j].copy()
        else:
            continue
        if need.any():
            paid = _draw_support(rules, books, j, k, need, use_reserve=False, only_timely=not last)
            _pay_class_principal(books, j, slot, paid)


def _check_schedule(rules: _Rules, books: _Books, tests: _Tests, k: int) -> None:
    """Record whether the rated notes ended the period above the schedule (to expected maturity)."""
    if k < rules.n_scheduled and rules.rated:
        tests.missed[k] = _rated_outstanding(rules, books) > rules.target[k] + rules.rated_tolerance


def _sweep_dust(rules: _Rules, books: _Books) -> None:
    """Floating-point dust left by the subtractions is not cash for the residual class (the books keep it)."""
    available = books.available
    specks = available <= rules.dust
    books.originator[specks] += available[specks]
    available[specks] = 0.0


def _pay_residual_once_repaid(rules: _Rules, books: _Books, slot: int) -> None:
    """6. The residual class takes what is left on the paths where every rated class is repaid."""
    if rules.rated:
        done = _rated_outstanding(rules, books) <= rules.rated_tolerance
    else:
        done = np.ones(rules.paths, dtype=bool)
    rest = np.where(done, books.available, 0.0)
    if rest.any():
        _pay_residual(rules, books, slot, rest)
        books.available -= rest


def _settle_legal_final(rules: _Rules, books: _Books, k: int, slot: int) -> None:
    """7. Every support pays what its covered classes still miss; anything left goes to the residual."""
    for j in rules.rated:
        if rules.n_support and rules.support_covers[:, j].any():
            arrears_paid = _draw_support(rules, books, j, k, books.arrears[j], use_reserve=False, only_timely=False)
            books.cash[j, slot] += arrears_paid
            owed = books.balance[j].copy()
            principal_paid = _draw_support(rules, books, j, k, owed, use_reserve=False, only_timely=False)
            _pay_class_principal(books, j, slot, principal_paid)
    if books.available.any():
        _pay_residual(rules, books, slot, books.available)
        books.available.fill(0.0)


def _carry_to_next_date(books: _Books) -> None:
    """Cash that no class could take yet is kept for the next date."""
    books.trap += books.available
    books.available.fill(0.0)


def _discount_period(rules: _Rules, books: _Books, k: int, slot: int) -> None:
    """Add the period's cash at each class's coupon, and its principal's timing, to the running sums."""
    pay = books.scratch
    for j in range(rules.sizes.size):
        np.multiply(books.cash[j, slot], rules.discount[j, k], out=pay)
        books.present[j] += pay
        np.multiply(books.principal[j, slot], (k + 1) / rules.periods_per_year, out=pay)
        books.timed[j] += pay
        if not rules.record:
            books.cash[j, slot].fill(0.0)
            books.principal[j, slot].fill(0.0)


def _pay_period(rules: _Rules, books: _Books, tests: _Tests, collected: Floats, k: int) -> None:
    """One payment date on every path: the steps of the module docstring, in order."""
    slot = k if rules.record else 0
    last = k == rules.periods - 1
    trap_start = _collect_cash(rules, books, collected, last=last)
    fee_now = _pay_senior_fees(rules, books)
    _run_tests(rules, books, tests, k, collected, fee_now, trap_start)
    _pay_interest(rules, books, k, slot, last=last)
    _top_up_reserve(rules, books, last=last)
    turbo = tests.tripped | (k >= rules.n_scheduled)
    _pay_principal(rules, books, k, slot, turbo, last=last)
    _support_scheduled_principal(rules, books, k, slot, last=last)
    _check_schedule(rules, books, tests, k)
    _sweep_dust(rules, books)
    _pay_residual_once_repaid(rules, books, slot)
    if last:
        _settle_legal_final(rules, books, k, slot)
    else:
        _carry_to_next_date(books)
    _discount_period(rules, books, k, slot)


def run_waterfall(
    collections: Floats,
    structure: WaterfallStructure,
    *,
    regulatory_event_period: Ints | None = None,
    regulatory_event_end: Ints | None = None,
    support_default_period: Ints | None = None,
    record: bool = True,
) -> WaterfallOutput:
    """Run the priority of payments (module docstring) on collections [periods, paths], vectorised over paths.

    `regulatory_event_period[b]` is the 0-based period path b's suspension of
    data use starts (K or more: none) and `regulatory_event_end[b]` the first
    period after it (default: one period); it fails the tests meanwhile. `support_default_period[g, b]` is the
    period from which support g pays nothing. With `record=False` the cash of
    each period is not kept, only its present value and timing.
    """
    collections = np.asarray(collections, dtype=float)
    periods, paths = collections.shape
    rules = _read_rules(
        structure,
        periods,
        paths,
        record=record,
        event_start=regulatory_event_period,
        event_end=regulatory_event_end,
        support_default_period=support_default_period,
    )
    books = _open_books(rules, structure)
    tests = _open_tests(rules)
    for k in range(periods):
        _pay_period(rules, books, tests, collections[k], k)
    return WaterfallOutput(
        cash=books.cash if record else None,
        principal=books.principal if record else None,
        present_value=books.present,
        principal_time=books.timed,
        interest_shortfall=books.shortfall,
        principal_outstanding=books.balance,
        interest_arrears=books.arrears,
        fees_paid=books.fees_paid,
        support_draws=books.drawn,
        reserve_initial=float(structure.reserve_target),
        reserve_final=books.reserve,
        released_to_originator=books.originator,
        dscr=tests.dscr,
        tripped_at_start=tests.tripped_at_start,
        tripped=tests.tripped_for_payments,
        trigger_period=tests.trigger_period,
        schedule_missed=tests.missed,
    )
