"""Who sees what, through the selectors: by role and by organisation, lists and single gets alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import translation

from deals import selectors as deal_selectors
from deals import workflow
from deals.audit import audit_append
from deals.choices import DealStatus, PoolAssetKind
from deals.models import Deal, PoolAsset
from deals.services import pledge_create
from investors import selectors as investor_selectors
from origination import selectors as origination_selectors
from origination.models import DataAsset, User
from tests.factories import (
    DataAssetFactory,
    DataRightFactory,
    DealFactory,
    InvestorFactory,
    RiskProfileFactory,
    add_monthly_revenue,
    investor_user,
    submittable_deal,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; another test may leave a different language active."""
    with translation.override("en"):
        yield


# Written out from docs/roles.md, not taken from deals.choices.
INVESTOR_VISIBLE = {DealStatus.PUBLISHED, DealStatus.BOOK_BUILDING, DealStatus.ISSUED}
COMPLIANCE_HIDDEN = {DealStatus.DRAFT}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def deal_backed_by(owner: User, status: str, name: str) -> tuple[Deal, DataAsset]:
    """A deal of `owner`'s company in `status`, whose pool holds one data asset with rights and revenue."""
    deal = DealFactory(originator=owner.originator, created_by=owner, status=status, name=name)
    # A plausible history: every state but draft was reached through a submission.
    history = [("create", "", status)]
    if status != DealStatus.DRAFT:
        history = [("create", "", "draft"), ("submit", "draft", "submitted"), ("move", "submitted", status)]
    for action, source, target in history:
        audit_append(
            deal=deal, actor=owner, actor_label="x", action=action, from_status=source, to_status=target, reason=""
        )
    asset = DataAssetFactory(originator=owner.originator, name=f"Asset of {name}")
    DataRightFactory(data_asset=asset)
    add_monthly_revenue(asset, 3)
    pool_asset = PoolAsset.objects.create(
        deal=deal,
        obligor="Obligor",
        kind=PoolAssetKind.LICENCE_REVENUE,
        principal=Decimal("1000000"),
        maturity_date=dt.date(2029, 1, 1),
    )
    pool_asset.data_assets.add(asset)
    return deal, asset


@pytest.fixture
def world(user_a, user_b):
    """Company A and company B each have a deal in every state, and a data asset that backs no deal."""
    deals: dict[tuple[str, str], Deal] = {}
    assets: dict[tuple[str, str], DataAsset] = {}
    for company, owner in (("A", user_a), ("B", user_b)):
        for status in DealStatus:
            deals[company, status], assets[company, status] = deal_backed_by(owner, status, f"{company}-{status}")
        loose = DataAssetFactory(originator=owner.originator, name=f"{company} unpledged asset")
        DataRightFactory(data_asset=loose)
        add_monthly_revenue(loose, 2)
        assets[company, "none"] = loose
    return {"deals": deals, "assets": assets}


def names(qs) -> set[str]:
    return {obj.name for obj in qs}


# --- originators --------------------------------------------------------------------------------------


def test_originator_sees_only_its_own_companys_deals(world, user_a):
    assert names(deal_selectors.deal_list_for(user_a)) == {f"A-{s}" for s in DealStatus}


def test_originator_gets_another_companys_deal_as_not_found(world, user_a):
    for status in DealStatus:
        with pytest.raises(Deal.DoesNotExist):
            deal_selectors.deal_get_for(user_a, world["deals"]["B", status].pk)
        with pytest.raises(Http404):  # pages and the API: a 404, never a 403
            deal_selectors.deal_or_404(user_a, world["deals"]["B", status].pk)
    assert deal_selectors.deal_get_for(user_a, world["deals"]["A", "draft"].pk).name == "A-draft"


def test_originator_sees_only_its_own_companys_data_assets(world, user_a, originator_a):
    visible = origination_selectors.data_asset_list_for(user_a)
    assert {a.originator_id for a in visible} == {originator_a.pk}
    assert visible.count() == len(DealStatus) + 1
    for status in [*DealStatus, "none"]:
        with pytest.raises(DataAsset.DoesNotExist):
            origination_selectors.data_asset_get_for(user_a, world["assets"]["B", status].pk)


def test_originator_sees_only_its_own_companys_rights_and_revenue(world, user_a, originator_a):
    rights = origination_selectors.data_right_list_for(user_a)
    revenue = origination_selectors.revenue_list_for(user_a)
    assert rights.count() == len(DealStatus) + 1
    assert {r.data_asset.originator_id for r in rights} == {originator_a.pk}
    assert revenue.count() == 3 * len(DealStatus) + 2
    assert set(revenue.values_list("data_asset__originator_id", flat=True)) == {originator_a.pk}
    b_asset = world["assets"]["B", "published"]
    assert not rights.filter(data_asset=b_asset).exists()
    assert not revenue.filter(data_asset=b_asset).exists()


def test_originator_sees_no_part_of_another_companys_deal(world, user_a, user_b):
    b_deal = world["deals"]["B", "draft"]
    pledge_create(actor=user_b, deal=b_deal, data_asset=DataAssetFactory(originator=user_b.originator))
    for selector in ("pool_asset_list_for", "tranche_list_for", "credit_enhancement_list_for", "pledge_list_for"):
        assert not getattr(deal_selectors, selector)(user_a).filter(deal=b_deal).exists(), selector
    assert not deal_selectors.audit_events_for(user_a, b_deal).exists()
    assert deal_selectors.audit_events_for(user_b, b_deal).count() == 2  # created, and the pledge recorded


def test_originator_sees_only_its_own_company(world, user_a, originator_a):
    assert list(origination_selectors.originator_list_for(user_a)) == [originator_a]


def test_originator_status_counts_cover_only_its_own_deals(world, user_a):
    counts = deal_selectors.deal_status_counts_for(user_a)
    assert counts == {str(s): 1 for s in DealStatus}


# --- compliance ----------------------------------------------------------------------------------------


def test_compliance_sees_submitted_and_later_deals_of_every_company_but_no_drafts(world, compliance_user):
    expected = {f"{c}-{s}" for c in "AB" for s in DealStatus if s not in COMPLIANCE_HIDDEN}
    assert names(deal_selectors.deal_list_for(compliance_user)) == expected
    for company in "AB":
        with pytest.raises(Deal.DoesNotExist):
            deal_selectors.deal_get_for(compliance_user, world["deals"][company, "draft"].pk)


def test_compliance_sees_the_assets_of_reviewable_deals_only(world, compliance_user):
    visible = origination_selectors.data_asset_list_for(compliance_user)
    assert world["assets"]["A", "in_review"] in visible
    assert world["assets"]["B", "submitted"] in visible
    for company in "AB":
        assert world["assets"][company, "draft"] not in visible
        assert world["assets"][company, "none"] not in visible
        with pytest.raises(DataAsset.DoesNotExist):
            origination_selectors.data_asset_get_for(compliance_user, world["assets"][company, "draft"].pk)


def test_compliance_never_sees_a_draft_that_was_withdrawn_without_being_submitted(user_a, compliance_user):
    never_submitted = submittable_deal(user_a)
    workflow.deal_withdraw(deal=never_submitted, actor=user_a, reason="Changed our minds.")
    was_submitted = submittable_deal(user_a)
    workflow.deal_submit(deal=was_submitted, actor=user_a)
    workflow.deal_withdraw(deal=was_submitted, actor=user_a, reason="Market conditions.")

    visible = deal_selectors.deal_list_for(compliance_user)
    assert list(visible) == [was_submitted]
    with pytest.raises(Deal.DoesNotExist):
        deal_selectors.deal_get_for(compliance_user, never_submitted.pk)
    hidden_assets = never_submitted.pool_assets.get().data_assets.all()
    shown_assets = was_submitted.pool_assets.get().data_assets.all()
    assets = origination_selectors.data_asset_list_for(compliance_user)
    assert not assets.filter(pk__in=hidden_assets).exists()
    assert assets.filter(pk__in=shown_assets).count() == 1


def test_compliance_sees_deals_on_the_market_but_not_their_book(world, compliance_user, user_a, investor_staff):
    published = world["deals"]["A", DealStatus.PUBLISHED]
    assert deal_selectors.deal_or_404(compliance_user, published.pk, parts=False) == published
    with pytest.raises(Http404):
        deal_selectors.deal_or_404(
            compliance_user, published.pk, parts=False, among=investor_selectors.book_deal_list_for
        )
    assert not investor_selectors.book_deal_list_for(compliance_user).exists()
    for reader in (user_a, investor_staff):  # the deal's originator and an investor open its book
        assert investor_selectors.book_deal_list_for(reader).filter(pk=published.pk).exists()


def test_compliance_sees_no_investor(world, compliance_user, investor):
    assert not investor_selectors.investor_list_for(compliance_user).exists()
    assert not investor_selectors.risk_profile_list_for(compliance_user).exists()


# --- investors -----------------------------------------------------------------------------------------


def test_investor_sees_only_published_book_building_and_issued_deals(world, investor_staff):
    expected = {f"{c}-{s}" for c in "AB" for s in INVESTOR_VISIBLE}
    assert names(deal_selectors.deal_list_for(investor_staff)) == expected


@pytest.mark.parametrize("status", sorted(set(DealStatus) - INVESTOR_VISIBLE))
def test_investor_gets_a_deal_not_on_the_market_as_not_found(world, investor_staff, status):
    with pytest.raises(Deal.DoesNotExist):
        deal_selectors.deal_get_for(investor_staff, world["deals"]["A", status].pk)


def test_investor_sees_the_assets_behind_public_deals_only_and_no_revenue_row(world, investor_staff):
    assets = origination_selectors.data_asset_list_for(investor_staff)
    expected = {world["assets"][c, s] for c in "AB" for s in INVESTOR_VISIBLE}
    assert set(assets) == expected
    # Revenue rows name the licensees and contracts: investors read each asset's aggregates instead.
    assert not origination_selectors.revenue_list_for(investor_staff).exists()
    rights = origination_selectors.data_right_list_for(investor_staff)
    assert {r.data_asset_id for r in rights} == {a.pk for a in expected}


@pytest.mark.parametrize("status", [DealStatus.DRAFT, DealStatus.COMPLIANCE_APPROVED, DealStatus.VALUED])
def test_investor_never_sees_the_asset_of_a_deal_not_yet_published(world, investor_staff, status):
    asset = world["assets"]["A", status]
    with pytest.raises(DataAsset.DoesNotExist):
        origination_selectors.data_asset_get_for(investor_staff, asset.pk)
    assert not origination_selectors.revenue_list_for(investor_staff).filter(data_asset=asset).exists()


def test_an_asset_becomes_visible_to_investors_when_its_deal_is_published(user_a, arranger_user, investor_staff):
    deal, asset = deal_backed_by(user_a, DealStatus.VALUED, "Going public")
    assert not origination_selectors.data_asset_list_for(investor_staff).filter(pk=asset.pk).exists()
    workflow.deal_publish(deal=deal, actor=arranger_user)
    assert origination_selectors.data_asset_get_for(investor_staff, asset.pk) == asset


def test_investor_sees_only_the_originators_of_public_deals(world, investor_staff, originator_a, originator_b):
    DealFactory(name="Private draft", status=DealStatus.DRAFT)
    assert set(origination_selectors.originator_list_for(investor_staff)) == {originator_a, originator_b}


def test_investor_sees_only_its_own_institution_and_profile(investor_staff, investor):
    other = InvestorFactory(name="Aggressive Private Fund")
    RiskProfileFactory(investor=other, risk_tolerance="C5")
    investor_user(other)
    assert list(investor_selectors.investor_list_for(investor_staff)) == [investor]
    assert [p.investor for p in investor_selectors.risk_profile_list_for(investor_staff)] == [investor]


def test_originator_sees_no_investor(user_a, investor):
    assert not investor_selectors.investor_list_for(user_a).exists()


# --- arranger and anonymous ----------------------------------------------------------------------------


def test_arranger_sees_everything(world, arranger_user, investor):
    InvestorFactory(name="Second investor")
    assert deal_selectors.deal_list_for(arranger_user).count() == 2 * len(DealStatus)
    assert origination_selectors.data_asset_list_for(arranger_user).count() == 2 * (len(DealStatus) + 1)
    assert origination_selectors.data_right_list_for(arranger_user).count() == 2 * (len(DealStatus) + 1)
    assert origination_selectors.revenue_list_for(arranger_user).count() == 2 * (3 * len(DealStatus) + 2)
    assert origination_selectors.originator_list_for(arranger_user).count() == 2
    assert investor_selectors.investor_list_for(arranger_user).count() == 2
    draft_b = world["deals"]["B", "draft"]
    assert deal_selectors.deal_get_for(arranger_user, draft_b.pk) == draft_b
    assert deal_selectors.audit_events_for(arranger_user, draft_b).count() == 1


def test_anonymous_user_sees_nothing(world):
    anonymous = AnonymousUser()
    assert not deal_selectors.deal_list_for(anonymous).exists()
    assert not origination_selectors.data_asset_list_for(anonymous).exists()
    assert not origination_selectors.revenue_list_for(anonymous).exists()
    assert not origination_selectors.originator_list_for(anonymous).exists()
    assert not investor_selectors.investor_list_for(anonymous).exists()
