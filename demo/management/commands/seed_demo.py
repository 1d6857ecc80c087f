"""`python manage.py seed_demo`: load the demo data (idempotent) and print the demo accounts."""

from __future__ import annotations

import unicodedata

from django.core.management.base import BaseCommand, CommandError

from deals.selectors import market_summary
from demo.seed import DemoConflict, SeedReport, seed_demo


class Command(BaseCommand):
    help = (
        "Load the demo data: users of every role, originators, the seven issued deals of the 2025 market, "
        "deals in every origination state and 32 investors. Running it again creates and changes nothing."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            report = seed_demo()
        except DemoConflict as exc:
            raise CommandError(f"Cannot load the demo data: {exc}") from exc
        if report.created:
            made = ", ".join(f"{n} {kind}" for kind, n in report.created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {made}."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo data already present: nothing created or changed."))
        summary = market_summary(year=2025)
        self.stdout.write(
            f"2025 market: {summary['products_issued']} products, {summary['total_issuance_bn_cny']} bn CNY, "
            f"{summary['data_asset_abs']} data asset ABS + {summary['empowerment_abs']} empowerment, "
            f"{summary['soe_initiated']} by SOEs ({summary['soe_initiated_pct']} %), "
            f"average senior coupon {summary['average_senior_coupon_pct']} %."
        )
        self.stdout.write("")
        self._write_accounts(report)

    def _write_accounts(self, report: SeedReport) -> None:
        header = ("username", "role", "organisation", "password")
        rows = [(a.username, a.role, a.organisation, a.password) for a in report.accounts]
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            cells = (cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
