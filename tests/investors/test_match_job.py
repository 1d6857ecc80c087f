"""The matching job end to end on the database: stored pairs, scope replacement, and the investor's pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import Tranche
from investors import match_jobs
from investors.matching_rules import RULE_BITS
from investors.models import Match, MatchRun
from origination.jobs import JobStatus
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


@pytest.fixture
def match_request(django_capture_on_commit_callbacks):
    """Queue a run and let its after-commit enqueue fire (jobs run in-process in tests)."""

    def _run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return match_jobs.match_request(**kwargs)

    return _run


def _published_deal(*, rating="AAA", risk="R2", stability=85.0, coupon="0.0210", tenor=36):
    deal = DealFactory(status="published", target_size=100 * M, tenor_months=tenor)
    tranche = Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=90 * M, coupon=Decimal(coupon), target_rating=rating,
        payment_priority=1, product_risk_level=risk,
        product_risk_factors={"inputs": {"rating": rating, "stability_score": stability, "data_share": 0.9,
                                         "guarantee_dependence": 0.1, "suggested_coupon": float(coupon)}},
    )  # fmt: skip
    return deal, tranche


def _investor(name, **limits):
    investor = InvestorFactory(name=name)
    defaults = {"risk_tolerance": "C3", "min_rating": "AA", "max_tenor_months": 60, "min_coupon": Decimal("0.018"),
                "ticket_min": M, "ticket_max": 500 * M, "max_guarantee_dependence": Decimal("0.5")}  # fmt: skip
    RiskProfileFactory(investor=investor, **{**defaults, **limits})
    return investor


def test_full_run_stores_eligible_pairs_warnings_and_near_misses(match_request):
    _deal, tranche = _published_deal()
    fits = _investor("Fits")
    cautious = _investor("Cautious", risk_tolerance="C1")  # R2 > C1: fails only on risk level
    strict = _investor("Strict", min_rating="AAA", max_tenor_months=24)  # tenor 36 > 24: one rule, a near miss
    far = _investor("Far", max_tenor_months=12, min_coupon=Decimal("0.05"))  # two rules: not stored
    run = match_request()
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, run.error
    assert run.result["pairs_scored"] == 4
    stored = {m.investor_id: m for m in Match.objects.filter(tranche=tranche)}
    assert set(stored) == {fits.pk, cautious.pk, strict.pk}
    assert far.pk not in stored
    assert stored[fits.pk].eligible
    assert stored[fits.pk].failed_rules == 0
    assert stored[cautious.pk].failed_rules == RULE_BITS["risk_level"]
    assert stored[strict.pk].failed_rules == RULE_BITS["max_tenor"]
    assert 0 < stored[fits.pk].score <= 100


def test_deal_scope_replaces_only_that_deals_matches(match_request):
    _deal_one, tranche_one = _published_deal()
    deal_two, tranche_two = _published_deal()
    investor = _investor("Fits")
    match_request()
    first_two = Match.objects.get(tranche=tranche_two)
    Tranche.objects.filter(pk=tranche_one.pk).update(coupon=Decimal("0.0100"))  # now below the 1.80 % minimum
    match_request(scope=MatchRun.Scope.DEAL, scope_id=tranche_one.deal_id)
    assert Match.objects.get(tranche=tranche_one, investor=investor).failed_rules == RULE_BITS["min_coupon"]
    assert Match.objects.get(tranche=tranche_two).pk == first_two.pk  # untouched


def test_unpublished_deals_are_never_matched(match_request):
    deal, tranche = _published_deal()
    deal.status = "valued"
    deal.save()
    _investor("Fits")
    match_request()
    assert not Match.objects.exists()


def test_investor_sees_reasons_and_the_change_that_would_make_a_near_miss_eligible(client, match_request):
    deal, _tranche = _published_deal()
    strict = _investor("Strict", max_tenor_months=24)
    match_request()
    client.force_login(investor_user(strict))
    page = client.get(reverse("product_list")).content.decode()
    assert deal.name in page
    assert "Near misses" in page
    assert "Eligible if your maximum tenor were 36 months." in page


def test_a_product_above_the_investors_level_shows_the_warning_until_confirmed(client, match_request):
    deal, tranche = _published_deal(risk="R3")
    user = investor_user(_investor("Cautious", risk_tolerance="C2"))
    match_request()
    client.force_login(user)
    page = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert "Special risk warning" in page
    assert "Register interest" not in page
    client.post(reverse("product_confirm_warning", args=[deal.pk, tranche.pk]), {"confirm": "yes"})
    page = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert "Special risk warning" not in page
    assert "Register interest" in page


def test_publishing_a_deal_and_changing_a_profile_trigger_matching(django_capture_on_commit_callbacks, arranger_user):
    from deals.workflow import deal_publish
    from investors.services import risk_profile_update_limits

    deal, tranche = _published_deal()
    deal.status = "valued"
    deal.save()
    investor = _investor("Fits")
    with django_capture_on_commit_callbacks(execute=True):
        deal_publish(deal=deal, actor=arranger_user)
    run = MatchRun.objects.get()
    assert (run.scope, run.scope_id, run.status) == ("deal", deal.pk, "succeeded")
    assert Match.objects.get(tranche=tranche, investor=investor).eligible

    with django_capture_on_commit_callbacks(execute=True):
        risk_profile_update_limits(
            actor=investor_user(investor), risk_profile=investor.risk_profile, max_tenor_months=24
        )
    run = MatchRun.objects.latest("pk")
    assert (run.scope, run.scope_id, run.status) == ("investor", investor.pk, "succeeded")
    assert Match.objects.get(tranche=tranche, investor=investor).failed_rules == RULE_BITS["max_tenor"]
