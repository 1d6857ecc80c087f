"""The valuation engine of DataABS: NumPy and SciPy only, no Django (DESIGN.md section 4, "Valuation").

Plain inputs in (`ValuationInputs` and its parts), plain results out
(`ValuationResult.to_dict()` is JSON-ready). `value_deal` runs everything; the
pieces are public for tests, benchmarks and the pages:

    from deals.valuation import ValuationInputs, TrancheInput, RevenueHistory, value_deal
    result = value_deal(inputs, n_paths=10_000, seed=20251120)

Modules: assumptions (every judgment and table, with its source), inputs,
history (metrics, stability score, revenue model), draws (chunk-independent
random numbers), projection (licence revenue, suspensions), pool (loans,
correlated defaults, recoveries), waterfall, structure, simulate (chunked
Monte Carlo), irr (batched IRR), metrics (tranches, DSCR), rating (implied
rating, coupon), stress, appraisal, results, engine.
"""

from .appraisal import AppraisalResult, appraise_data_asset, quality_coefficient
from .assumptions import RATING_SCALE, ValuationAssumptions
from .engine import DEFAULT_SEED, value_deal
from .history import HistoryMetrics, RevenueModel, estimate_revenue_model, history_metrics
from .inputs import (
    AppraisalInputs,
    ComparableTransaction,
    CreditEnhancementInput,
    FeesInput,
    GuaranteeInput,
    LegalRisk,
    MarketInputs,
    PoolAssetInput,
    QualityScores,
    RevenueHistory,
    Scenario,
    TrancheInput,
    ValuationInputs,
)
from .irr import batched_irr
from .metrics import DscrSummary, Histogram, TrancheResult, dscr_summary, tranche_results
from .pool import pool_schedule, simulate_pool
from .projection import project_licence_revenue
from .rating import CouponSuggestion, expected_loss_threshold, implied_rating, suggested_coupon
from .results import CoverageResult, EmpowermentResult, ProjectionSummary, ValuationResult, to_plain
from .simulate import SimulatedCollections, StructureOutcome, evaluate_structure, simulate_collections
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
from .structure import build_structure, provisional_coupons, scheduled_wal
from .waterfall import WaterfallOutput, WaterfallStructure, run_waterfall

__all__ = [
    "DEFAULT_SEED",
    "RATING_SCALE",
    "AppraisalInputs",
    "AppraisalResult",
    "BreakevenResult",
    "ComparableTransaction",
    "CouponSuggestion",
    "CoverageResult",
    "CreditEnhancementInput",
    "DscrSummary",
    "EmpowermentResult",
    "FeesInput",
    "GuaranteeInput",
    "Histogram",
    "HistoryMetrics",
    "LegalRisk",
    "MarketInputs",
    "MaxSeniorSize",
    "PoolAssetInput",
    "ProjectionSummary",
    "QualityScores",
    "RevenueHistory",
    "RevenueModel",
    "Scenario",
    "SimulatedCollections",
    "StressResult",
    "StressTranche",
    "StructureOutcome",
    "TrancheInput",
    "TrancheResult",
    "ValuationAssumptions",
    "ValuationInputs",
    "ValuationResult",
    "WaterfallOutput",
    "WaterfallStructure",
    "appraise_data_asset",
    "batched_irr",
    "breakeven_stress",
    "build_structure",
    "dscr_summary",
    "estimate_revenue_model",
    "evaluate_structure",
    "expected_loss_threshold",
    "history_metrics",
    "implied_rating",
    "max_senior_size",
    "pool_schedule",
    "project_licence_revenue",
    "provisional_coupons",
    "quality_coefficient",
    "run_waterfall",
    "scheduled_wal",
    "simulate_collections",
    "simulate_pool",
    "standard_scenarios",
    "stress_scenarios",
    "suggested_coupon",
    "to_plain",
    "tranche_results",
    "value_deal",
]
