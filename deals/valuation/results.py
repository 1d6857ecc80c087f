"""Plain results of a valuation, and their conversion to JSON-ready values for storage."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .appraisal import AppraisalResult
from .history import HistoryMetrics
from .metrics import DscrSummary, TrancheResult
from .stress import BreakevenResult, MaxSeniorSize, StressResult

ENGINE_VERSION = "dataabs-valuation/1"


def to_plain(value: Any) -> Any:
    """Dataclasses, dicts, sequences and NumPy values as JSON-serialisable values (NaN and infinities as None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist())
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


@dataclass(frozen=True)
class ProjectionSummary:
    """The projected collections: a fan chart by month, totals, and the fitted revenue parameters."""

    months: int
    revenue_parameters: dict[str, object] | None
    percentiles_by_month: dict[str, list[float]]  # p5, p25, p50, p75, p95 of monthly collections
    mean_by_month: list[float]
    expected_total: float
    total_percentiles: dict[str, float]
    pool_principal: float
    pool_expected_loss: float | None  # principal lost net of recoveries, as a share of the pool


@dataclass(frozen=True)
class CoverageResult:
    """How much of the cash really comes from data, and what covers the senior with and without guarantees.

    Senior debt service D = senior principal + its interest on the scheduled
    amortisation. Pool resources P (per path) = collections + reserve - senior
    fees. Coverage without guarantees = P / D; with = (P + guarantee capacity of
    guarantors still standing) / D. Guarantee dependence = the share of D that
    only the guarantees would pay when the pool delivers its 5th-percentile
    cash: min(G, max(0, D - P_5)) / D (0 when the data alone covers the
    senior); the expected version averages min(G, max(0, D - P)) / D over paths.
    """

    data_cash_share: float
    senior_debt_service: float
    senior_coverage_without_guarantees: float
    senior_coverage_without_guarantees_p5: float
    senior_coverage_with_guarantees: float
    senior_coverage_with_guarantees_p5: float
    guarantee_capacity: float
    guarantee_dependence: float
    guarantee_dependence_expected: float
    senior_expected_loss_with_guarantees: float
    senior_rating_with_guarantees: str
    senior_expected_loss_without_guarantees: float
    senior_rating_without_guarantees: str
    collections_to_notes: float  # expected collections / notes issued


@dataclass(frozen=True)
class EmpowermentResult:
    """Empowerment pools: the pool's and the senior's loss with and without the data's effect, and the coupon it saves."""

    average_pd_with_data: float
    average_pd_without_data: float
    pool_expected_loss_with_data: float
    pool_expected_loss_without_data: float
    senior_expected_loss_with_data: float
    senior_expected_loss_without_data: float
    senior_rating_with_data: str
    senior_rating_without_data: str
    senior_coupon_with_data: float
    senior_coupon_without_data: float
    coupon_saving_bps: float


@dataclass(frozen=True)
class ValuationResult:
    """Everything a valuation produces; `to_dict()` gives JSON-ready values for the job row."""

    engine_version: str
    n_paths: int
    seed: int
    deal_type: str
    tenor_months: int
    horizon_months: int
    periods_per_year: int
    history: HistoryMetrics | None
    projection: ProjectionSummary
    tranches: list[TrancheResult]
    dscr: DscrSummary
    coverage: CoverageResult
    stress: list[StressResult]
    breakeven: BreakevenResult
    max_senior_size: list[MaxSeniorSize]
    appraisal: AppraisalResult | None
    empowerment: EmpowermentResult | None
    regulatory_stop_probability: float
    legal_risk: dict[str, float]
    assumptions: dict[str, object]

    @property
    def senior(self) -> TrancheResult | None:
        """The first senior class (priority order)."""
        return next((t for t in self.tranches if t.tranche_class == "senior"), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable values: floats, ints, strings, lists and dicts (NaN as None)."""
        return to_plain(self)
