"""The demo's starting market parameters: the late-2025 ChinaBond government curve and rating spreads."""

import datetime

from django.db import migrations

CURVE = [[0.25, 0.0130], [0.5, 0.0132], [1, 0.0135], [2, 0.0140], [3, 0.0145], [5, 0.0155], [7, 0.0168], [10, 0.0180]]
# Spread over the government curve by rating for ABS notes; AAA seniors of 2025's data-asset deals paid
# 1.85 % to 2.58 % against a 1.35 %-1.55 % curve, i.e. roughly 45-100 bp.
SPREADS = {
    "AAA": 0.0045, "AA+": 0.0075, "AA": 0.0110, "AA-": 0.0150, "A+": 0.0200, "A": 0.0250, "A-": 0.0300,
    "BBB+": 0.0380, "BBB": 0.0450, "BBB-": 0.0550, "BB": 0.0750, "B": 0.1000, "CCC": 0.1500,
}  # fmt: skip


def create(apps, schema_editor):
    MarketParameters = apps.get_model("deals", "MarketParameters")
    if not MarketParameters.objects.exists():
        MarketParameters.objects.create(
            as_of=datetime.date(2025, 11, 28),
            benchmark_name="ChinaBond government bond yield curve",
            benchmark_curve=CURVE,
            rating_spreads=SPREADS,
            notes="Late-2025 levels: about 1.35 % at 1 year, 1.40 % at 2, 1.45 % at 3, 1.55 % at 5, 1.80 % at 10.",
        )


class Migration(migrations.Migration):
    dependencies = [("deals", "0003_valuation_runs_market_parameters")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
