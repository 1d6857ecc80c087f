"""The valuation engine of DataABS: NumPy and SciPy only, no Django (the model: docs/valuation.md).

Plain inputs in (`ValuationInputs` and its parts), plain results out
(`ValuationResult.to_dict()` is JSON-ready). `value_deal` runs everything; the
pieces are public for tests, benchmarks and the pages:

    from deals.valuation import ValuationInputs, TrancheInput, RevenueHistory, value_deal
    result = value_deal(inputs, n_paths=10_000, seed=20251120)

Modules: assumptions (every judgment and table, with its source), inputs,
history (metrics, stability score, revenue model), draws (chunk-independent
random numbers), projection (licence revenue, suspensions), pool (loans,
correlated defaults, recoveries, cash by source), waterfall (paydown modes,
triggers, support), structure (schedule sizing), simulate (chunked and tilted
Monte Carlo), decision (ratings decided at a confidence), irr (batched IRR),
metrics (tranches, DSCR), rating (implied rating, coupon), pricing
(comparables), stress, appraisal, results, engine.
"""

from .appraisal import AppraisalResult, AppraisalSummary, appraise_assets, appraise_data_asset, quality_coefficient
from .assumptions import RATING_SCALE, ValuationAssumptions
from .decision import VariantDecision, decide_variant
from .engine import DEFAULT_SEED, pledged_values_from, value_deal
from .history import HistoryMetrics, RevenueModel, estimate_revenue_model, history_metrics
from .inputs import (
    ComparableDeal,
    ComparableTransaction,
    CreditEnhancementInput,
    DataAssetAppraisalInput,
    FeesInput,
    LegalRisk,
    MarketInputs,
    PaydownInput,
    PoolAssetInput,
    QualityScores,
    RevenueHistory,
    Scenario,
    SupportInput,
    TrancheInput,
    ValuationInputs,
)
from .irr import batched_irr
from .metrics import DscrSummary, Histogram, RatingDecision, TrancheResult, dscr_summary, tranche_results
from .pool import pool_schedule, simulate_pool
from .projection import project_licence_revenue
from .rating import (
    CouponSuggestion,
    expected_loss_threshold,
    implied_rating,
    notches_between,
    rating_rank,
    suggested_coupon,
)
from .results import (
    CashSourceResult,
    CoverageResult,
    EmpowermentResult,
    PricingComparables,
    ProjectionSummary,
    ValuationResult,
    to_plain,
)
from .simulate import (
    SimulatedCollections,
    StructureOutcome,
    Tilt,
    evaluate_structure,
    expected_period_cash,
    simulate_collections,
)
from .stress import (
    BreakevenResult,
    MaxSeniorSize,
    StressResult,
    StressTranche,
    breakeven_stress,
    max_senior_size,
    standard_scenarios,
    stress_scenarios,
)
from .structure import build_structure, provisional_coupons, scheduled_wal, sculpted_schedule
from .waterfall import WaterfallOutput, WaterfallStructure, run_waterfall

__all__ = [
    "DEFAULT_SEED",
    "RATING_SCALE",
    "AppraisalResult",
    "AppraisalSummary",
    "BreakevenResult",
    "CashSourceResult",
    "ComparableDeal",
    "ComparableTransaction",
    "CouponSuggestion",
    "CoverageResult",
    "CreditEnhancementInput",
    "DataAssetAppraisalInput",
    "DscrSummary",
    "EmpowermentResult",
    "FeesInput",
    "Histogram",
    "HistoryMetrics",
    "LegalRisk",
    "MarketInputs",
    "MaxSeniorSize",
    "PaydownInput",
    "PoolAssetInput",
    "PricingComparables",
    "ProjectionSummary",
    "QualityScores",
    "RatingDecision",
    "RevenueHistory",
    "RevenueModel",
    "Scenario",
    "SimulatedCollections",
    "StressResult",
    "StressTranche",
    "StructureOutcome",
    "SupportInput",
    "Tilt",
    "TrancheInput",
    "TrancheResult",
    "ValuationAssumptions",
    "ValuationInputs",
    "ValuationResult",
    "VariantDecision",
    "WaterfallOutput",
    "WaterfallStructure",
    "appraise_assets",
    "appraise_data_asset",
    "batched_irr",
    "breakeven_stress",
    "build_structure",
    "decide_variant",
    "dscr_summary",
    "estimate_revenue_model",
    "evaluate_structure",
    "expected_loss_threshold",
    "expected_period_cash",
    "history_metrics",
    "implied_rating",
    "max_senior_size",
    "notches_between",
    "pledged_values_from",
    "pool_schedule",
    "project_licence_revenue",
    "provisional_coupons",
    "quality_coefficient",
    "rating_rank",
    "run_waterfall",
    "scheduled_wal",
    "sculpted_schedule",
    "simulate_collections",
    "simulate_pool",
    "standard_scenarios",
    "stress_scenarios",
    "suggested_coupon",
    "to_plain",
    "tranche_results",
    "value_deal",
]
