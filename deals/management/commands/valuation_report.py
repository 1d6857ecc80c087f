"""`manage.py valuation_report`: what each valued deal's latest valuation says, in one table an analyst can read.

For every deal with a successful valuation (or the ids given): each rated class's enhanced and underlying
ratings, how they were decided, the data cash share, the suggested coupon with its build-up, the reliance on
support and the issued-deal comparables view. With `--examples` it also values, on the spot, the deals built
from public facts in deals/valuation/examples.py (the plain pass-through lease deal, 平安-如皋 1), priced
as a deal filed here would be: on the market series of its pricing date, against the platform's issued deals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.core.management.base import BaseCommand

from deals.market_data import market_parameters_for
from deals.models import Deal
from deals.selectors import latest_result
from deals.valuation_inputs import comparable_deals, market_inputs
from origination.formatting import percent

PARTS = ("benchmark", "rating_spread", "liquidity_premium", "tenor_premium", "support_premium", "legal_premium")


def describe(name: str, result: dict[str, Any]) -> list[str]:
    """The lines of one valuation result."""
    sources = result["cash_sources"]
    coverage = result["coverage"]
    relies = coverage.get("relies_on")
    support = f"{relies['provider']} ({relies['type']}, rated {relies['rating']})" if relies else "nothing"
    lines = [
        f"{name}",
        f"  priced {result.get('pricing_date')} on the market of {result.get('market_as_of') or 'the default curve'}; "
        f"data cash share {percent(sources['data_cash_share'], 1)}; seniors rely on {support}",
    ]
    for t in result["tranches"]:
        if not t.get("rated", True):
            lines.append(f"  {t['name']:14s} not rated (residual)")
            continue
        decision = t.get("rating") or {}
        how = "decided" if decision.get("decided") else f"between {decision.get('range')}"
        coupon = t.get("suggested_coupon") or {}
        build = " + ".join(f"{k.replace('_', ' ')} {percent(coupon.get(k))}" for k in PARTS)
        lines.append(
            f"  {t['name']:14s} enhanced {t['implied_rating']:4s} underlying {t['underlying_rating']:4s} ({how}, "
            f"EL {t['expected_loss']:.2e} ± {t['expected_loss_standard_error']:.1e}, {decision.get('paths')} paths); "
            f"coupon {percent(coupon.get('coupon'))} = {build}"
        )
    pricing = result.get("pricing") or {}
    if pricing.get("fitted_coupon") is not None:
        lines.append(
            f"  comparables: {len(pricing['comparables'])} issued seniors, fitted coupon "
            f"{percent(pricing['fitted_coupon'])} (spread {percent(pricing['fitted_spread'])}), fit {pricing['coefficients']}"
        )
    else:
        lines.append(f"  comparables: {len(pricing.get('comparables') or [])} issued seniors, too few for a fit")
    breakeven = result.get("breakeven") or {}
    if breakeven.get("default_multiples"):
        lines.append(
            f"  stress multiple TDR/BDR: { {k: round(v, 1) for k, v in breakeven['default_multiples'].items() if v} }"
        )
    return lines


class Command(BaseCommand):
    help = "Print each valued deal's ratings with and without support, data cash share and coupon build-up."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("deal_ids", nargs="*", type=int)
        parser.add_argument("--examples", action="store_true", help="also value the deals built from public facts")

    def handle(self, *args: Any, **options: Any) -> None:
        deals = Deal.objects.order_by("pk")
        if options["deal_ids"]:
            deals = deals.filter(pk__in=options["deal_ids"])
        for deal in deals:
            run = latest_result(deal=deal)
            if run is None or not run.result or run.result.get("engine_version") != "dataabs-valuation/2":
                continue
            self.stdout.write("\n".join(describe(f"#{deal.pk} {deal.name} [{deal.status}]", run.result)) + "\n")
        if options["examples"]:
            from deals.valuation import value_deal
            from deals.valuation.examples import plain_lease_deal, rugao_supply_chain_deal

            comparables = comparable_deals()
            for name, build in (("Plain pass-through lease deal (issue 8)", plain_lease_deal),
                                ("平安-如皋第1期 (public facts)", rugao_supply_chain_deal)):  # fmt: skip
                example = build()
                # Priced as a deal filed here would be: on the market series of its date, against issued deals.
                market = market_parameters_for(dt.date.fromisoformat(example.pricing_date))
                if market is not None:
                    example = replace(example, market=market_inputs(market))
                result = value_deal(replace(example, comparable_deals=comparables), n_paths=10_000).to_dict()
                self.stdout.write("\n".join(describe(name, result)) + "\n")
