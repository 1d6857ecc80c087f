"""Realistic deals shaped like the demo's 2025 market (origination/demo_market.py), as plain engine inputs.

Revenue histories are generated like the demo's: a growth trend, sector
seasonality and 5 % noise per licensee, later licensees joining partway.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from deals.valuation import (
    CreditEnhancementInput,
    FeesInput,
    GuaranteeInput,
    PoolAssetInput,
    RevenueHistory,
    TrancheInput,
    ValuationInputs,
)

M = 1_000_000.0
LICENSEE_PD = 0.008  # the demo's licence streams carry an 0.8 % annual default probability

# (monthly revenue in the last month, licensee shares, months of history)
SHANGHAI_TRANSPORT_ASSETS = ((10.4 * M, (0.4, 0.3, 0.2, 0.1), 48), (3.6 * M, (0.6, 0.4), 36))


def revenue_history(
    assets=SHANGHAI_TRANSPORT_ASSETS,
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


def licence_deal(**changes) -> ValuationInputs:
    """450 m CNY licence-revenue deal, 36 months quarterly: senior 85 % (AAA target), mezzanine 10 %, sub 5 %."""
    size = 450 * M
    inputs = ValuationInputs(
        deal_type="licence_revenue",
        tenor_months=36,
        periods_per_year=4,
        tranches=(
            TrancheInput("Senior A", "senior", 0.85 * size, 0.0195, 1, "AAA"),
            TrancheInput("Mezzanine B", "mezzanine", 0.10 * size, 0.0255, 2, "AA+"),
            TrancheInput("Subordinated", "subordinated", 0.05 * size, None, 3),
        ),
        revenue_history=revenue_history(),
        enhancement=CreditEnhancementInput(
            guarantees=(
                GuaranteeInput(405 * M, "guarantee_company", provider="Shanghai Municipal Financing Guarantee"),
            ),
            reserve_target=0.01 * size,
        ),
        fees=FeesInput(senior_fees_bps=20),
    )
    return replace(inputs, **changes)


# Nine borrowers of the Hangzhou data-pledge deal: (weight, rate, annual PD, monthly revenue of the pledged data).
PLEDGE_BORROWERS = (
    (0.14, 0.0510, 0.0150, 1.45 * M), (0.08, 0.0560, 0.0240, 0.62 * M), (0.16, 0.0480, 0.0120, 2.10 * M),
    (0.11, 0.0530, 0.0180, 0.98 * M), (0.09, 0.0550, 0.0200, 0.76 * M), (0.07, 0.0580, 0.0250, 0.54 * M),
    (0.12, 0.0520, 0.0160, 1.15 * M), (0.13, 0.0500, 0.0140, 1.72 * M), (0.10, 0.0490, 0.0130, 1.30 * M),
)  # fmt: skip


def data_pledge_deal(**changes) -> ValuationInputs:
    """380 m CNY data-pledge loan deal, 24 months quarterly, nine borrowers, pool 1.05x the notes, 90/5/5."""
    size = 380 * M
    pool = size * 1.05
    total_weight = sum(w for w, *_ in PLEDGE_BORROWERS)
    assets = tuple(
        PoolAssetInput(
            principal=pool * weight / total_weight,
            annual_rate=rate,
            months_to_maturity=24,
            annual_pd=pd,
            recovery_rate=0.40,
            kind="loan",
            pledged_data_value=4.5 * monthly,  # book value of the pledged data (the demo's 4.5 months of revenue)
            name=f"Borrower {i + 1}",
        )
        for i, (weight, rate, pd, monthly) in enumerate(PLEDGE_BORROWERS)
    )
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
            guarantees=(
                GuaranteeInput(342 * M, "guarantee_company", provider="Zhejiang Provincial Financing Guarantee"),
            ),
            reserve_target=0.01 * size,
        ),
        fees=FeesInput(senior_fees_bps=20),
    )
    return replace(inputs, **changes)


HOSPITAL_WEIGHTS = (0.28, 0.22, 0.18, 0.16, 0.16)


def empowerment_deal(**changes) -> ValuationInputs:
    """320 m CNY medical-equipment lease deal, 36 months: data re-priced lessee PD from 1.5 % to 0.9 %."""
    size = 320 * M
    pool = size * 1.10
    assets = tuple(
        PoolAssetInput(
            principal=pool * w,
            annual_rate=0.052,
            months_to_maturity=36,
            annual_pd=0.009,
            recovery_rate=0.55,
            kind="lease",
            annual_pd_without_data=0.015,
            name=f"Hospital {i + 1}",
        )
        for i, w in enumerate(HOSPITAL_WEIGHTS)
    )
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
        fees=FeesInput(senior_fees_bps=20),
    )
    return replace(inputs, **changes)
