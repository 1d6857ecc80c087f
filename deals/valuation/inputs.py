"""Plain inputs of the valuation engine: frozen dataclasses of floats and NumPy arrays. No Django.

Money is CNY as float; rates are annual fractions (0.0204 = 2.04 %); months are
counted from the valuation date (month 1 is the first month after it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .assumptions import DEFAULT_BENCHMARK_CURVE, DEFAULT_RATING_SPREADS, RATING_SCALE, ValuationAssumptions

DEAL_TYPES = ("licence_revenue", "data_pledge", "empowerment")
POOL_KINDS = ("licence_revenue", "loan", "receivable", "lease")
TRANCHE_CLASSES = ("senior", "mezzanine", "subordinated")
GUARANTOR_TYPES = ("guarantee_company", "bank_guarantee_letter", "state_owned_debtor")
QUALITY_DIMENSIONS = ("accuracy", "consistency", "completeness", "conformity", "timeliness", "accessibility")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, eq=False)
class RevenueHistory:
    """Monthly cash collected: `amounts[month, counterparty]` (CNY >= 0), consecutive months, oldest first.

    `first_calendar_month` (1-12) places the history in the year for seasonality.
    `counterparty_loss_annual` optionally overrides, per counterparty, the yearly
    probability that it stops buying (by default the assumptions' value).
    """

    amounts: np.ndarray
    first_calendar_month: int = 1
    counterparties: tuple[str, ...] = ()
    counterparty_loss_annual: np.ndarray | None = None

    def __post_init__(self) -> None:
        amounts = np.asarray(self.amounts, dtype=float)
        if amounts.ndim == 1:
            amounts = amounts[:, None]
        _require(amounts.ndim == 2 and amounts.shape[0] > 0, "revenue history needs at least one month")
        _require(bool(np.all(np.isfinite(amounts))) and bool(np.all(amounts >= 0)), "revenue must be finite and >= 0")
        _require(float(amounts.sum()) > 0, "revenue history is all zero")
        _require(1 <= self.first_calendar_month <= 12, "first_calendar_month must be 1-12")
        object.__setattr__(self, "amounts", amounts)
        if self.counterparty_loss_annual is not None:
            loss = np.asarray(self.counterparty_loss_annual, dtype=float)
            _require(loss.shape == (amounts.shape[1],), "one loss probability per counterparty")
            _require(bool(np.all((loss >= 0) & (loss < 1))), "loss probabilities must be in [0, 1)")
            object.__setattr__(self, "counterparty_loss_annual", loss)

    @property
    def monthly_totals(self) -> np.ndarray:
        """Revenue per month over all counterparties."""
        return self.amounts.sum(axis=1)


@dataclass(frozen=True)
class PoolAssetInput:
    """A loan, receivable or lease of the pool (licence streams come from the revenue history instead).

    `pledged_data_value` is the appraised value of the data pledged by the
    obligor; in a default it is sold and adds to `recovery_rate` x exposure.
    `data_driven`: the obligor pays out of data revenue, so its cash counts as
    data cash flow (and stops with a regulatory suspension). For empowerment
    pools `annual_pd_without_data` is the obligor's PD as priced without the data.
    """

    principal: float
    annual_rate: float
    months_to_maturity: int
    annual_pd: float
    recovery_rate: float
    kind: str = "loan"
    pledged_data_value: float = 0.0
    data_driven: bool = False
    annual_pd_without_data: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        _require(self.kind in POOL_KINDS, f"unknown pool asset kind {self.kind!r}")
        _require(self.principal >= 0 and self.pledged_data_value >= 0, "amounts must be >= 0")
        _require(self.months_to_maturity >= 1, "months_to_maturity must be >= 1")
        _require(0 <= self.annual_pd < 1 and 0 <= self.recovery_rate <= 1, "PD in [0, 1), recovery in [0, 1]")
        if self.annual_pd_without_data is not None:
            _require(0 <= self.annual_pd_without_data < 1, "PD without data in [0, 1)")


@dataclass(frozen=True)
class GuaranteeInput:
    """An external guarantee of the covered classes' interest (each period) and principal (at legal final)."""

    amount: float
    guarantor_type: str = "guarantee_company"
    annual_pd: float | None = None  # None: the assumptions' PD for the guarantor type
    covered_classes: tuple[str, ...] = ("senior",)
    provider: str = ""

    def __post_init__(self) -> None:
        _require(self.guarantor_type in GUARANTOR_TYPES, f"unknown guarantor type {self.guarantor_type!r}")
        _require(self.amount >= 0, "guarantee amount must be >= 0")
        _require(set(self.covered_classes) <= set(TRANCHE_CLASSES), "covered classes must be tranche classes")


@dataclass(frozen=True)
class CreditEnhancementInput:
    """External guarantees and a reserve account funded at closing (subordination is the tranches themselves)."""

    guarantees: tuple[GuaranteeInput, ...] = ()
    reserve_target: float = 0.0
    reserve_covers_classes: tuple[str, ...] = ("senior",)  # interest shortfalls the reserve pays

    def __post_init__(self) -> None:
        _require(self.reserve_target >= 0, "reserve target must be >= 0")


@dataclass(frozen=True)
class TrancheInput:
    """A class of notes; `coupon` None means the subordinated residual (or, for a rated class, price it)."""

    name: str
    tranche_class: str
    size: float
    coupon: float | None
    priority: int
    target_rating: str = "NR"

    def __post_init__(self) -> None:
        _require(self.tranche_class in TRANCHE_CLASSES, f"unknown tranche class {self.tranche_class!r}")
        _require(self.size > 0, "tranche size must be > 0")
        _require(self.coupon is None or 0 <= self.coupon < 1, "coupon is an annual fraction")
        _require(self.target_rating in (*RATING_SCALE, "NR"), f"unknown rating {self.target_rating!r}")


@dataclass(frozen=True)
class FeesInput:
    """Senior fees (trustee, custodian, manager, rating surveillance), paid before any interest."""

    senior_fees_bps: float = 0.0  # per year on the outstanding notes
    fixed_annual: float = 0.0  # CNY per year


@dataclass(frozen=True)
class MarketInputs:
    """The benchmark curve ((years, rate) points, linearly interpolated, flat outside) and spreads by rating."""

    benchmark_curve: tuple[tuple[float, float], ...] = DEFAULT_BENCHMARK_CURVE
    rating_spreads: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATING_SPREADS))

    def __post_init__(self) -> None:
        tenors = [float(t) for t, _ in self.benchmark_curve]
        _require(len(tenors) >= 1 and tenors == sorted(tenors), "benchmark curve tenors must be increasing")
        _require(set(RATING_SCALE) <= set(self.rating_spreads), "a spread is needed for every rating")

    def benchmark_at(self, years: float) -> float:
        """The benchmark rate at `years`, by linear interpolation between curve points (flat outside)."""
        tenors = np.array([t for t, _ in self.benchmark_curve], dtype=float)
        rates = np.array([r for _, r in self.benchmark_curve], dtype=float)
        return float(np.interp(years, tenors, rates))


@dataclass(frozen=True)
class LegalRisk:
    """The compliance review's summary: a haircut on data cash flows and an extra yearly suspension probability."""

    haircut: float = 0.0
    regulatory_stop_probability: float = 0.0  # per year, added to the assumptions' base
    open_findings: int = 0

    def __post_init__(self) -> None:
        _require(0 <= self.haircut < 1 and 0 <= self.regulatory_stop_probability < 1, "fractions in [0, 1)")


@dataclass(frozen=True)
class QualityScores:
    """The six quality dimensions (0-100) of the China Appraisal Society's data asset appraisal guidance."""

    accuracy: float
    consistency: float
    completeness: float
    conformity: float
    timeliness: float
    accessibility: float

    def __post_init__(self) -> None:
        _require(all(0 <= getattr(self, d) <= 100 for d in QUALITY_DIMENSIONS), "quality scores are 0-100")


@dataclass(frozen=True)
class ComparableTransaction:
    """A comparable data transaction: its price and the adjustment factors (1.0 = no adjustment).

    The factors are the market method's usual ones (transaction date, scale,
    term of use, other); `quality_coefficient` is the comparable's own, so the
    quality adjustment is subject / comparable (1.0 when unknown).
    """

    price: float
    adjustment_factors: tuple[float, ...] = ()
    quality_coefficient: float | None = None


@dataclass(frozen=True, eq=False)
class AppraisalInputs:
    """Inputs of the three methods: historical cost, comparable transactions, and the income method's terms."""

    cost_components: dict[str, float] = field(default_factory=dict)  # e.g. collection, storage, processing
    obsolescence_rate: float = 0.0  # economic depreciation of the replacement cost
    cost_profit_rate: float | None = None  # None: the assumptions' reasonable profit rate
    comparables: tuple[ComparableTransaction, ...] = ()
    data_contribution_share: float = 1.0  # share of the cash flow attributable to the data
    discount_rate: float | None = None  # None: benchmark + the assumptions' data asset risk premium
    projected_monthly_cash_flows: np.ndarray | None = None  # None: the deal's mean projected data cash flow
    quality: QualityScores | None = None


@dataclass(frozen=True)
class Scenario:
    """A set of shocks applied on every path (the base case has none)."""

    name: str = "base"
    revenue_shock: float = 0.0  # licence revenue and data-driven pool cash cut by this share
    collections_haircut: float = 0.0  # every collection cut by this share
    lose_largest_counterparty: bool = False  # largest licensee gone (or largest obligor in default) in month 1
    regulatory_stop_months: int = 0  # forced suspension of data use on every path
    regulatory_stop_start_month: int = 1
    rate_shock_bps: float = 0.0  # raises pool PDs and lowers the notes' market value
    pd_multiplier: float = 1.0
    recovery_haircut: float = 0.0

    def __post_init__(self) -> None:
        for value in (self.revenue_shock, self.collections_haircut, self.recovery_haircut):
            _require(0 <= value <= 1, "shocks and haircuts are fractions in [0, 1]")
        _require(self.pd_multiplier >= 0 and self.regulatory_stop_months >= 0, "multipliers and months >= 0")
        _require(self.regulatory_stop_start_month >= 1, "months count from 1")


@dataclass(frozen=True, eq=False)
class ValuationInputs:
    """Everything one valuation needs: the deal, its pool, its structure, the market and the assumptions.

    `revenue_share` is the share of the data assets' projected revenue sold to
    the vehicle. `tail_months` extends the simulation past expected maturity to
    the legal final (notes still outstanding are paid sequentially meanwhile).
    `amortisation` is "scheduled" (straight-line target for the notes, excess
    cash released to the subordinated class unless a trigger trips) or
    "pass_through" (all cash pays principal in order of priority).
    """

    deal_type: str
    tenor_months: int
    periods_per_year: int
    tranches: tuple[TrancheInput, ...]
    revenue_history: RevenueHistory | None = None
    revenue_share: float = 1.0
    pool_assets: tuple[PoolAssetInput, ...] = ()
    enhancement: CreditEnhancementInput = field(default_factory=CreditEnhancementInput)
    fees: FeesInput = field(default_factory=FeesInput)
    market: MarketInputs = field(default_factory=MarketInputs)
    legal_risk: LegalRisk = field(default_factory=LegalRisk)
    appraisal: AppraisalInputs | None = None
    scenario: Scenario = field(default_factory=Scenario)
    tail_months: int = 0
    amortisation: str = "scheduled"
    dscr_trigger: float | None = None  # None: the assumptions' level; float("-inf") disables the trigger
    assumptions: ValuationAssumptions = field(default_factory=ValuationAssumptions)

    def __post_init__(self) -> None:
        _require(self.deal_type in DEAL_TYPES, f"unknown deal type {self.deal_type!r}")
        _require(self.periods_per_year in (1, 2, 4, 12), "periods_per_year is 1, 2, 4 or 12")
        _require(self.tenor_months >= 1 and self.tail_months >= 0, "tenor >= 1 month, tail >= 0")
        months_per_period = 12 // self.periods_per_year
        _require(
            self.tenor_months % months_per_period == 0 and self.tail_months % months_per_period == 0,
            "tenor and tail must be whole payment periods",
        )
        _require(len(self.tranches) >= 1, "at least one tranche")
        priorities = [t.priority for t in self.tranches]
        _require(len(set(priorities)) == len(priorities), "tranche priorities must be distinct")
        _require(0 < self.revenue_share <= 1, "revenue_share in (0, 1]")
        _require(self.amortisation in ("scheduled", "pass_through"), "amortisation is scheduled or pass_through")
        has_loans = any(a.kind != "licence_revenue" for a in self.pool_assets)
        _require(self.revenue_history is not None or has_loans, "no cash flow: give a revenue history or a pool")

    @property
    def months_per_period(self) -> int:
        """Months in one payment period."""
        return 12 // self.periods_per_year

    @property
    def horizon_months(self) -> int:
        """Months simulated: tenor plus tail to the legal final."""
        return self.tenor_months + self.tail_months

    @property
    def ordered_tranches(self) -> tuple[TrancheInput, ...]:
        """Tranches in order of payment priority (1 first)."""
        return tuple(sorted(self.tranches, key=lambda t: t.priority))

    @property
    def loan_assets(self) -> tuple[PoolAssetInput, ...]:
        """The pool's loans, receivables and leases (licence streams excluded)."""
        return tuple(a for a in self.pool_assets if a.kind != "licence_revenue")
