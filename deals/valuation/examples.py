"""Deals built from public facts of real issues, and demo-shaped deals, as plain engine inputs. No Django.

Used by the tests, the benchmarks and docs/valuation.md to check the engine
on structures it was not tuned on. Each builder says which facts are public
(with the source) and which are assumptions, because offering documents are
not public.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .inputs import (
    CreditEnhancementInput,
    FeesInput,
    PaydownInput,
    PoolAssetInput,
    RevenueHistory,
    SupportInput,
    TrancheInput,
    ValuationInputs,
)

M = 1_000_000.0


def plain_lease_deal(**changes: Any) -> ValuationInputs:
    """A plain 300 m CNY lease-receivable deal, sequential pass-through, no external support.

    The structure of issue 8's first observation: eight leases maturing at 18 to
    24 months, 8 % subordination (senior 276 m, subordinated 24 m), 10 %
    overcollateralisation (a 330 m pool), a 3 m reserve, no guarantee.
    Assumptions: quarterly payments over 24 months with a 12-month tail, lease
    yield 6 %, lessee PD 1.5 % a year, recovery 40 %, senior coupon 2.2 %.
    """
    terms = (18, 19, 20, 21, 21, 22, 23, 24)
    leases = tuple(
        PoolAssetInput(
            principal=330 * M / len(terms), annual_rate=0.06, months_to_maturity=term, annual_pd=0.015,
            recovery_rate=0.40, kind="lease", cash_source="other", name=f"Lessee {i + 1}",
        )
        for i, term in enumerate(terms)
    )  # fmt: skip
    inputs = ValuationInputs(
        deal_type="empowerment",
        tenor_months=24,
        periods_per_year=4,
        tranches=(
            TrancheInput("Senior A", "senior", 276 * M, 0.022, 1, "AAA"),
            TrancheInput("Subordinated", "subordinated", 24 * M, None, 2),
        ),
        pool_assets=leases,
        enhancement=CreditEnhancementInput(reserve_target=3 * M),
        paydown=PaydownInput(mode="sequential"),
        fees=FeesInput(senior_fees_bps=15),
        tail_months=12,
        pricing_date="2025-11-28",
    )
    return replace(inputs, **changes)


# Rugao municipal state-owned debtors of the supply-chain receivables (assumed split, PDs read off county-level
# SOE ratings around AA: 0.6-1.0 % a year).
RUGAO_DEBTORS = (
    ("Rugao urban construction SOE", 0.28, 0.006),
    ("Rugao transport investment SOE", 0.22, 0.007),
    ("Rugao port and logistics SOE", 0.18, 0.008),
    ("Rugao water utility SOE", 0.17, 0.006),
    ("Rugao industrial park SOE", 0.15, 0.010),
)


def rugao_supply_chain_deal(**changes: Any) -> ValuationInputs:
    """平安-如皋第1期资产支持专项计划（数据资产）, as far as public reports describe it.

    Public (Shenzhen Stock Exchange listing, reported 2025-04-30): issued
    2025-04-28, 130 m CNY, senior rated AAA(sf) at a 2.4 % coupon; a supply-chain
    pool whose debtors are Rugao municipal state-owned enterprises; the
    originator's data assets (smart-parking and other city data) pledged,
    registered at the Nanjing Public Resource Trading Centre and filed in the
    PBoC registry; external enhancement by a guarantee of China Securities
    Credit Financing Guarantee (中证信用融资担保, AAA).
    Assumptions: senior 95 % / subordinated 5 %, pool equal to the notes,
    receivables falling due at 6 and 12 months, semi-annual payments over a
    12-month tenor and a 6-month tail, pledged data worth 15 m CNY, a timely
    guarantee of the senior's principal and interest.
    """
    receivables = []
    for name, weight, pd in RUGAO_DEBTORS:
        for term, share in ((6, 0.5), (12, 0.5)):
            receivables.append(
                PoolAssetInput(
                    principal=130 * M * weight * share, annual_rate=0.045, months_to_maturity=term, annual_pd=pd,
                    recovery_rate=0.50, kind="receivable", cash_source="data_secured",
                    repayment_source="public_budget", pledged_data_value=15 * M * weight * share,
                    name=f"{name} ({term} months)",
                )
            )  # fmt: skip
    inputs = ValuationInputs(
        deal_type="data_pledge",
        tenor_months=12,
        periods_per_year=2,
        tranches=(
            TrancheInput("Senior A", "senior", 123.5 * M, 0.024, 1, "AAA"),
            TrancheInput("Subordinated", "subordinated", 6.5 * M, None, 2),
        ),
        pool_assets=tuple(receivables),
        enhancement=CreditEnhancementInput(
            supports=(
                SupportInput(
                    amount=123.5 * M,
                    kind="guarantee",
                    provider_type="guarantee_company",
                    provider_rating="AAA",
                    covered_classes=("senior",),
                    coverage="timely",
                    provider="China Securities Credit Financing Guarantee (中证信用融资担保)",
                ),
            ),
        ),  # fmt: skip
        paydown=PaydownInput(mode="sequential"),
        fees=FeesInput(senior_fees_bps=15),
        tail_months=6,
        pricing_date="2025-04-28",
    )
    return replace(inputs, **changes)


# --- demo-shaped deals (demo/market.py) ----------------------------------------------------------------

LICENSEE_PD = 0.008  # the demo's licence streams carry a 0.8 % annual default probability
# Per data asset: monthly revenue, each licensee's share of it, months of history.
LicensedAsset = tuple[float, tuple[float, ...], int]
SHANGHAI_TRANSPORT_ASSETS: tuple[LicensedAsset, ...] = (
    (12.4 * M, (0.4, 0.3, 0.2, 0.1), 48),
    (4.3 * M, (0.6, 0.4), 36),
)


def revenue_history(
    assets: tuple[LicensedAsset, ...] = SHANGHAI_TRANSPORT_ASSETS,
    *,
    last_calendar_month: int = 4,
    growth: float = 0.12,
    season_amplitude: float = 0.06,
    peak_month: int = 7,
    seed: int = 2025,
) -> RevenueHistory:
    """Monthly revenue per licensee: trend x seasonality x noise; the third and later licensees join partway."""
    rng = np.random.default_rng(seed)
    months = max(m for _, _, m in assets)
    first_calendar = (last_calendar_month - months) % 12 + 1
    columns = []
    for level, shares, history in assets:
        for index, share in enumerate(shares):
            joins = int(history * 0.12 * (index - 1)) if index >= 2 else 0
            column = np.zeros(months)
            for t in range(months - history + joins, months):
                years_before_end = (months - 1 - t) / 12
                calendar = (first_calendar - 1 + t) % 12 + 1
                season = 1 + season_amplitude * np.cos(2 * np.pi * (calendar - peak_month) / 12)
                noise = min(1.15, max(0.85, rng.normal(1.0, 0.05)))
                column[t] = level * share * (1 + growth) ** -years_before_end * season * noise
            columns.append(column)
    amounts = np.column_stack(columns)
    return RevenueHistory(
        amounts=amounts,
        first_calendar_month=first_calendar,
        counterparty_loss_annual=np.full(amounts.shape[1], LICENSEE_PD),
    )


LICENCE_SCHEDULE = PaydownInput(
    mode="target_schedule", structuring_ratio=1.25, dscr_trigger=1.10, trigger_window_periods=2,
    trigger_cure_periods=2, residual_release="excess_when_tests_pass",
)  # fmt: skip


def licence_deal(**changes: Any) -> ValuationInputs:
    """450 m CNY licence-revenue deal, 36 months quarterly: senior 90 %, mezzanine 5 %, sub 5 %; a guarantee."""
    size = 450 * M
    inputs = ValuationInputs(
        deal_type="licence_revenue",
        tenor_months=36,
        periods_per_year=4,
        tranches=(
            TrancheInput("Senior A", "senior", 0.90 * size, 0.0195, 1, "AAA"),
            TrancheInput("Mezzanine B", "mezzanine", 0.05 * size, 0.0255, 2, "AA+"),
            TrancheInput("Subordinated", "subordinated", 0.05 * size, None, 3),
        ),
        revenue_history=revenue_history(),
        enhancement=CreditEnhancementInput(
            supports=(SupportInput(405 * M, provider="Shanghai Municipal Financing Guarantee", provider_rating="AAA"),),
            reserve_target=0.01 * size,
        ),
        paydown=LICENCE_SCHEDULE,
        fees=FeesInput(senior_fees_bps=15),
        tail_months=24,
        pricing_date="2025-05-22",
    )
    return replace(inputs, **changes)


# Nine borrowers of the Hangzhou data-pledge deal: (weight, rate, annual PD, monthly revenue of the pledged data).
PLEDGE_BORROWERS = (
    (0.14, 0.0510, 0.0100, 1.45 * M), (0.08, 0.0560, 0.0140, 0.62 * M), (0.16, 0.0480, 0.0080, 2.10 * M),
    (0.11, 0.0530, 0.0120, 0.98 * M), (0.09, 0.0550, 0.0130, 0.76 * M), (0.07, 0.0580, 0.0150, 0.54 * M),
    (0.12, 0.0520, 0.0110, 1.15 * M), (0.13, 0.0500, 0.0090, 1.72 * M), (0.10, 0.0490, 0.0090, 1.30 * M),
)  # fmt: skip


def data_pledge_deal(*, repayment_source: str = "data_revenue", **changes: Any) -> ValuationInputs:
    """380 m CNY data-pledge loan deal, 24 months quarterly, nine borrowers, pool 1.10x the notes, 90/5/5."""
    size = 380 * M
    pool = size * 1.10
    total_weight = sum(w for w, *_ in PLEDGE_BORROWERS)
    assets = tuple(
        PoolAssetInput(
            principal=pool * weight / total_weight, annual_rate=rate, months_to_maturity=24, annual_pd=pd,
            recovery_rate=0.45, kind="loan", cash_source="data_secured", repayment_source=repayment_source,
            pledged_data_value=4.5 * monthly, name=f"Borrower {i + 1}",
        )
        for i, (weight, rate, pd, monthly) in enumerate(PLEDGE_BORROWERS)
    )  # fmt: skip
    inputs = ValuationInputs(
        deal_type="data_pledge",
        tenor_months=24,
        periods_per_year=4,
        tranches=(
            TrancheInput("Senior A", "senior", 0.90 * size, 0.0205, 1, "AAA"),
            TrancheInput("Mezzanine B", "mezzanine", 0.05 * size, 0.0280, 2, "AA"),
            TrancheInput("Subordinated", "subordinated", 0.05 * size, None, 3),
        ),
        pool_assets=assets,
        enhancement=CreditEnhancementInput(
            supports=(
                SupportInput(342 * M, provider="Zhejiang Provincial Financing Guarantee", provider_rating="AAA"),
            ),
            reserve_target=0.01 * size,
        ),
        fees=FeesInput(senior_fees_bps=15),
        tail_months=24,
        pricing_date="2025-08-14",
    )
    return replace(inputs, **changes)


HOSPITAL_WEIGHTS = (0.15, 0.14, 0.13, 0.12, 0.11, 0.10, 0.09, 0.08, 0.08)
HOSPITAL_PDS = ((0.006, 0.010), (0.006, 0.011), (0.007, 0.012), (0.008, 0.014), (0.009, 0.015), (0.011, 0.018),
                (0.012, 0.019), (0.013, 0.021), (0.013, 0.021))  # fmt: skip


def empowerment_deal(**changes: Any) -> ValuationInputs:
    """320 m CNY medical-equipment lease deal, 36 months: hospital data re-priced lessee PDs (about 1.5 % -> 0.9 %)."""
    size = 320 * M
    pool = size * 1.10
    assets = tuple(
        PoolAssetInput(
            principal=pool * w, annual_rate=0.052, months_to_maturity=36, annual_pd=pd, recovery_rate=0.55,
            kind="lease", cash_source="data_empowered", annual_pd_without_data=pd_without, name=f"Hospital {i + 1}",
        )
        for i, (w, (pd, pd_without)) in enumerate(zip(HOSPITAL_WEIGHTS, HOSPITAL_PDS, strict=True))
    )  # fmt: skip
    inputs = ValuationInputs(
        deal_type="empowerment",
        tenor_months=36,
        periods_per_year=4,
        tranches=(
            TrancheInput("Senior A", "senior", 0.90 * size, 0.0200, 1, "AAA"),
            TrancheInput("Mezzanine B", "mezzanine", 0.05 * size, 0.0270, 2, "AA+"),
            TrancheInput("Subordinated", "subordinated", 0.05 * size, None, 3),
        ),
        pool_assets=assets,
        enhancement=CreditEnhancementInput(reserve_target=0.01 * size),
        fees=FeesInput(senior_fees_bps=15),
        tail_months=24,
        pricing_date="2025-06-27",
    )
    return replace(inputs, **changes)
