"""Product risk level R1-R5 of a tranche by a points method, with each factor's contribution. No Django.

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

from dataclasses import dataclass
from typing import Any

from .matching_inputs import RATING_SCALE

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
    if rating not in RATING_SCALE or underlying not in RATING_SCALE:
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
