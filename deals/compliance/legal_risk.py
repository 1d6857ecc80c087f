"""Legal risk of a deal from its open compliance findings: the valuation haircut and the regulatory-stop probability.

Plain Python, no Django: the valuation engine may import it. The counts come
from `deals.compliance.selectors.legal_risk_for(deal)`.

Formula. Each open finding is treated as an independent source of loss:

    haircut = min(MAX_HAIRCUT, 1 - (1 - h_high)^n_high * (1 - h_medium)^n_medium * (1 - h_low)^n_low)

    p_stop  = min(MAX_STOP_PROBABILITY,
                  1 - (1 - p_base) * (1 - u_high)^n_high * (1 - u_medium)^n_medium * (1 - u_low)^n_low)

with h = 5 % / 2 % / 0.5 % of value per high / medium / low finding and
u = 10 % / 4 % / 1 % added chance of a regulatory stop per finding. `haircut`
is the fraction taken off the data asset's value and the pool's projected
data cash flow; `p_stop` is the probability of a regulatory stop over the
deal's whole life, raised from the base probability `p_base` of a deal with a
clean review: 0.5 % a year over its tenor, 1 - 0.995^(tenor months / 12) (1.5 %
over 36 months; `legal_risk` alone defaults to 2 %). The valuation converts it once to the annual probability with
the same chance over the tenor, 1 - (1 - p_stop)^(12 / tenor months).
Examples: one high finding gives a 5 % haircut and, from a 2 % base,
p_stop = 1 - 0.98 * 0.90 = 11.8 %; no finding leaves 0 % and the base.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SEVERITIES = ("high", "medium", "low")
HAIRCUT_PER_FINDING = {"high": 0.05, "medium": 0.02, "low": 0.005}
STOP_UPLIFT_PER_FINDING = {"high": 0.10, "medium": 0.04, "low": 0.01}
MAX_HAIRCUT = 0.30
MAX_STOP_PROBABILITY = 0.50
DEFAULT_BASE_STOP_PROBABILITY = 0.02
# A clean review's chance of a suspension, per year (the valuation's base, deals.valuation.assumptions).
ANNUAL_BASE_STOP_PROBABILITY = 0.005


def base_stop_probability_life(tenor_months: int) -> float:
    """A clean review's chance of a suspension over a deal's life: the annual base over the tenor."""
    return 1.0 - (1.0 - ANNUAL_BASE_STOP_PROBABILITY) ** (max(int(tenor_months), 1) / 12.0)


@dataclass(frozen=True)
class LegalRisk:
    """Open findings by severity and what they do to the valuation."""

    open_findings: dict[str, int] = field(default_factory=dict)
    haircut: float = 0.0
    regulatory_stop_probability_life: float = DEFAULT_BASE_STOP_PROBABILITY
    base_stop_probability_life: float = DEFAULT_BASE_STOP_PROBABILITY

    @property
    def total_open(self) -> int:
        return sum(self.open_findings.values())


def _counts(open_findings: Mapping[str, int]) -> dict[str, int]:
    unknown = set(open_findings) - set(SEVERITIES)
    if unknown:
        raise ValueError(f"unknown severities: {sorted(unknown)}")
    counts = {severity: int(open_findings.get(severity, 0)) for severity in SEVERITIES}
    if any(n < 0 for n in counts.values()):
        raise ValueError("finding counts cannot be negative")
    return counts


def legal_risk_haircut(open_findings: Mapping[str, int]) -> float:
    """Fraction of value taken off for open findings (see the module docstring), capped at MAX_HAIRCUT."""
    counts = _counts(open_findings)
    kept = 1.0
    for severity, n in counts.items():
        kept *= (1.0 - HAIRCUT_PER_FINDING[severity]) ** n
    return min(MAX_HAIRCUT, 1.0 - kept)


def regulatory_stop_probability_life(
    open_findings: Mapping[str, int], *, base: float = DEFAULT_BASE_STOP_PROBABILITY
) -> float:
    """Probability of the regulatory-stop scenario: the base raised by each open finding, capped."""
    if not 0.0 <= base <= 1.0:
        raise ValueError("the base probability must lie in [0, 1]")
    counts = _counts(open_findings)
    no_stop = 1.0 - base
    for severity, n in counts.items():
        no_stop *= (1.0 - STOP_UPLIFT_PER_FINDING[severity]) ** n
    # Findings only raise the probability: the cap never pulls a base that is already above it down.
    return min(max(MAX_STOP_PROBABILITY, base), 1.0 - no_stop)


def legal_risk(open_findings: Mapping[str, int], *, base: float = DEFAULT_BASE_STOP_PROBABILITY) -> LegalRisk:
    """The legal-risk summary of a review's open findings by severity."""
    counts = _counts(open_findings)
    return LegalRisk(
        open_findings=counts,
        haircut=legal_risk_haircut(counts),
        regulatory_stop_probability_life=regulatory_stop_probability_life(counts, base=base),
        base_stop_probability_life=base,
    )
