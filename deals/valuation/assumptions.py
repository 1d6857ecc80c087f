"""Every assumption of the valuation engine, with its source or rationale. No Django.

Nothing numerical that a credit committee could argue about is a literal in
the engine's code: it is a field of `ValuationAssumptions`, and the snapshot of
the assumptions used is stored with each result. Sources:

- Rating map: Moody's idealised cumulative expected-loss rates (the table its
  structured-finance cash-flow models use to map a tranche's expected loss and
  weighted average life to a rating), mapped onto the Chinese domestic scale
  notch for notch (Aaa -> AAA, Aa1 -> AA+ ... Baa3 -> BBB-); the domestic scale
  has a single BB and B grade, so BB takes the Ba3 bound and B the B3 bound.
- Correlated defaults: the one-factor Gaussian copula (Vasicek 1987, 2002; Li
  2000); the asset correlation is the Basel II range for SME exposures.
- Licence revenue: lognormal around a log-linear trend with monthly
  seasonality, estimated from the history by least squares; deviations have a
  transitory AR(1) part (estimated) and a permanent random-walk part (set here,
  since three or four years of history cannot reveal it).
- Benchmark and spreads: the late-2025 ChinaBond government curve and ABS
  spreads by rating that the arranger maintains (deals.MarketParameters); the
  defaults here equal the demo's starting market parameters.
- Support parties: the annual default probability of a guarantor or an
  undertaking party by its own domestic rating, and the premium investors ask
  for relying on it by its type and rating, are tables the arranger maintains
  (MarketParameters); the defaults below are stated judgments (docs/valuation.md).
- Everything else is a stated judgment, exposed so that it can be changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The Chinese domestic rating scale, best first (origination.choices.CreditRating without NR).
RATING_SCALE: tuple[str, ...] = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB", "B", "CCC")

# Moody's idealised cumulative expected loss, in percent, for horizons of 1..10 years.
IDEALISED_EXPECTED_LOSS_PERCENT: dict[str, tuple[float, ...]] = {
    "AAA": (0.000028, 0.000110, 0.000390, 0.000970, 0.001750, 0.002650, 0.003460, 0.004380, 0.005240, 0.005500),
    "AA+": (0.000308, 0.001650, 0.004150, 0.007730, 0.011880, 0.014540, 0.017440, 0.020910, 0.024390, 0.028600),
    "AA": (0.000825, 0.004510, 0.011500, 0.019100, 0.027500, 0.031700, 0.036000, 0.040800, 0.045400, 0.050600),
    "AA-": (0.001925, 0.010120, 0.023100, 0.036300, 0.049800, 0.055500, 0.061600, 0.068400, 0.075200, 0.082500),
    "A+": (0.003575, 0.019200, 0.041800, 0.062700, 0.083600, 0.091300, 0.099000, 0.107600, 0.116200, 0.126000),
    "A": (0.006600, 0.033000, 0.070400, 0.103400, 0.136400, 0.150700, 0.164000, 0.179200, 0.194400, 0.212000),
    "A-": (0.011990, 0.061690, 0.115500, 0.163900, 0.212300, 0.237500, 0.260800, 0.287400, 0.315000, 0.345000),
    "BBB+": (0.021450, 0.099000, 0.176000, 0.244200, 0.312400, 0.356400, 0.398200, 0.447700, 0.497200, 0.552200),
    "BBB": (0.036850, 0.154000, 0.264000, 0.363000, 0.462000, 0.528000, 0.594000, 0.660000, 0.726000, 0.792000),
    "BBB-": (0.091850, 0.302500, 0.476300, 0.619200, 0.762300, 0.866800, 0.970200, 1.077700, 1.185800, 1.301000),
    "BB": (1.651100, 3.042000, 3.953000, 4.730000, 5.484000, 6.030000, 6.576000, 7.110000, 7.645000, 8.236000),
    "B": (6.100000, 9.413000, 11.058000, 12.410000, 13.797000, 14.794000, 15.695000, 16.530000, 17.354000, 18.175000),
    "CCC": (14.300000, 17.902000, 20.530000, 22.440000, 24.249000, 25.884000, 27.369000, 28.700000, 29.892000, 31.046000),
}  # fmt: skip

# Annual default probability of a guarantor or undertaking party by its own domestic rating. Judgment: domestic
# AAA guarantors sit around global A/Baa, and each notch down roughly multiplies the default rate by 1.4-1.6
# (read from global corporate default studies); the arranger overrides it per date (MarketParameters).
DEFAULT_PROVIDER_ANNUAL_PD: dict[str, float] = {
    "AAA": 0.0005, "AA+": 0.0010, "AA": 0.0020, "AA-": 0.0035, "A+": 0.0055, "A": 0.0080, "A-": 0.0110,
    "BBB+": 0.0160, "BBB": 0.0220, "BBB-": 0.0300, "BB": 0.0500, "B": 0.1000, "CCC": 0.2500,
}  # fmt: skip

# What investors ask over the rating spread for a class that relies on a support party, by the party's type and
# its own rating: a bank's letter of guarantee is the closest to the bank's own credit, a provincial guarantee
# company and county-level state-owned debtors ask more, the originator (or its parent) standing behind its own
# data most (it fails with the data). Judgment calibrated to the 2025 data-asset seniors' 1.85-2.58 % band.
_SUPPORT_BASE = {
    "bank_guarantee_letter": 0.0005, "guarantee_company": 0.0020, "state_owned_debtor": 0.0025,
    "parent_company": 0.0025, "originator": 0.0030,
}  # fmt: skip
_SUPPORT_STEP = (0.0, 0.0020, 0.0045, 0.0070, 0.0100, 0.0130, 0.0160, 0.0200, 0.0250, 0.0300, 0.0400, 0.0550, 0.0800)
DEFAULT_SUPPORT_PREMIUMS: dict[str, dict[str, float]] = {
    kind: {rating: round(base + step, 6) for rating, step in zip(RATING_SCALE, _SUPPORT_STEP, strict=True)}
    for kind, base in _SUPPORT_BASE.items()
}

# Late-2025 ChinaBond government curve: [years, annual rate] (docs/market_data.md, "The 2025 market"; deals migration 0004).
DEFAULT_BENCHMARK_CURVE: tuple[tuple[float, float], ...] = (
    (0.25, 0.0130), (0.5, 0.0132), (1.0, 0.0135), (2.0, 0.0140), (3.0, 0.0145), (5.0, 0.0155), (7.0, 0.0168),
    (10.0, 0.0180),
)  # fmt: skip
# ABS spread over the curve by rating (annual fraction), as in the demo's starting market parameters.
DEFAULT_RATING_SPREADS: dict[str, float] = {
    "AAA": 0.0045, "AA+": 0.0075, "AA": 0.0110, "AA-": 0.0150, "A+": 0.0200, "A": 0.0250, "A-": 0.0300,
    "BBB+": 0.0380, "BBB": 0.0450, "BBB-": 0.0550, "BB": 0.0750, "B": 0.1000, "CCC": 0.1500,
}  # fmt: skip


def _provider_pd_by_type() -> dict[str, float]:
    # Annual default probabilities of an unrated support provider by its type, read from global default studies
    # at the global rating a domestic AAA typically maps to: a provincial financing guarantee company about Baa
    # (0.2 %), a large bank's letter of guarantee about A (0.05 %), a state-owned debtor (public hospital,
    # municipal entity) about A/Baa (0.1 %), a parent company 0.5 %, the originator itself 1 %. Judgment.
    return {
        "guarantee_company": 0.0020, "bank_guarantee_letter": 0.0005, "state_owned_debtor": 0.0010,
        "parent_company": 0.0050, "originator": 0.0100,
    }  # fmt: skip


def _provider_correlation() -> dict[str, float]:
    # How strongly a support provider's default goes with the deal's own bad states (wrong-way risk): a bank the
    # least, guarantors and state-owned debtors more, the originator (whose business is the data) the most.
    return {
        "guarantee_company": 0.30, "bank_guarantee_letter": 0.20, "state_owned_debtor": 0.30,
        "parent_company": 0.50, "originator": 0.60,
    }  # fmt: skip


def _amortisation_by_kind() -> dict[str, str]:
    # Loans and leases pay level instalments (annuity); trade receivables are paid once at maturity.
    return {"loan": "annuity", "lease": "annuity", "receivable": "bullet"}


def _stability_weights() -> dict[str, float]:
    # The revenue stability score is the platform's own transparent score (there is no official
    # standard): volatility and customer concentration weigh most, as in rating agencies' reviews
    # of future-flow deals; the weights add up to 1.
    return {"history_length": 0.15, "volatility": 0.30, "trend": 0.15, "drawdown": 0.15, "concentration": 0.25}


def _quality_weights() -> dict[str, float]:
    # Equal weights over the six quality dimensions of the China Appraisal Society's 2023 guidance
    # (accuracy, consistency, completeness, conformity, timeliness, accessibility); appraisers
    # usually set them by AHP per engagement, so they are a parameter.
    return dict.fromkeys(
        ("accuracy", "consistency", "completeness", "conformity", "timeliness", "accessibility"), 1 / 6
    )


def _appraisal_weights() -> dict[str, float]:
    # How the three methods are blended into one indicated value when several are available; income
    # leads because a securitisation is repaid from cash flow.
    return {"income": 0.5, "market": 0.3, "cost": 0.2}


@dataclass(frozen=True)
class ValuationAssumptions:
    """Every parameter of the engine that is a judgment or comes from a published table (see the module docstring)."""

    # --- history and licence-revenue projection ---
    min_history_months: int = 6  # fewer months cannot give a trend and a volatility
    seasonality_min_months: int = 24  # two observations of each calendar month before seasonality is fitted
    growth_credit: float = 0.5  # share of a positive historical trend carried into the projection
    max_credited_annual_growth: float = 0.15  # cap on the credited growth
    transitory_volatility_floor: float = 0.03  # floor on the monthly transitory log volatility
    permanent_volatility_annual: float = 0.06  # permanent (random-walk) log volatility per year
    max_persistence: float = 0.9  # cap on the AR(1) coefficient of the transitory part
    start_deviation_cap: float = 2.0  # the last month's deviation carried forward, capped at this many sigmas
    counterparty_loss_annual: float = 0.02  # yearly chance a licensee stops paying, when its own PD is not given
    counterparty_replacement_share: float = 0.5  # share of a lost licensee's revenue won back
    counterparty_replacement_months: int = 6  # months after the loss that the replacement arrives
    counterparties_modelled: int = 5  # the largest licensees whose loss is simulated one by one
    zero_revenue_floor: float = 0.01  # months below this share of the median are floored before taking logs

    # --- loan, receivable and lease pools ---
    asset_correlation: float = 0.15  # one-factor Gaussian copula; Basel II SME range 0.12-0.24
    recovery_lag_months: int = 6  # from default to recovery cash
    pledged_data_liquidation_haircut: float = 0.40  # forced sale of a data asset in a workout
    pledged_data_value_volatility: float = 0.35  # lognormal volatility of the pledged data's realised value
    pledged_data_value_factor_loading: float = 0.5  # its correlation with the pool's systematic factor
    amortisation_by_kind: dict[str, str] = field(default_factory=_amortisation_by_kind)

    suspension_collateral_haircut: float = 0.50  # pledged data sold after a suspension of its use fetches half

    # --- external support (guarantees, shortfall undertakings) ---
    provider_annual_pd_by_type: dict[str, float] = field(default_factory=_provider_pd_by_type)
    provider_correlation: dict[str, float] = field(default_factory=_provider_correlation)

    # --- legal risk from the compliance review ---
    regulatory_stop_base_annual: float = 0.005  # chance per year that data use is suspended, before findings
    regulatory_stop_months: int = 3  # length of a suspension on a simulated path
    legal_premium_per_haircut: float = 0.02  # coupon premium per unit of legal haircut (10 % -> 20 bp)

    # --- stress scenarios ---
    stress_revenue_shock: float = 0.30  # data revenue (licence revenue, claims repaid from data) cut by this share
    stress_pd_multiplier: float = 2.5  # default shock on pools
    stress_recovery_haircut: float = 0.30  # recoveries cut by this share in the default shock
    stress_regulatory_stop_months: int = 6  # forced suspension length
    stress_regulatory_stop_start_month: int = 1
    stress_rate_shock_bps: float = 200.0
    rate_pd_sensitivity_per_100bp: float = 0.10  # pool PDs rise 10 % per 100 bp of rates

    # --- rating and pricing ---
    idealised_expected_loss_percent: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: dict(IDEALISED_EXPECTED_LOSS_PERCENT)
    )
    liquidity_premium: float = 0.0010  # data-asset ABS are a new class with a thin secondary market
    tenor_premium_per_year: float = 0.0005  # per year of weighted average life beyond one year
    target_senior_rating: str = "AAA"
    provisional_junior_rating: str = "A"  # prices a rated junior class that has neither coupon nor target yet
    coverage_stress_percentile: float = 5.0  # the pool outcome at which the senior's coverage is reported

    # --- deciding a rating (docs/valuation.md, "Ratings decided honestly") ---
    rating_confidence: float = 0.95  # two-sided: the rating is decided when its interval lies in one band
    rating_pilot_paths: int = 4096  # paths per round of the cross-entropy search for the sampling tilt
    rating_tilt_rounds: int = 6
    rating_elite_share: float = 0.10  # the worst tenth of paths steers the next round
    rating_block_paths: int = 8192  # paths added per step until decided
    rating_max_paths: int = 1_048_576  # then the rating is reported as a range
    rating_defensive_share: float = 0.50  # of the paths drawn untilted: no likelihood weight exceeds 2
    rating_min_losing_paths: int = 25  # fewer weighted losses than this understate their own error ...
    rating_few_losses_margin: float = 10.0  # ... so with fewer the rating must hold at this multiple of the top
    rating_explore_event_chance: float = 0.2  # a rare event's chance in the search's first tilted round
    rating_max_tilt: dict[str, float] = field(
        default_factory=lambda: {
            "systematic": 4.0,
            "revenue": 0.8,
            "idiosyncratic": 3.0,
            "provider": 4.0,
            "data_value": 3.0,
            "event": 0.9,  # the highest chance a tilt gives a rare event
        }  # fmt: skip
    )

    # --- revenue stability score ---
    stability_weights: dict[str, float] = field(default_factory=_stability_weights)
    stability_full_history_months: int = 36  # this much history earns the full length score
    stability_zero_volatility: float = 0.25  # monthly transitory volatility that scores 0
    stability_zero_drawdown: float = 0.50  # drawdown that scores 0
    stability_trend_at_zero_growth: float = 75.0  # flat organic revenue scores 75
    stability_trend_slope: float = 250.0  # points per unit of annual growth (+10 % -> 100, -30 % -> 0)
    stability_full_concentration_hhi: float = 0.10  # ten equal licensees (HHI 0.1) score 100

    # --- appraisal (China Appraisal Society, 2023 guidance on data asset appraisal) ---
    quality_weights: dict[str, float] = field(default_factory=_quality_weights)
    appraisal_weights: dict[str, float] = field(default_factory=_appraisal_weights)
    appraisal_divergence_threshold: float = 0.5  # the methods disagree when the highest exceeds the lowest by 50 %
    data_asset_risk_premium: float = 0.08  # income-method discount rate = benchmark + this premium
    cost_profit_rate: float = 0.10  # reasonable profit on the replacement cost
    # Share of a data asset's revenue that is income of the data itself once the costs of running and selling it
    # are paid (the profit-split rate appraisers apply; 35 % is a mid-range judgment for licensed data products).
    data_income_share: float = 0.35
    appraisal_horizon_months: int = 60  # remaining economic life the income method counts
    market_min_comparables: int = 3  # fewer registered comparables of the category: no market method
    market_outlier_mads: float = 3.0  # multiples further than this many scaled MADs from the median are dropped

    # --- numerics and reporting ---
    seed_block_paths: int = 1024  # random numbers are drawn per block of paths: chunking never changes them
    default_chunk_size: int = 8192
    loss_histogram_bins: int = 20
    dscr_histogram_max: float = 3.0
    dscr_histogram_bins: int = 30
    fan_percentiles: tuple[float, ...] = (5.0, 25.0, 50.0, 75.0, 95.0)
    max_size_iterations: int = 16  # bisection steps for the largest senior size (1/65,536 of the notes)
