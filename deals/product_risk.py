"""Product risk level R1-R5 of a tranche by a points method, and the risk inputs it is computed from. No Django.

The valuation job (deals/valuation_jobs.py) computes it from the valuation's
results and stores it on the tranche: the level in `Tranche.product_risk_level`,
and in `Tranche.product_risk_factors` each factor's points (for display) and
the inputs (`TrancheRiskInputs`), which matching reads back (docs/matching.md,
"The risk inputs"). This module owns that stored shape: `risk_facts` writes it,
`TrancheRiskInputs.of` reads it.

Chinese suitability rules (CSRC Measures for the Suitability Management of
Securities and Futures Investors) grade products R1 (lowest risk) to R5 and let
an investor of tolerance C_j buy R_k when k <= j. The method below adds risk
points over six factors; higher is riskier:

=========================  =========================================================  ======
factor                     bands -> points                                            max
=========================  =========================================================  ======
rating (with support)      AAA 0, AA+ 5, AA 9, AA- 11, A+/A/A- 13, BBB+/BBB/BBB- 16,  20
                           BB and below, or not rated 20
underlying rating          the points of the rating without external support          8
(without external support) (AAA 0, AA+ 1, AA 2, AA- 3, A+/A/A- 4, BBB+/BBB/BBB- 6,
                           BB and below, or not rated 8) beyond those of the rating
                           with it: 0 for a class without support
tenor (months)             <= 12: 0, <= 36: 2, <= 60: 3, longer: 4                    4
revenue stability (0-100)  >= 80: 0, >= 60: 1, >= 40: 3, lower: 5                    5
data cash-flow share       >= 0.8: 0, >= 0.5: 1, >= 0.2: 2, lower: 3                  3
guarantee dependence       <= 0.2: 0, <= 0.5: 1, <= 0.8: 2, higher: 3                 3
=========================  =========================================================  ======

Level from the total: 0-1 R1, 2-5 R2, 6-10 R3, 11-17 R4, 18 and more R5.

Guarantee dependence is the share of the class's stand-alone expected loss
that its external support (guarantees, shortfall undertakings) removes; the
underlying rating is the class's rating without that support, as the rating
agencies publish beside the enhanced one.

Why these weights: the rating carries the expected loss and dominates, as in
market practice (with a sound cash flow a senior AAA(sf) note is R2, R1 within
a year; AA+ lands at R3, AA at R3 or R4, the A band at R4; sub-investment grade
or unrated notes are R5 whatever else holds). The underlying rating and the
dependence on support answer the 2026 regulators' concern (deals that lean on
guarantees rather than on the data's cash): a AAA note that is A- on its own
and owes most of its rating to a guarantee scores 4 + 3 more points than the
same note standing on its own cash, and moves up a level; tenor, revenue stability and the share of the cash flow that
really comes from data move a note up to two levels more.

Worked example: AAA, underlying AAA, 36 months, stability 85, data share 0.9,
dependence 0.1 -> 0 + 0 + 2 + 0 + 0 + 0 = 2 points -> R2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RATING_POINTS: dict[str, int] = {
    "AAA": 0, "AA+": 5, "AA": 9, "AA-": 11, "A+": 13, "A": 13, "A-": 13,
    "BBB+": 16, "BBB": 16, "BBB-": 16, "BB": 20, "B": 20, "CCC": 20, "NR": 20,
}  # fmt: skip
UNDERLYING_POINTS: dict[str, int] = {
    "AAA": 0, "AA+": 1, "AA": 2, "AA-": 3, "A+": 4, "A": 4, "A-": 4,
    "BBB+": 6, "BBB": 6, "BBB-": 6, "BB": 8, "B": 8, "CCC": 8, "NR": 8,
}  # fmt: skip
# (upper bound inclusive, points); the last band has no bound.
TENOR_BANDS: tuple[tuple[float | None, int], ...] = ((12, 0), (36, 2), (60, 3), (None, 4))
GUARANTEE_BANDS: tuple[tuple[float | None, int], ...] = ((0.2, 0), (0.5, 1), (0.8, 2), (None, 3))
# (lower bound inclusive, points); the last band has no bound.
STABILITY_BANDS: tuple[tuple[float | None, int], ...] = ((80, 0), (60, 1), (40, 3), (None, 5))
DATA_SHARE_BANDS: tuple[tuple[float | None, int], ...] = ((0.8, 0), (0.5, 1), (0.2, 2), (None, 3))
# (highest total, level)
LEVEL_CUTS: tuple[tuple[int | None, int], ...] = ((1, 1), (5, 2), (10, 3), (17, 4), (None, 5))

FACTORS: tuple[str, ...] = (
    "rating", "underlying_rating", "tenor", "revenue_stability", "data_share", "guarantee_dependence",
)  # fmt: skip


@dataclass(frozen=True)
class RiskFactor:
    """One factor's contribution: its value, the band it fell in, its points and the most it can add."""

    name: str
    value: Any
    band: str
    points: int
    max_points: int


@dataclass(frozen=True)
class ProductRisk:
    """A product risk level (1-5, label 'R1'..'R5'), its total points and every factor."""

    level: int
    points: int
    factors: tuple[RiskFactor, ...]

    @property
    def label(self) -> str:
        """'R1'..'R5'."""
        return f"R{self.level}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (e.g. a deal's stored valuation result)."""
        return {
            "level": self.level,
            "label": self.label,
            "points": self.points,
            "factors": [f.__dict__.copy() for f in self.factors],
        }


def _at_most(value: float, bands: tuple[tuple[float | None, int], ...], unit: str) -> tuple[int, str]:
    lower = None
    for bound, points in bands:
        if bound is None or value <= bound:
            if bound is None:
                return points, f"{unit} > {lower:g}"
            return points, (f"{unit} <= {bound:g}" if lower is None else f"{lower:g} < {unit} <= {bound:g}")
        lower = bound
    raise AssertionError("the last band is unbounded")


def _at_least(value: float, bands: tuple[tuple[float | None, int], ...], unit: str) -> tuple[int, str]:
    upper = None
    for bound, points in bands:
        if bound is None or value >= bound:
            if bound is None:
                return points, f"{unit} < {upper:g}"
            return points, (f"{unit} >= {bound:g}" if upper is None else f"{bound:g} <= {unit} < {upper:g}")
        upper = bound
    raise AssertionError("the last band is unbounded")


def _max_points(bands: tuple[tuple[float | None, int], ...]) -> int:
    return max(points for _, points in bands)


def _support_gap_points(rating: str, underlying: str) -> int:
    """Points for what external support adds: the stand-alone rating's points beyond the enhanced rating's own.

    A class without support (the same rating both ways) scores nothing here;
    its rating factor already carries its risk.
    """
    return max(0, UNDERLYING_POINTS[underlying] - UNDERLYING_POINTS[rating])


def product_risk(
    *,
    rating: str,
    tenor_months: int,
    stability_score: float,
    data_share: float,
    guarantee_dependence: float,
    underlying_rating: str | None = None,
) -> ProductRisk:
    """Product risk level of a tranche from its ratings with and without support, tenor, stability, data share
    and reliance on support (the underlying rating defaults to the rating: no support)."""
    rating = (rating or "NR").strip().upper()
    underlying = (underlying_rating or rating).strip().upper()
    if rating not in RATING_POINTS or underlying not in RATING_POINTS:
        raise ValueError(f"unknown rating {rating!r} / {underlying!r}")
    if int(tenor_months) < 1:
        raise ValueError("tenor must be at least one month")
    stability, share, guarantee = float(stability_score), float(data_share), float(guarantee_dependence)
    if not 0 <= stability <= 100:
        raise ValueError("stability score must be 0..100")
    if not 0 <= share <= 1 or not 0 <= guarantee <= 1:
        raise ValueError("data share and guarantee dependence must be 0..1")

    tenor_points, tenor_band = _at_most(int(tenor_months), TENOR_BANDS, "months")
    stability_points, stability_band = _at_least(stability, STABILITY_BANDS, "score")
    share_points, share_band = _at_least(share, DATA_SHARE_BANDS, "share")
    guarantee_points, guarantee_band = _at_most(guarantee, GUARANTEE_BANDS, "dependence")
    factors = (
        RiskFactor("rating", rating, rating, RATING_POINTS[rating], max(RATING_POINTS.values())),
        RiskFactor(
            "underlying_rating",
            underlying,
            underlying,
            _support_gap_points(rating, underlying),
            max(UNDERLYING_POINTS.values()),
        ),
        RiskFactor("tenor", int(tenor_months), tenor_band, tenor_points, _max_points(TENOR_BANDS)),
        RiskFactor("revenue_stability", stability, stability_band, stability_points, _max_points(STABILITY_BANDS)),
        RiskFactor("data_share", share, share_band, share_points, _max_points(DATA_SHARE_BANDS)),
        RiskFactor("guarantee_dependence", guarantee, guarantee_band, guarantee_points, _max_points(GUARANTEE_BANDS)),
    )
    total = sum(f.points for f in factors)
    level = next(level for cut, level in LEVEL_CUTS if cut is None or total <= cut)
    return ProductRisk(level=level, points=total, factors=factors)


# The key of the inputs in `Tranche.product_risk_factors`; the other keys are `ProductRisk.as_dict()`'s.
RISK_INPUTS_KEY = "inputs"


@dataclass(frozen=True)
class TrancheRiskInputs:
    """What a tranche's product risk level was computed from; matching reads the very same values.

    The valuation job writes them (`risk_facts`) and the matching rows read them
    back (`TrancheRiskInputs.of`): the contract between deals and investors
    (docs/matching.md). Ratings are scale names ('AAA'..'NR'; the residual class
    is 'NR'); the underlying rating is the class's rating without external
    support (the rating itself when it has none); the stability score 0..100;
    the data cash-flow share and the guarantee dependence 0..1 (the dependence
    is 0 where the support does not lift the rating); the suggested coupon a
    fraction, or None when the valuation suggested none.
    """

    rating: str
    underlying_rating: str
    stability_score: float
    data_share: float
    guarantee_dependence: float
    suggested_coupon: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data for `Tranche.product_risk_factors["inputs"]`."""
        return {
            "rating": self.rating,
            "underlying_rating": self.underlying_rating,
            "stability_score": self.stability_score,
            "data_share": self.data_share,
            "guarantee_dependence": self.guarantee_dependence,
            "suggested_coupon": self.suggested_coupon,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrancheRiskInputs:
        """The inputs from their stored form; one stored without an underlying rating has no support (its rating).

        A stored form without a rating, stability score, data share or guarantee dependence raises KeyError.
        """
        rating = str(data["rating"])
        coupon = data.get("suggested_coupon")
        return cls(
            rating=rating,
            underlying_rating=str(data.get("underlying_rating") or rating),
            stability_score=float(data["stability_score"]),
            data_share=float(data["data_share"]),
            guarantee_dependence=float(data["guarantee_dependence"]),
            suggested_coupon=None if coupon is None else float(coupon),
        )

    @classmethod
    def of(cls, product_risk_factors: Mapping[str, Any] | None) -> TrancheRiskInputs | None:
        """The inputs stored in a tranche's `product_risk_factors`; None when it was never valued."""
        stored = (product_risk_factors or {}).get(RISK_INPUTS_KEY)
        return cls.from_json(stored) if stored else None

    def risk(self, *, tenor_months: int) -> ProductRisk:
        """The product risk level these inputs give a tranche of a deal of this tenor."""
        return product_risk(
            rating=self.rating, underlying_rating=self.underlying_rating, tenor_months=tenor_months,
            stability_score=self.stability_score, data_share=self.data_share,
            guarantee_dependence=self.guarantee_dependence,
        )  # fmt: skip


def risk_facts(inputs: TrancheRiskInputs, *, tenor_months: int) -> tuple[str, dict[str, Any]]:
    """A tranche's level ('R1'..'R5') and what `Tranche.product_risk_factors` stores: the factors and the inputs."""
    risk = inputs.risk(tenor_months=tenor_months)
    return risk.label, {**risk.as_dict(), RISK_INPUTS_KEY: inputs.to_json()}
