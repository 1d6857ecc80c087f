"""`manage.py seed_demo`: the demo reproduces the 2025 market, gives every role work, and is idempotent."""

from __future__ import annotations

import io
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from deals.audit import audit_verify
from deals.choices import DealStatus, DealType, TrancheClass
from deals.models import AuditEvent, Deal, Pledge
from deals.selectors import deal_list_for, market_summary
from deals.workflow import deal_submission_problems
from demo.seed import DEMO_PASSWORD
from investors.models import Investor, RiskProfile
from origination.models import DataAsset, DataRight, Originator, RevenueRecord, User
from origination.validators import validate_uscc

pytestmark = pytest.mark.django_db

# docs/market_data.md, "The 2025 market" (Securities Daily, 2025-11-20).
SIZES_M = [600, 450, 380, 320, 300, 250, 190]  # sum: 2,490 m
SENIOR_COUPONS_PCT = ["1.85", "1.95", "2.00", "2.05", "2.08", "2.07", "2.28"]  # 14.28 / 7 = 2.04
POOL_DEALS = [DealType.DATA_PLEDGE, DealType.EMPOWERMENT]


@pytest.fixture(scope="module", autouse=True)
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed once for the module, inside a transaction rolled back at the end so other modules see no trace.

    The fast hasher matches the one tests/conftest.py sets for each test, so the demo password checks out.
    The demo's evidence documents are stored in a temporary MEDIA_ROOT, not the project's var/media.
    """
    out = io.StringIO()
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"))
    with django_db_blocker.unblock(), fast_hashing, media, transaction.atomic():
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def test_market_summary_of_2025_reproduces_the_published_market_figures():
    summary = market_summary(year=2025)

    assert summary["products_issued"] == 7
    assert summary["total_issuance_cny"] == Decimal(sum(SIZES_M) * 1_000_000) == Decimal("2490000000.00")
    assert summary["total_issuance_bn_cny"] == Decimal("2.49")
    assert summary["data_asset_abs"] == 4
    assert summary["empowerment_abs"] == 3
    assert summary["soe_initiated"] == 5
    assert summary["soe_initiated_pct"] == Decimal("71.4")
    assert summary["average_senior_coupon_pct"] == Decimal("2.04")


def test_issued_deals_have_the_market_sizes_coupons_and_a_data_pledge_deal_among_them():
    issued = Deal.objects.filter(status=DealStatus.ISSUED)
    assert sorted(int(d.target_size) // 1_000_000 for d in issued) == sorted(SIZES_M)
    firsts = [d.tranches.filter(tranche_class=TrancheClass.SENIOR).order_by("payment_priority").first() for d in issued]
    assert sorted(f"{t.coupon * 100:.2f}" for t in firsts) == sorted(SENIOR_COUPONS_PCT)
    assert all(t.target_rating == "AAA" for t in firsts)
    assert all(d.issue_date.year == 2025 for d in issued)
    assert issued.filter(deal_type=DealType.DATA_PLEDGE).count() == 1


def test_the_data_pledge_deal_lends_to_nine_borrowers_in_seven_cities_each_pledge_filed():
    deal = Deal.objects.get(status=DealStatus.ISSUED, deal_type=DealType.DATA_PLEDGE)
    pool = list(deal.pool_assets.all())

    assert len(pool) == 9
    assert len({p.obligor_city for p in pool}) == 7
    pledges = list(Pledge.objects.filter(deal=deal))
    assert len(pledges) == 9
    assert all(p.registry_filing_no and p.filed_on and p.filed_on < deal.issue_date for p in pledges)
    assert {p.data_asset_id for p in pledges} == {a.pk for p in pool for a in p.data_assets.all()}


def test_running_the_seed_again_creates_and_changes_nothing():
    models = apps.get_models()
    counts = {m._meta.label: m.objects.count() for m in models}
    deals = set(Deal.objects.values_list("pk", "status", "updated_at"))
    assets = set(DataAsset.objects.values_list("pk", "updated_at"))
    users = set(User.objects.values_list("pk", "password", "role", "originator_id", "investor_id"))
    profiles = set(RiskProfile.objects.values_list("pk", "updated_at"))
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert {m._meta.label: m.objects.count() for m in models} == counts
    assert set(Deal.objects.values_list("pk", "status", "updated_at")) == deals
    assert set(DataAsset.objects.values_list("pk", "updated_at")) == assets
    assert set(User.objects.values_list("pk", "password", "role", "originator_id", "investor_id")) == users
    assert set(RiskProfile.objects.values_list("pk", "updated_at")) == profiles
    assert "nothing created" in out.getvalue()


def test_every_audit_chain_verifies_and_issued_deals_end_with_the_issue_move():
    result = audit_verify()
    assert result.ok, result.problems
    assert result.deals_checked == Deal.objects.count()
    for deal in Deal.objects.filter(status=DealStatus.ISSUED):
        events = list(AuditEvent.objects.filter(deal=deal).order_by("sequence"))
        assert events[0].action == "create"
        assert events[-1].action == "issue"
        assert events[-1].actor == _user("arthur")
        assert [e.action for e in events].count("complete_valuation") == 1
        assert next(e for e in events if e.action == "complete_valuation").actor is None


def test_every_role_has_work_waiting():
    carol, arthur = _user("carol"), _user("arthur")
    assert deal_list_for(carol).filter(status=DealStatus.SUBMITTED).exists()
    assert deal_list_for(arthur).filter(status=DealStatus.VALUED).exists()
    for username in ("alice", "bob"):
        assert deal_list_for(_user(username)).filter(status=DealStatus.DRAFT).exists()
    alice_states = set(deal_list_for(_user("alice")).values_list("status", flat=True))
    assert {"draft", "submitted", "in_review", "changes_requested"} <= alice_states
    bob_states = set(deal_list_for(_user("bob")).values_list("status", flat=True))
    assert {"draft", "submitted", "compliance_approved"} <= bob_states
    for username in ("ivy", "ian"):
        assert deal_list_for(_user(username)).filter(status=DealStatus.PUBLISHED).exists()
    assert Investor.objects.count() >= 30
    assert RiskProfile.objects.count() == Investor.objects.count()


def test_deals_past_draft_meet_the_submission_checks():
    past_draft = Deal.objects.exclude(status=DealStatus.DRAFT)
    assert past_draft.count() >= 14
    for deal in past_draft:
        assert deal_submission_problems(deal=deal) == {}, deal.name
        sizes = deal.tranches.values_list("size", flat=True)
        assert sum(sizes, Decimal(0)) == deal.target_size


def test_originator_sees_only_its_own_company_deals():
    alice, bob = _user("alice"), _user("bob")
    bob_draft = Deal.objects.get(originator=bob.originator, status=DealStatus.DRAFT)

    assert not deal_list_for(alice).filter(pk=bob_draft.pk).exists()
    assert deal_list_for(bob).filter(pk=bob_draft.pk).exists()
    assert not deal_list_for(_user("ivy")).filter(status=DealStatus.DRAFT).exists()


def test_demo_accounts_sign_in_with_the_demo_password_and_the_arranger_reaches_admin():
    arthur = _user("arthur")
    assert arthur.is_staff
    assert arthur.is_superuser
    assert arthur.check_password(DEMO_PASSWORD)
    assert _user("alice").check_password(DEMO_PASSWORD)
    roles = dict(User.objects.values_list("username", "role"))
    assert {roles[u] for u in ("alice", "bob", "carol", "ivy", "ian", "arthur")} == {
        "originator",
        "compliance",
        "investor",
        "arranger",
    }
    assert _user("alice").originator != _user("bob").originator


def test_command_prints_each_account_with_role_organisation_and_password(seeded):
    lines = seeded.splitlines()
    for username, organisation in [("alice", _user("alice").originator.name), ("ivy", _user("ivy").investor.name)]:
        row = next(line for line in lines if line.startswith(username + " "))
        assert organisation in row
        assert row.rstrip().endswith(DEMO_PASSWORD)


def test_the_demo_password_satisfies_the_password_rules_for_every_demo_account():
    """AUTH_PASSWORD_VALIDATORS hold for the published password, and README publishes the same one."""
    for user in User.objects.all():
        validate_password(DEMO_PASSWORD, user)
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert f"password `{DEMO_PASSWORD}`" in readme


def test_originators_carry_valid_credit_codes_and_chinese_names():
    originators = list(Originator.objects.all())
    assert len(originators) >= 7
    for originator in originators:
        validate_uscc(originator.uscc)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in originator.name), originator.name


def test_data_assets_have_three_rights_and_two_to_five_years_of_monthly_revenue():
    categories = set(DataAsset.objects.values_list("category", flat=True))
    assert {"transport", "energy", "healthcare", "finance", "agriculture", "government_open", "consumer"} <= categories
    assert DataAsset.objects.filter(has_personal_info=True).exists()
    assert DataAsset.objects.filter(has_personal_info=False).exists()
    for asset in DataAsset.objects.all():
        assert set(DataRight.objects.filter(data_asset=asset).values_list("right_type", flat=True)) == {
            "resource_holding",
            "processing_use",
            "product_operation",
        }
        months = RevenueRecord.objects.filter(data_asset=asset).values("period").distinct().count()
        assert 24 <= months <= 60, asset.name
        counterparties = RevenueRecord.objects.filter(data_asset=asset).values("counterparty").distinct().count()
        assert counterparties >= 2, asset.name


def test_conservative_investors_have_conservative_mandates():
    tolerances = set(RiskProfile.objects.values_list("risk_tolerance", flat=True))
    assert tolerances == {"C1", "C2", "C3", "C4", "C5"}
    types = set(Investor.objects.values_list("investor_type", flat=True))
    assert types == {"insurer", "bank_wm", "mutual_fund", "securities_firm", "pension", "trust", "private_fund"}
    for profile in RiskProfile.objects.filter(investor__investor_type__in=["insurer", "pension"]):
        assert profile.min_rating in {"AAA", "AA+"}
        assert profile.no_personal_info
        assert profile.risk_tolerance in {"C1", "C2", "C3"}
        assert DealType.DATA_PLEDGE not in profile.allowed_deal_types
    ivy_profile = _user("ivy").investor.risk_profile
    assert (ivy_profile.investor.investor_type, ivy_profile.risk_tolerance) == ("insurer", "C2")
    ian_profile = _user("ian").investor.risk_profile
    assert (ian_profile.investor.investor_type, ian_profile.risk_tolerance) == ("securities_firm", "C4")


def test_seed_refuses_a_demo_username_that_belongs_to_another_company():
    alice, bob = _user("alice"), _user("bob")
    User.objects.filter(pk=bob.pk).update(originator=alice.originator)

    with pytest.raises(CommandError, match="bob"):
        call_command("seed_demo", stdout=io.StringIO())


def test_loan_and_lease_pools_are_granular_with_sensible_credit_terms():
    deals = Deal.objects.filter(deal_type__in=POOL_DEALS)
    assert deals.count() >= 8
    for deal in deals:
        pool = list(deal.pool_assets.all())
        assert len({p.obligor for p in pool}) >= 8, deal.name
        assert all(Decimal("0.006") <= p.default_probability <= Decimal("0.015") for p in pool), deal.name
        assert all(Decimal("0.40") <= p.recovery_rate <= Decimal("0.60") for p in pool), deal.name
        juniors = sum(t.size for t in deal.tranches.exclude(tranche_class=TrancheClass.SENIOR))
        overcollateral = sum(p.principal for p in pool) - deal.target_size
        assert Decimal("0.15") <= (juniors + overcollateral) / deal.target_size <= Decimal("0.25"), deal.name


def test_empowerment_obligors_carry_their_pd_without_the_data_as_the_deal_states_it():
    deals = Deal.objects.filter(deal_type=DealType.EMPOWERMENT)
    assert deals.count() >= 5
    for deal in deals:
        pool = list(deal.pool_assets.prefetch_related("data_assets"))
        assert all(p.default_probability_without_data > p.default_probability for p in pool), deal.name
        # The data asset's description states the effect as principal-weighted averages: "PD 1.5 % -> 0.9 %".
        stated = re.search(r"PD (\d+\.\d) % -> (\d+\.\d) %", pool[0].data_assets.first().description)
        assert stated, deal.name
        principal = sum(p.principal for p in pool)
        without = sum(p.principal * p.default_probability_without_data for p in pool) / principal
        with_data = sum(p.principal * p.default_probability for p in pool) / principal
        assert (f"{without * 100:.1f}", f"{with_data * 100:.1f}") == stated.groups(), deal.name


def test_every_valued_senior_is_aaa_inside_the_2025_band_and_every_residual_class_is_not_rated():
    """The demo market re-valued (issue 8): the seniors AAA and their suggested coupons inside the 2025 band
    (1.85 %-2.58 %) for structural reasons, the subordinated classes NR and R5; stored on the tranches."""
    from deals.selectors import latest_result

    valued = Deal.objects.filter(status__in=["valued", "published", "book_building", "issued"])
    assert valued.count() == 9
    for deal in valued:
        result = latest_result(deal=deal).result
        assert result["engine_version"] == "dataabs-valuation/2"
        for t in result["tranches"]:
            if t["tranche_class"] == TrancheClass.SENIOR:
                assert t["implied_rating"] == "AAA", (deal.name, t["name"])
                assert t["rating"]["decided"], (deal.name, t["name"])
                coupon = t["suggested_coupon"]["coupon"]
                assert 0.0185 <= coupon <= 0.0258, (deal.name, t["name"], coupon)
                parts = sum(
                    t["suggested_coupon"][k]
                    for k in (
                        "benchmark",
                        "rating_spread",
                        "liquidity_premium",
                        "tenor_premium",
                        "support_premium",
                        "legal_premium",
                    )
                )
                assert coupon == pytest.approx(parts)  # built from its parts, never clamped into the band
        for tranche in deal.tranches.all():
            if tranche.tranche_class == TrancheClass.SUBORDINATED:
                assert (tranche.implied_rating, tranche.underlying_rating) == ("NR", "NR")
                assert tranche.product_risk_level == "R5"
            else:
                assert tranche.implied_rating
                assert tranche.underlying_rating
        # Priced on the market of its own date (the dated 2025 series), not on one curve for every deal.
        assert result["market_as_of"] <= result["pricing_date"]


def test_the_2025_deals_price_on_the_curve_of_their_own_dates():
    from deals.selectors import latest_result

    issued = Deal.objects.filter(status=DealStatus.ISSUED).order_by("issue_date")
    as_of = [latest_result(deal=d).result["market_as_of"] for d in issued]
    assert len(set(as_of)) >= 5  # seven deals over 2025 priced on at least five different market dates
    for deal, day in zip(issued, as_of, strict=True):
        assert day <= deal.issue_date.isoformat()


def test_deals_past_valuation_carry_a_real_10000_path_valuation_run():
    from deals.models import ValuationRun

    valued = Deal.objects.filter(status__in=["valued", "published", "book_building", "issued"])
    assert valued.count() == 9  # 7 issued, one published, one valued
    for deal in valued:
        run = ValuationRun.objects.get(deal=deal)
        assert run.status == "succeeded"
        assert run.n_paths == 10_000
        assert all(t.product_risk_level for t in deal.tranches.all())


def test_demo_investors_are_scored_by_the_questionnaire_and_matched_within_their_level():
    from investors.match_jobs import match_execute
    from investors.models import Match, MatchRun, RiskProfile

    for profile in RiskProfile.objects.all():
        assert profile.answers
        assert profile.tolerance_reasons
    run = MatchRun.objects.create(scope="all")
    match_execute(run_id=run.pk)
    eligible = Match.objects.filter(run=run, eligible=True).select_related("tranche", "investor__risk_profile")
    assert eligible.exists()
    for match in eligible:
        assert int(match.tranche.product_risk_level[1]) <= int(match.investor.risk_profile.risk_tolerance[1])


def test_valuation_report_shows_which_seniors_lean_on_a_guarantee_and_which_stand_on_data():
    """`manage.py valuation_report`: an analyst reads, per deal, the rating with and without support. The
    guarantee-backed empowerment seniors show a stand-alone rating below their enhanced AAA and name the
    guarantor; the licence deal's seniors stand alone at AAA on data cash only."""
    out = io.StringIO()
    call_command("valuation_report", stdout=out)
    blocks = {b.split("\n", 1)[0]: b for b in ("\n" + out.getvalue()).split("\n#") if b.strip()}
    assert len(blocks) == 9
    seen = {"guaranteed": 0, "licence": 0}
    for deal in Deal.objects.filter(status__in=["valued", "published", "book_building", "issued"]):
        block = next(b for head, b in blocks.items() if head.startswith(f"{deal.pk} "))
        enhanced, underlying = re.search(r"Senior A1?\s+enhanced (\S+)\s+underlying (\S+)", block).groups()
        guarantees = deal.credit_enhancements.filter(kind="external_guarantee")
        if deal.deal_type == DealType.EMPOWERMENT and guarantees.exists():
            seen["guaranteed"] += 1
            assert enhanced == "AAA", block
            assert underlying != "AAA", block
            assert guarantees.first().provider in block
        if deal.deal_type == DealType.LICENCE_REVENUE:
            seen["licence"] += 1
            assert (enhanced, underlying) == ("AAA", "AAA"), block
            assert "data cash share 100.0 %" in block
            assert "rely on nothing" in block
    assert seen["guaranteed"] >= 2
    assert seen["licence"] >= 1


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|hx-get)="(/[^"#?]*)', html)


def test_every_page_a_demo_user_reaches_carries_no_inline_script_or_style(client):
    """Crawl the demo as each headline account: the Content-Security-Policy forbids inline code on any page.

    Links are followed from the home page (two pages per URL pattern, so every template is seen, with data);
    downloads, the admin, the API and sign-out are left out.
    """
    from django.urls import resolve

    from demo.seed import HEADLINE_USERS
    from tests.inline_code import inline_code

    skip = ("/logout/", "/admin/", "/i18n/", "/static/", "/api/", "/media/")
    found: dict[str, list[str]] = {}
    visited = 0
    for username in HEADLINE_USERS:
        client.force_login(_user(username))
        queue, seen, per_route = ["/"], {"/"}, Counter()
        while queue:
            path = queue.pop(0)
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            visited += 1
            html = response.content.decode()
            problems = inline_code(html)
            if problems:
                found[f"{username} {path}"] = problems
            for link in _links(html):
                if link in seen or link.startswith(skip) or "download" in link or link.endswith((".csv", ".xlsx")):
                    continue
                seen.add(link)
                try:
                    route = resolve(link).route
                except Exception:  # noqa: BLE001, S112 - not one of ours
                    continue
                if per_route[route] < 2:
                    per_route[route] += 1
                    queue.append(link)
    assert visited > 60
    assert found == {}
