"""Demo market data the arranger maintains: the 2025 government curve on the demo deals' dates, and a register of
comparable data transactions for the appraisal's market method.

The curve levels approximate the ChinaBond government bond yield curve of each day as public curve reports
showed it (rounded to the basis point; the demo's data, not an official series). The comparable transactions
are illustrative entries of the kind an arranger copies from data exchanges' listings: their sources say so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from deals.models import ComparableTransaction, MarketParameters
from origination.models import User

TENORS = (0.25, 0.5, 1, 2, 3, 5, 7, 10)
# Percent at the tenors above, by date (the issue dates of the 2025 demo deals).
CURVES_2025: dict[dt.date, tuple[float, ...]] = {
    dt.date(2025, 3, 18): (1.62, 1.62, 1.58, 1.57, 1.60, 1.68, 1.78, 1.88),
    dt.date(2025, 5, 22): (1.45, 1.44, 1.42, 1.43, 1.46, 1.52, 1.62, 1.70),
    dt.date(2025, 6, 27): (1.36, 1.36, 1.35, 1.38, 1.40, 1.49, 1.58, 1.65),
    dt.date(2025, 8, 14): (1.37, 1.37, 1.36, 1.42, 1.44, 1.57, 1.66, 1.73),
    dt.date(2025, 9, 25): (1.38, 1.38, 1.37, 1.45, 1.48, 1.62, 1.76, 1.88),
    dt.date(2025, 10, 30): (1.36, 1.36, 1.35, 1.40, 1.43, 1.56, 1.70, 1.80),
}
# ABS spread over the curve by rating, as in the platform's starting parameters (deals migration 0004).
SPREADS = {
    "AAA": 0.0045, "AA+": 0.0075, "AA": 0.0110, "AA-": 0.0150, "A+": 0.0200, "A": 0.0250, "A-": 0.0300,
    "BBB+": 0.0380, "BBB": 0.0450, "BBB-": 0.0550, "BB": 0.0750, "B": 0.1000, "CCC": 0.1500,
}  # fmt: skip
CURVE_SOURCE = "Demo: ChinaBond government curve of the day, approximate levels from public curve reports"

# (category, what was traded, venue, date, price CNY, annual revenue of the traded data CNY)
COMPARABLES: tuple[tuple[str, str, str, dt.date, int, int], ...] = (
    ("transport", "Urban traffic-flow index API, perpetual licence", "Shanghai Data Exchange", dt.date(2024, 11, 12), 7_400_000, 4_650_000),
    ("transport", "Port vessel-schedule dataset, 3-year exclusive licence", "Shanghai Data Exchange", dt.date(2025, 2, 20), 9_600_000, 5_700_000),
    ("transport", "Freight telematics data product", "Shenzhen Data Exchange", dt.date(2025, 4, 8), 3_900_000, 2_800_000),
    ("transport", "Ride-hailing demand heat-map product", "Beijing International Big Data Exchange", dt.date(2025, 6, 3), 2_900_000, 1_650_000),
    ("energy", "Provincial load-forecast data service", "Beijing International Big Data Exchange", dt.date(2024, 12, 5), 12_600_000, 7_400_000),
    ("energy", "Charging-pile utilisation dataset", "Shenzhen Data Exchange", dt.date(2025, 3, 14), 3_400_000, 2_300_000),
    ("energy", "PV generation data product", "Shanghai Data Exchange", dt.date(2025, 5, 27), 4_800_000, 2_900_000),
    ("energy", "Industrial energy-efficiency index, one-off transfer with exclusivity", "Guiyang Global Big Data Exchange", dt.date(2025, 7, 9), 38_400_000, 2_400_000),
    ("healthcare", "De-identified outpatient cohort data service", "Guiyang Global Big Data Exchange", dt.date(2024, 10, 22), 5_900_000, 3_900_000),
    ("healthcare", "Medical-insurance settlement analytics", "Shanghai Data Exchange", dt.date(2025, 4, 16), 4_500_000, 3_300_000),
    ("healthcare", "Hospital operations benchmark dataset", "Shenzhen Data Exchange", dt.date(2025, 8, 1), 2_500_000, 1_750_000),
    ("finance", "SME tax-credit indicator API", "Shanghai Data Exchange", dt.date(2024, 12, 18), 6_600_000, 4_100_000),
    ("finance", "Merchant cash-flow scoring service", "Shenzhen Data Exchange", dt.date(2025, 5, 6), 4_400_000, 2_600_000),
    ("finance", "Supply-chain invoice verification data", "Beijing International Big Data Exchange", dt.date(2025, 9, 2), 5_300_000, 3_500_000),
    ("agriculture", "Remote-sensing yield estimates", "Zhejiang Public Resource Trading Centre", dt.date(2024, 9, 26), 1_800_000, 1_300_000),
    ("agriculture", "Wholesale agri-price data feed", "Chengdu Public Resource Trading Service Centre", dt.date(2025, 3, 28), 1_200_000, 950_000),
    ("agriculture", "Soil-sensor dataset, 2-year licence", "Shanghai Data Exchange", dt.date(2025, 6, 19), 2_100_000, 1_400_000),
    ("government_open", "Enterprise registry public-data API (authorised operation)", "Beijing International Big Data Exchange", dt.date(2024, 11, 28), 9_100_000, 5_100_000),
    ("government_open", "Building-footprint vector data product", "Shanghai Data Exchange", dt.date(2025, 4, 24), 3_800_000, 2_500_000),
    ("government_open", "Permit and licence status data service", "Shenzhen Data Exchange", dt.date(2025, 7, 30), 3_200_000, 1_900_000),
    ("consumer", "Store footfall index", "Shenzhen Data Exchange", dt.date(2024, 10, 10), 3_500_000, 2_450_000),
    ("consumer", "Retail receipt analytics, aggregated", "Shanghai Data Exchange", dt.date(2025, 2, 27), 5_000_000, 3_050_000),
    ("consumer", "Wholesale-market transaction data product", "Chengdu Public Resource Trading Service Centre", dt.date(2025, 6, 11), 3_700_000, 2_700_000),
    ("manufacturing", "Equipment operating-state data service", "Shanghai Data Exchange", dt.date(2024, 12, 9), 3_000_000, 2_000_000),
    ("manufacturing", "Textile capacity index", "Zhejiang Public Resource Trading Centre", dt.date(2025, 5, 15), 2_000_000, 1_500_000),
    ("manufacturing", "Industrial internet parts-demand data", "Shenzhen Data Exchange", dt.date(2025, 8, 21), 2_800_000, 1_850_000),
)  # fmt: skip
COMPARABLE_SOURCE = "Demo register: illustrative entry modelled on {venue} listings"


def ensure_market_data(*, actor: User, created: Counter) -> None:
    """The 2025 dated market parameters and the comparable-transactions register (each created once)."""
    for as_of, percents in CURVES_2025.items():
        if MarketParameters.objects.filter(as_of=as_of, source=CURVE_SOURCE).exists():
            continue
        MarketParameters.objects.create(
            as_of=as_of,
            benchmark_name="ChinaBond government bond yield curve",
            benchmark_curve=[[t, round(p / 100, 6)] for t, p in zip(TENORS, percents, strict=True)],
            rating_spreads=SPREADS,
            source=CURVE_SOURCE,
            notes=f"1-year {percents[2]:.2f} %, 3-year {percents[4]:.2f} %, 10-year {percents[7]:.2f} %.",
            created_by=actor,
        )
        created["market parameter dates"] += 1
    for category, description, venue, day, price, revenue in COMPARABLES:
        if ComparableTransaction.objects.filter(category=category, description=description).exists():
            continue
        ComparableTransaction.objects.create(
            category=category,
            description=description,
            venue=venue,
            transaction_date=day,
            price=Decimal(price),
            annual_revenue=Decimal(revenue),
            source=COMPARABLE_SOURCE.format(venue=venue),
            created_by=actor,
        )
        created["comparable transactions"] += 1
