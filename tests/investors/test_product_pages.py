"""The investor's product pages: what each group holds, and queries that do not grow with the market."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Tranche
from investors import match_jobs
from investors.match_candidates import Fit, match_candidates_for, product_page_for
from investors.models import MatchRun
from investors.suitability import suitability_confirm
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


def _tranche(deal, priority, *, risk="R2", rating="AAA", coupon="0.0210"):
    return Tranche.objects.create(
        deal=deal, name=f"T{priority}", tranche_class="senior", size=90 * M, coupon=Decimal(coupon),
        target_rating=rating, payment_priority=priority, product_risk_level=risk,
        product_risk_factors={"inputs": {"rating": rating, "stability_score": 85.0, "data_share": 0.9,
                                         "guarantee_dependence": 0.1, "suggested_coupon": float(coupon)}},
    )  # fmt: skip


def _deal(n_tranches=3, tenor=36):
    """A published deal whose first class suits the investor below, the second is above its level (R4 for C3)
    and the third a near miss (coupon 1.50 % under its 1.80 % minimum); more classes repeat the first."""
    deal = DealFactory(status="published", target_size=1000 * M, tenor_months=tenor)
    kinds = [{}, {"risk": "R4"}, {"coupon": "0.0150"}]
    for k in range(n_tranches):
        _tranche(deal, k + 1, **kinds[k] if k < len(kinds) else {})
    return deal


@pytest.fixture
def investor():
    investor = InvestorFactory(name="Balanced")
    RiskProfileFactory(investor=investor, risk_tolerance="C3", min_rating="AA", max_tenor_months=60,
                       min_coupon=Decimal("0.018"), ticket_min=M, ticket_max=500 * M,
                       max_guarantee_dependence=Decimal("0.5"))  # fmt: skip
    return investor


def _rematch():
    match_jobs.match_execute(run_id=MatchRun.objects.create(scope="all").pk)


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_product_list_groups_suitable_above_level_and_near_misses(client, investor):
    deal = _deal()
    _rematch()
    client.force_login(investor_user(investor))
    response = client.get(reverse("product_list"))
    names = {key: [(m.deal.pk, m.tranche.name) for m in response.context[key]]
             for key in ("suitable", "above_level", "near_misses")}  # fmt: skip
    assert names == {"suitable": [(deal.pk, "T1")], "above_level": [(deal.pk, "T2")], "near_misses": [(deal.pk, "T3")]}
    html = response.content.decode()
    assert "Eligible if your minimum coupon were 1.50 %." in html


def test_the_product_list_queries_do_not_grow_with_the_market(client, investor):
    _deal()
    _rematch()
    client.force_login(investor_user(investor))
    client.get(reverse("product_list"))  # the session and the user, once
    few, _response = _queries(client, reverse("product_list"))
    for _ in range(4):
        _deal()
    _rematch()
    many, response = _queries(client, reverse("product_list"))
    assert len(response.context["suitable"]) == 5
    assert len(response.context["near_misses"]) == 5
    assert many == few
    # the session, the user, the profile, the market's tranches and their 3 privacy facts, the stored pairs, and
    # the investor in the page's header
    assert many <= 9


def test_the_product_page_queries_do_not_grow_with_its_classes(client, investor):
    small, large = _deal(n_tranches=3), _deal(n_tranches=8)
    _rematch()
    user = investor_user(investor)
    client.force_login(user)
    for deal in (small, large):
        suitability_confirm(actor=user, tranche=deal.tranches.get(payment_priority=2))
    client.get(reverse("product_detail", args=[small.pk]))
    few, _response = _queries(client, reverse("product_detail", args=[small.pk]))
    many, response = _queries(client, reverse("product_detail", args=[large.pk]))
    html = response.content.decode()
    assert "Warning confirmed." in html
    assert "Eligible if your minimum coupon were 1.50 %." in html
    assert many == few
    # the session, the user, the profile, the deal, its tranches and their 3 privacy facts, the confirmed warnings,
    # whether the investor holds the deal (2), and the investor in the page's header
    assert many <= 12


def test_one_deals_candidates_are_every_valued_class_in_payment_order_whatever_it_fails(investor):
    deal = _deal()
    _tranche(deal, 4, risk="R5", coupon="0.0150")  # above C3 and under the minimum coupon: two rules
    Tranche.objects.create(deal=deal, name="T5", tranche_class="subordinated", size=10 * M, payment_priority=5)
    candidates = match_candidates_for(profile=investor.risk_profile, deal=deal)
    assert [(c.tranche.name, c.fit) for c in candidates] == [
        ("T1", Fit.SUITABLE), ("T2", Fit.ABOVE_LEVEL), ("T3", Fit.NEAR_MISS), ("T4", Fit.OUTSIDE),
    ]  # fmt: skip
    assert [r.rule for r in candidates[2].failed] == ["min_coupon"]
    assert [r.rule for r in candidates[3].failed] == ["risk_level", "min_coupon"]
    assert not any(c.stored for c in candidates)


def test_the_market_candidates_are_the_stored_pairs_then_the_near_misses_computed_now(investor):
    first = _deal()
    _rematch()
    second = _deal()  # published after the run: its near miss shows at once, its suitable class at the next run
    candidates = match_candidates_for(profile=investor.risk_profile)
    assert [(c.deal.pk, c.tranche.name, c.fit, c.stored) for c in candidates] == [
        (first.pk, "T1", Fit.SUITABLE, True),
        (first.pk, "T2", Fit.ABOVE_LEVEL, True),
        (first.pk, "T3", Fit.NEAR_MISS, False),
        (second.pk, "T3", Fit.NEAR_MISS, False),
    ]
    # By hand: yield (2.10 % - 1.80 %) / 1 % x 25 = 7.5; AAA two notches over AA, 2/3 x 20; tenor 36/60 x 10 = 6;
    # stability 85 % of 20 = 17; data 0.9 x (1 - 0.1) x 15 = 12.15; size 90/500 x 10 = 1.8.
    assert candidates[0].score == pytest.approx(7.5 + 40 / 3 + 6 + 17 + 12.15 + 1.8, abs=1e-3)
    assert sum(points for _label, points in candidates[0].components) == pytest.approx(candidates[0].score, abs=0.5)


def test_a_class_without_its_coupon_yet_shows_the_suggested_one(client, investor):
    deal = DealFactory(status="published", target_size=1000 * M, tenor_months=72)  # over its 60 months: a near miss
    tranche = _tranche(deal, 1, coupon="0.0235")
    Tranche.objects.filter(pk=tranche.pk).update(coupon=None)
    client.force_login(investor_user(investor))
    html = client.get(reverse("product_list")).content.decode()
    assert "2.35 %" in html


def test_a_held_deal_off_the_market_shows_its_classes_without_the_warning_or_the_way_to_order(investor):
    deal = _deal()
    deal.status = "issued"
    deal.save()
    page = product_page_for(profile=investor.risk_profile, deal=deal)
    assert not page.on_market
    assert [t.tranche.name for t in page.tranches] == ["T1", "T2", "T3"]
    assert all(t.candidate is None and t.facts is not None for t in page.tranches)
    assert page.tranches[0].facts["stability_score"] == 85.0
    assert not any(t.asks_for_warning or t.may_register_interest for t in page.tranches)
