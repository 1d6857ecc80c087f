"""The priority of payments on every path at once: fees, interest, reserve, principal, triggers, guarantees.

Order each payment date (a typical Chinese ABS 'interest first' waterfall):

1. senior fees (a rate on the notes outstanding plus a fixed amount; unpaid fees carry forward);
2. interest of each class in priority order; a shortfall of a class the reserve
   covers is drawn from the reserve, then from the guarantees covering it
   (while the guarantor has not defaulted); unpaid interest carries forward
   without interest on it;
3. normal mode: top up the reserve to its target, pay scheduled principal
   sequentially (the straight-line target for all notes, senior first), and
   release what is left to the subordinated class (or to the originator);
4. after a trigger (DSCR below its floor, or a regulatory suspension), in the
   tail after expected maturity, or in pass-through amortisation, every class
   is paid interest then principal in turn with all the cash there is
   (sequential turbo); the residue goes to the subordinated class;
5. at the legal final the reserve is released into the available funds, and
   the guarantees pay the covered classes' outstanding interest and principal.

DSCR of a period = cash after fees / (interest due + scheduled principal of
the rated, non-residual classes). Cash in = collections + reserve funded at
closing + guarantee draws; cash out = fees + payments to the classes + the
originator's release + the reserve left at the end. The two are equal on every
path (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True, eq=False)
class WaterfallStructure:
    """The capital structure and its rules, classes in order of priority; amounts in CNY, rates per period."""

    names: tuple[str, ...]
    classes: tuple[str, ...]
    sizes: np.ndarray  # [J]
    period_rates: np.ndarray  # [J] coupon / periods per year (0 for a residual class without coupon)
    residual: int | None  # class that receives released excess and the final residue
    periods_per_year: int
    scheduled_periods: int  # payment periods to expected maturity
    amortisation: str = "scheduled"
    fee_rate: float = 0.0  # per period, on the notes outstanding
    fixed_fee: float = 0.0  # per period
    reserve_target: float = 0.0
    reserve_covers: np.ndarray | None = None  # [J] bool
    guarantee_amounts: np.ndarray | None = None  # [G]
    guarantee_covers: np.ndarray | None = None  # [G, J] bool
    dscr_trigger: float = 1.0  # -inf: no DSCR trigger
    trigger_curable: bool = False

    @property
    def guarantees(self) -> int:
        """Number of guarantees."""
        return 0 if self.guarantee_amounts is None else int(self.guarantee_amounts.size)

    def without_guarantees(self) -> WaterfallStructure:
        """The same structure with the external guarantees removed."""
        return replace(self, guarantee_amounts=None, guarantee_covers=None)

    def with_sizes(self, sizes: np.ndarray) -> WaterfallStructure:
        """The same structure with other class sizes."""
        return replace(self, sizes=np.asarray(sizes, dtype=float))


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
    guarantee_draws: np.ndarray  # [B]
    reserve_initial: float
    reserve_final: np.ndarray  # [B]
    released_to_originator: np.ndarray  # [B]
    dscr: np.ndarray  # [K, B], NaN when no rated debt service is due
    trigger_period: np.ndarray  # [B] first period (0-based) in sequential mode after a trigger, K if never


def run_waterfall(
    collections: np.ndarray,
    structure: WaterfallStructure,
    *,
    regulatory_event_period: np.ndarray | None = None,
    guarantor_default_period: np.ndarray | None = None,
    record: bool = True,
) -> WaterfallOutput:
    """Run the priority of payments (module docstring) on collections [periods, paths], vectorised over paths.

    `regulatory_event_period[b]` is the 0-based period from which path b is in
    a regulatory event (K or more: none); `guarantor_default_period[g, b]` the
    period from which guarantor g pays nothing. With `record=False` the cash
    of each period is not kept, only its present value and timing.
    """
    s = structure
    collections = np.asarray(collections, dtype=float)
    periods, paths = collections.shape
    classes = s.sizes.size
    sizes = s.sizes.astype(float)
    rates = s.period_rates.astype(float)
    rated = [j for j in range(classes) if j != s.residual]
    covers_reserve = np.zeros(classes, dtype=bool) if s.reserve_covers is None else np.asarray(s.reserve_covers)
    n_guarantees = s.guarantees
    caps = np.repeat(s.guarantee_amounts.astype(float)[:, None], paths, axis=1) if n_guarantees else None
    if n_guarantees and guarantor_default_period is None:
        guarantor_default_period = np.full((n_guarantees, paths), periods, dtype=np.int64)
    tolerance = 1e-9 * np.maximum(sizes, 1.0)

    balance = np.repeat(sizes[:, None], paths, axis=1)
    arrears = np.zeros((classes, paths))
    owing = [False] * classes  # some path carries unpaid interest of the class
    fee_arrears = np.zeros(paths)
    reserve = np.full(paths, float(s.reserve_target))
    kept = periods if record else 1  # without a record, one period's slot is reused
    cash = np.zeros((classes, kept, paths))
    principal = np.zeros((classes, kept, paths))
    present = np.zeros((classes, paths))
    timed = np.zeros((classes, paths))
    discount = (1.0 + rates[:, None]) ** -np.arange(1, periods + 1, dtype=float)[None, :]
    shortfall = np.zeros((classes, paths), dtype=bool)
    fees_paid = np.zeros(paths)
    drawn = np.zeros(paths)
    originator = np.zeros(paths)
    dscr = np.full((periods, paths), np.nan)
    tripped = np.zeros(paths, dtype=bool)
    trigger_period = np.full(paths, periods, dtype=np.int64)
    available, pay, short, draw = (np.empty(paths) for _ in range(4))
    notes, remaining, service, fee_due = (np.empty(paths) for _ in range(4))
    interest_due = np.empty((classes, paths))
    scheduled = np.zeros((classes, paths))
    total_notes = float(sizes.sum())
    n_scheduled = max(int(s.scheduled_periods), 1)
    charges_fees = s.fee_rate > 0 or s.fixed_fee > 0

    def support(j: int, k: int, need: np.ndarray, paid: np.ndarray) -> None:
        # Reserve, then guarantees, pay `need` (in place) for class j; `paid` grows by what they pay.
        if covers_reserve[j]:
            np.minimum(reserve, need, out=draw)
            np.subtract(reserve, draw, out=reserve)
            need -= draw
            paid += draw
        for g in range(n_guarantees):
            if not s.guarantee_covers[g, j]:
                continue
            np.minimum(caps[g], need, out=draw)
            draw[guarantor_default_period[g] <= k] = 0.0
            caps[g] -= draw
            need -= draw
            paid += draw
            np.add(drawn, draw, out=drawn)

    def pay_principal(j: int, slot: int, cap: np.ndarray, gate: np.ndarray | None) -> None:
        # Principal of class j: the least of the cash left and `cap`, on the paths the gate (1.0/0.0) selects.
        np.minimum(available, cap, out=pay)
        if gate is not None:
            np.multiply(pay, gate, out=pay)
        np.subtract(available, pay, out=available)
        balance[j] -= pay
        principal[j, slot] += pay
        cash[j, slot] += pay
        received[j] = repaid[j] = True
        alive[j] = bool(balance[j].any())

    alive = [True] * classes  # some path still has principal of the class outstanding
    for period in range(periods):
        slot = period if record else 0  # where this period's payments are written
        received = [False] * classes  # the class was paid something this period (on some path)
        repaid = [False] * classes  # ...some of it principal
        np.copyto(available, collections[period])
        last = period == periods - 1
        if last:
            available += reserve
            reserve.fill(0.0)
        balance.sum(axis=0, out=notes)
        if charges_fees:
            np.multiply(notes, s.fee_rate, out=fee_due)
            fee_due += s.fixed_fee
            fee_due += fee_arrears
            np.minimum(available, fee_due, out=pay)
            available -= pay
            fees_paid += pay
            np.subtract(fee_due, pay, out=fee_arrears)

        np.multiply(balance, rates[:, None], out=interest_due)
        interest_due += arrears
        target = total_notes * max(0.0, 1.0 - (period + 1) / n_scheduled)
        np.subtract(notes, target, out=remaining)
        np.maximum(remaining, 0.0, out=remaining)
        service.fill(0.0)
        left = True
        for j in range(classes):
            if left:
                np.minimum(balance[j], remaining, out=scheduled[j])
                remaining -= scheduled[j]
                left = bool(remaining.any())
            else:
                scheduled[j].fill(0.0)
            if j in rated:
                service += scheduled[j]
                service += interest_due[j]
        row = dscr[period]
        np.divide(available, service, out=row, where=service > 1e-9 * total_notes)
        now = row < s.dscr_trigger  # NaN (nothing due) compares False
        if regulatory_event_period is not None:
            now |= regulatory_event_period <= period
        np.minimum(trigger_period, np.where(now, period, periods), out=trigger_period)
        tripped = now if s.trigger_curable else (tripped | now)
        if period >= n_scheduled or s.amortisation == "pass_through":
            any_turbo = all_turbo = True
        else:
            any_turbo = bool(tripped.any())
            all_turbo = any_turbo and bool(tripped.all())
        turbo_gate = tripped.astype(float) if any_turbo and not all_turbo else None

        for j in range(classes):
            if (rates[j] > 0 and alive[j]) or owing[j]:
                np.minimum(available, interest_due[j], out=pay)
                available -= pay
                np.subtract(interest_due[j], pay, out=short)
                if short.any():
                    support(j, period, short, pay)
                    shortfall[j] |= short > tolerance[j]
                    owing[j] = bool(short.any())
                    np.copyto(arrears[j], short)
                elif owing[j]:
                    arrears[j].fill(0.0)
                    owing[j] = False
                cash[j, slot] += pay
                received[j] = True
            if any_turbo and alive[j]:
                pay_principal(j, slot, balance[j], turbo_gate)

        if not all_turbo:
            normal_gate = None if turbo_gate is None else 1.0 - turbo_gate
            if not last and s.reserve_target > 0:  # the reserve is released on the last date, not refilled
                np.subtract(s.reserve_target, reserve, out=short)
                np.minimum(available, short, out=pay)
                if normal_gate is not None:
                    pay *= normal_gate
                reserve += pay
                available -= pay
            for j in range(classes):
                if scheduled[j].any():
                    pay_principal(j, slot, scheduled[j], normal_gate)
        if s.residual is not None:
            cash[s.residual, slot] += available
            received[s.residual] = True
        else:
            originator += available
        if last and n_guarantees:
            for j in range(classes):
                if not s.guarantee_covers[:, j].any():
                    continue
                # The reserve was released into the last date's funds, so only the guarantees pay here.
                np.copyto(pay, 0.0)
                np.copyto(short, arrears[j])
                support(j, period, short, pay)
                arrears[j] = short
                paid_principal = np.zeros(paths)
                np.copyto(short, balance[j])
                support(j, period, short, paid_principal)
                balance[j] = short
                principal[j, slot] += paid_principal
                cash[j, slot] += pay + paid_principal
                received[j] = repaid[j] = True
        # Present value at each class's coupon and principal timing, summed period by period.
        for j in range(classes):
            if received[j]:
                np.multiply(cash[j, slot], discount[j, period], out=pay)
                present[j] += pay
                if not record:
                    cash[j, slot].fill(0.0)
            if repaid[j]:
                np.multiply(principal[j, slot], (period + 1) / s.periods_per_year, out=pay)
                timed[j] += pay
                if not record:
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
        guarantee_draws=drawn,
        reserve_initial=float(s.reserve_target),
        reserve_final=reserve,
        released_to_originator=originator,
        dscr=dscr,
        trigger_period=trigger_period,
    )
