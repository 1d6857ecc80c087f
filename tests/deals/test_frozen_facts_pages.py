"""Facts under review do not change silently, through the pages and the admin (issue 9, point 3)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from deals.choices import DealStatus, DealType
from deals.compliance.models import FactChange
from deals.models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche
from origination.choices import Role
from origination.forms import DataAssetForm
from origination.models import DataAsset, DataRight
from tests.factories import InvestorFactory, RiskProfileFactory, UserFactory, investor_user

from .frozen_helpers import asset_of, deal_in_state, right_of

pytestmark = pytest.mark.django_db
S = DealStatus


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def walk(user_a, compliance_user, arranger_user, investor_staff):
    def _walk(status: str, **kwargs) -> Deal:
        return deal_in_state(
            status, originator=user_a, officer=compliance_user, arranger=arranger_user, investor=investor_staff,
            **kwargs,
        )  # fmt: skip

    return _walk


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _as(client, user):
    client.force_login(user)
    return client


def _asset_form_data(asset: DataAsset, **changes) -> dict[str, str]:
    """The edit form as the page fills it for the asset, with `changes` typed in (a box ticked is "on")."""
    form = DataAssetForm(instance=asset)
    data = {}
    for name in form.fields:
        value = changes.get(name, form.initial.get(name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    return data


def test_flipping_personal_info_on_the_page_after_approval_reopens_the_review_and_the_officer_sees_why(
    client, walk, user_a, compliance_user
):
    deal = walk(S.COMPLIANCE_APPROVED)
    asset = asset_of(deal)
    edit = reverse("data_asset_edit", args=[asset.pk])
    page = _text(_as(client, user_a).get(edit))
    assert "Deals submitted for review or issued rely on this data asset." in page
    assert deal.name in page

    response = client.post(edit, _asset_form_data(asset, has_personal_info=True), follow=True)
    assert response.redirect_chain[-1][0] == reverse("data_asset_detail", args=[asset.pk])
    assert f"Data asset saved. The review of “{deal.name}” is reopened" in _text(response)
    deal.refresh_from_db()
    assert deal.status == S.SUBMITTED

    officer = _as(client, compliance_user)
    queue = _text(officer.get(reverse("compliance_queue")))
    assert "1 fact changed" in queue
    review = _text(officer.get(reverse("compliance_review", args=[deal.pk])))
    assert "Facts as reviewed and now" in review
    assert "<td>Holds personal information</td><td>no</td><td><strong>yes</strong></td>" in review
    deal_page = _text(officer.get(reverse("deal_detail", args=[deal.pk])))
    assert "A fact the review relied on changed, so the deal is back in the review queue" in deal_page
    assert "Holds personal information from no to yes" in deal_page


def test_flipping_a_fact_on_the_page_after_issue_raises_a_finding_and_notifies_the_holders(
    client, walk, user_a, compliance_user, investor_staff
):
    deal = walk(S.ISSUED)
    asset = asset_of(deal)
    response = _as(client, user_a).post(
        reverse("data_asset_edit", args=[asset.pk]), _asset_form_data(asset, cross_border_flow=True), follow=True
    )
    assert f"A compliance finding is raised on the issued “{deal.name}”" in _text(response)
    deal.refresh_from_db()
    assert deal.status == S.ISSUED

    officer = _as(client, compliance_user)
    home = _text(officer.get(reverse("home")))
    assert "Facts changed after issue" in home
    assert "Cross-border flow from no to yes" in home

    holder = _as(client, investor_staff)
    for url in (reverse("product_detail", args=[deal.pk]), reverse("deal_book", args=[deal.pk])):
        notice = _text(holder.get(url))
        assert "Facts behind this deal changed after it came to market" in notice, url
        assert "Cross-border flow from no to yes" in notice, url
        assert "the compliance officer has a finding to assess" in notice, url
    stranger = investor_user(InvestorFactory())
    RiskProfileFactory(investor=stranger.investor)
    assert _as(client, stranger).get(reverse("product_detail", args=[deal.pk])).status_code == 404
    assert "Facts behind this deal changed" not in _text(client.get(reverse("deal_book", args=[deal.pk])))

    change = FactChange.objects.get(deal=deal)
    closed = _as(client, compliance_user).post(
        reverse("compliance_fact_change_resolve", args=[deal.pk, change.pk]),
        {"resolution": "Standard contract filed."},
        follow=True,
    )
    assert "Finding closed." in _text(closed)
    assert "Facts changed after issue" not in _text(client.get(reverse("home")))
    assert "Assessed by compliance on" in _text(_as(client, investor_staff).get(reverse("deal_book", args=[deal.pk])))


def test_deleting_a_right_on_the_page_is_refused_with_what_and_why(client, walk, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    right = right_of(deal)
    response = _as(client, user_a).post(reverse("data_right_remove", args=[asset_of(deal).pk, right.pk]), follow=True)
    page = _text(response)
    assert f"certificate {right.certificate_no}" in page
    assert f"backs “{deal.name}” (Compliance approved)" in page
    assert "Revoke it instead" in page
    assert DataRight.objects.filter(pk=right.pk).exists()


def test_revoking_a_right_on_the_page_reopens_the_review_and_keeps_the_right_on_record(client, walk, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    asset, right = asset_of(deal), right_of(deal)
    client = _as(client, user_a)
    refused = client.post(reverse("data_right_revoke", args=[asset.pk, right.pk]), {"reason": ""}, follow=True)
    assert "Say why the registration is revoked." in _text(refused)
    response = client.post(
        reverse("data_right_revoke", args=[asset.pk, right.pk]), {"reason": "Cancelled by the exchange."}, follow=True
    )
    page = _text(response)
    assert f"Data right revoked; it stays on record. The review of “{deal.name}” is reopened" in page
    assert "Revoked on 2026-11-20" in page
    assert "Cancelled by the exchange." in page
    deal.refresh_from_db()
    assert deal.status == S.SUBMITTED


def test_only_the_assets_company_edits_it_or_its_rights(client, walk, user_b, compliance_user, investor_staff):
    deal = walk(S.ISSUED)
    asset, right = asset_of(deal), right_of(deal)
    for user in (user_b, compliance_user, investor_staff):
        client = _as(client, user)
        assert client.get(reverse("data_asset_edit", args=[asset.pk])).status_code == 404
        assert client.post(reverse("data_right_revoke", args=[asset.pk, right.pk]), {"reason": "x"}).status_code == 404
        assert client.post(reverse("data_right_remove", args=[asset.pk, right.pk])).status_code == 404
    right.refresh_from_db()
    assert not right.is_revoked


# --- every page route of a submitted deal's application -------------------------------------------------------


def _page_routes(deal: Deal) -> dict[str, tuple[str, dict]]:
    pool = deal.pool_assets.get()
    tranche = deal.tranches.get(payment_priority=1)
    enhancement = deal.credit_enhancements.first()
    pledge = deal.pledges.get()
    k = deal.pk
    return {
        "deal terms": (reverse("deal_edit", args=[k]), {"name": "Changed", "manager": "CICC"}),
        "add pool asset": (reverse("deal_pool_asset_add", args=[k]), {"pool-obligor": "X", "pool-principal": "1"}),
        "change pool asset": (reverse("deal_pool_asset_edit", args=[k, pool.pk]), {"principal": "1"}),
        "remove pool asset": (reverse("deal_pool_asset_remove", args=[k, pool.pk]), {}),
        "add tranche": (reverse("deal_tranche_add", args=[k]), {"tranche-name": "M", "tranche-size": "1"}),
        "change tranche": (reverse("deal_tranche_edit", args=[k, tranche.pk]), {"size": "1"}),
        "remove tranche": (reverse("deal_tranche_remove", args=[k, tranche.pk]), {}),
        "add enhancement": (reverse("deal_enhancement_add", args=[k]), {"ce-kind": "reserve_account"}),
        "change enhancement": (reverse("deal_enhancement_edit", args=[k, enhancement.pk]), {"amount": "1"}),
        "remove enhancement": (reverse("deal_enhancement_remove", args=[k, enhancement.pk]), {}),
        "add pledge": (reverse("deal_pledge_add", args=[k]), {"pledge-data_asset": asset_of(deal).pk}),
        "change pledge filing": (reverse("deal_pledge_edit", args=[k, pledge.pk]), {"registry_filing_no": "X"}),
        "release pledge": (reverse("deal_pledge_release", args=[k, pledge.pk]), {}),
    }


def application(deal: Deal) -> tuple:
    deal = Deal.objects.get(pk=deal.pk)
    return (
        deal.status, deal.name, deal.manager,
        sorted(PoolAsset.objects.filter(deal=deal).values_list("pk", "principal")),
        sorted(Tranche.objects.filter(deal=deal).values_list("pk", "size")),
        sorted(CreditEnhancement.objects.filter(deal=deal).values_list("pk", "amount")),
        sorted(Pledge.objects.filter(deal=deal).values_list("pk", "status", "registry_filing_no")),
        deal.audit_events.count(),
    )  # fmt: skip


@pytest.mark.parametrize("status", [S.SUBMITTED, S.COMPLIANCE_APPROVED, S.ISSUED])
def test_every_application_page_refuses_a_submitted_deal_with_a_message(client, walk, user_a, status):
    deal = walk(status, deal_type=DealType.DATA_PLEDGE)
    client = _as(client, user_a)
    before = application(deal)
    page = _text(client.get(reverse("deal_detail", args=[deal.pk])))
    for name, (url, data) in _page_routes(deal).items():
        assert url not in page, name  # no button or link offers it
        response = client.post(url, data, follow=True)
        assert response.redirect_chain[-1][0] == reverse("deal_detail", args=[deal.pk]), name
        text = _text(response)
        assert "can no longer be changed" in text, name
        assert application(deal) == before, name


# --- the admin ------------------------------------------------------------------------------------------------


@pytest.fixture
def operator(db):
    return UserFactory(role=Role.ARRANGER, username="root", is_staff=True, is_superuser=True)


def test_the_admin_shows_a_submitted_deal_read_only_and_refuses_changes(client, walk, operator):
    deal = walk(S.COMPLIANCE_APPROVED)
    before = application(deal)
    client = _as(client, operator)
    url = reverse("admin:deals_deal_change", args=[deal.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url, {"name": "Changed", "manager": "CICC", "target_size": "1"}).status_code == 403
    assert client.post(reverse("admin:deals_deal_delete", args=[deal.pk]), {"post": "yes"}).status_code == 403
    assert application(deal) == before


def test_the_admin_still_edits_a_draft_deal(client, walk, operator):
    deal = walk(S.DRAFT)
    page = _as(client, operator).get(reverse("admin:deals_deal_change", args=[deal.pk]))
    assert 'name="_save"' in page.content.decode()


def test_the_admin_refuses_to_change_or_delete_an_asset_or_right_a_submitted_deal_relies_on(client, walk, operator):
    deal = walk(S.ISSUED)
    asset = asset_of(deal)
    client = _as(client, operator)
    url = reverse("admin:origination_dataasset_change", args=[asset.pk])
    assert 'name="_save"' not in client.get(url).content.decode()
    assert client.post(url, {"name": "x", "has_personal_info": "on"}).status_code == 403
    assert (
        client.post(reverse("admin:origination_dataasset_delete", args=[asset.pk]), {"post": "yes"}).status_code == 403
    )
    bulk = client.post(
        reverse("admin:origination_dataasset_changelist"),
        {"action": "delete_selected", "_selected_action": [asset.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    asset.refresh_from_db()
    assert asset.has_personal_info is False
    assert DataRight.objects.filter(data_asset=asset).count() == 3
    assert FactChange.objects.filter(deal=deal).count() == 0
    # Its versions are there to read.
    assert client.get(reverse("admin:origination_dataasset_history", args=[asset.pk])).status_code == 200
