"""Facts under review do not change silently, through the API (issue 9, point 3; docs/frozen_facts.md)."""

from __future__ import annotations

import pytest
from django.utils import translation

from deals.choices import DealStatus, DealType
from deals.compliance.models import ComplianceReview
from deals.models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche
from origination.models import DataRight
from tests.deals.frozen_helpers import asset_of, deal_in_state, right_of

from .conftest import assert_error

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


def _review_id(deal: Deal) -> int:
    return ComplianceReview.objects.get(deal=deal).pk


def test_flipping_personal_info_after_approval_reopens_the_review_with_the_reason(
    walk, client_for, user_a, compliance_user
):
    deal = walk(S.COMPLIANCE_APPROVED)
    asset = asset_of(deal)
    response = client_for(user_a).patch(f"/api/data-assets/{asset.pk}/", {"has_personal_info": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["has_personal_info"] is True

    officer = client_for(compliance_user)
    assert officer.get(f"/api/deals/{deal.pk}/").json()["status"] == "submitted"
    audit = officer.get(f"/api/deals/{deal.pk}/audit/").json()
    change, reopen = audit[-2:]
    assert (change["action"], change["from"], change["to"]) == ("data_asset_changed", "compliance_approved",
                                                                 "compliance_approved")  # fmt: skip
    assert user_a.username in change["actor_label"]
    assert (reopen["action"], reopen["from"], reopen["to"]) == ("reopen_review", "compliance_approved", "submitted")
    assert reopen["actor_label"] == "system"
    assert f"data asset “{asset.name}”" in reopen["reason_text"]
    assert "Holds personal information from no to yes" in reopen["reason_text"]

    review = officer.get(f"/api/compliance-reviews/{_review_id(deal)}/").json()
    assert review["deal_status"] == "submitted"
    assert review["facts_changed"] == [
        {
            "subject": f"data asset “{asset.name}” (#{asset.pk})",
            "field": "Holds personal information",
            "as_reviewed": "no",
            "now": "yes",
        }
    ]
    [fact_change] = review["fact_changes"]
    assert (fact_change["outcome"], fact_change["is_open"], fact_change["actor"]) == (
        "review_reopened",
        True,
        user_a.username,
    )
    assert fact_change["params"]["changes"] == {"has_personal_info": [False, True]}


def test_flipping_cross_border_flow_after_issue_raises_a_finding_the_officer_closes(
    walk, client_for, user_a, compliance_user
):
    deal = walk(S.ISSUED)
    asset = asset_of(deal)
    assert client_for(user_a).patch(f"/api/data-assets/{asset.pk}/", {"cross_border_flow": True}).status_code == 200
    officer = client_for(compliance_user)
    assert officer.get(f"/api/deals/{deal.pk}/").json()["status"] == "issued"
    review_id = _review_id(deal)
    [fact_change] = officer.get(f"/api/compliance-reviews/{review_id}/").json()["fact_changes"]
    assert fact_change["outcome"] == "finding_raised"
    assert "Cross-border flow from no to yes" in fact_change["text"]
    legal_risk = officer.get(f"/api/compliance-reviews/{review_id}/legal-risk/").json()
    assert legal_risk["open_findings"]["high"] == 1

    url = f"/api/compliance-reviews/{review_id}/fact-changes/{fact_change['id']}/resolve/"
    assert_error(client_for(user_a).post(url, {"resolution": "Mine."}), 403, "forbidden")
    assert_error(officer.post(url, {}), 400, "invalid")
    closed = officer.post(url, {"resolution": "Standard contract filed with the CAC."})
    assert closed.status_code == 200, closed.content
    assert (closed.json()["is_open"], closed.json()["resolved_by"]) == (False, compliance_user.username)
    assert_error(officer.post(url, {"resolution": "Again."}), 409, "finding_not_open")
    assert officer.get(f"/api/compliance-reviews/{review_id}/legal-risk/").json()["open_findings"]["high"] == 0


@pytest.mark.parametrize("status", [S.SUBMITTED, S.COMPLIANCE_APPROVED, S.ISSUED])
def test_deleting_a_right_a_submitted_deal_relies_on_is_a_409_naming_the_deal(walk, client_for, user_a, status):
    deal = walk(status)
    right = right_of(deal)
    body = assert_error(client_for(user_a).delete(f"/api/data-rights/{right.pk}/"), 409, "right_backs_submitted_deal")
    assert right.certificate_no in body["detail"]
    assert deal.name in body["detail"]
    assert deal.name in body["fields"]["deals"]
    assert DataRight.objects.filter(pk=right.pk).exists()


def test_a_right_of_a_draft_deal_is_deleted(walk, client_for, user_a):
    right = right_of(walk(S.DRAFT))
    assert client_for(user_a).delete(f"/api/data-rights/{right.pk}/").status_code == 204
    assert not DataRight.objects.filter(pk=right.pk).exists()


def test_revoking_a_right_after_approval_reopens_the_review(walk, client_for, user_a, user_b):
    deal = walk(S.COMPLIANCE_APPROVED)
    right = right_of(deal)
    url = f"/api/data-rights/{right.pk}/revoke/"
    assert client_for(user_b).post(url, {"reason": "Not mine."}).status_code == 404
    assert_error(client_for(user_a).post(url, {}), 400, "invalid")
    response = client_for(user_a).post(url, {"reason": "Cancelled by the exchange."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["revoked_at"] is not None
    assert body["revocation_reason"] == "Cancelled by the exchange."
    deal.refresh_from_db()
    assert deal.status == S.SUBMITTED
    assert_error(client_for(user_a).post(url, {"reason": "Twice."}), 409, "right_revoked")


def test_revocation_cannot_be_set_when_a_right_is_recorded(client_for, user_a):
    from tests.factories import DataAssetFactory

    asset = DataAssetFactory(originator=user_a.originator)
    response = client_for(user_a).post(
        "/api/data-rights/",
        {"data_asset": asset.pk, "right_type": "resource_holding", "holder": "A", "certificate_no": "X-9",
         "registry": "R", "registry_type": "data_exchange", "issued_on": "2026-01-01", "expires_on": "2030-01-01",
         "revoked_at": "2026-02-01T00:00:00Z", "revocation_reason": "sneaky"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    right = DataRight.objects.get(certificate_no="X-9")
    assert (right.revoked_at, right.revocation_reason) == (None, "")


def test_no_user_reopens_a_review_through_the_transition_endpoint(walk, client_for, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    response = client_for(user_a).post(f"/api/deals/{deal.pk}/transition/", {"action": "reopen_review", "reason": "x"})
    assert_error(response, 403, "forbidden")
    deal.refresh_from_db()
    assert deal.status == S.COMPLIANCE_APPROVED


# --- every write route of a submitted deal's application ------------------------------------------------------


def _routes(deal: Deal) -> dict[str, tuple[str, str, dict]]:
    pool = deal.pool_assets.get()
    tranche = deal.tranches.get(payment_priority=1)
    enhancement = deal.credit_enhancements.first()
    pledge = deal.pledges.first()
    asset = asset_of(deal)
    base = f"/api/deals/{deal.pk}"
    routes = {
        "deal terms": ("patch", f"{base}/", {"manager": "CICC", "tenor_months": 48}),
        "deal structure": ("patch", f"{base}/", {"paydown_mode": "pro_rata", "structuring_ratio": "1.500"}),
        "add pool asset": ("post", f"{base}/pool-assets/", {"obligor": "X", "kind": "licence_revenue",
                                                            "principal": "1", "maturity_date": "2029-12-31"}),
        "change pool asset": ("patch", f"{base}/pool-assets/{pool.pk}/", {"principal": "1"}),
        "remove pool asset": ("delete", f"{base}/pool-assets/{pool.pk}/", {}),
        "add tranche": ("post", f"{base}/tranches/", {"name": "M", "tranche_class": "mezzanine", "size": "1",
                                                      "payment_priority": 9}),
        "change tranche": ("patch", f"{base}/tranches/{tranche.pk}/", {"size": "1", "coupon": "0.5"}),
        "remove tranche": ("delete", f"{base}/tranches/{tranche.pk}/", {}),
        "add enhancement": ("post", f"{base}/credit-enhancements/", {"kind": "reserve_account", "amount": "1"}),
        "change enhancement": ("patch", f"{base}/credit-enhancements/{enhancement.pk}/", {"amount": "1"}),
        "remove enhancement": ("delete", f"{base}/credit-enhancements/{enhancement.pk}/", {}),
        "add pledge": ("post", f"{base}/pledges/", {"data_asset": asset.pk}),
    }  # fmt: skip
    if pledge is not None:
        routes["change pledge filing"] = ("patch", f"{base}/pledges/{pledge.pk}/", {"registry_filing_no": "X"})
        routes["release pledge"] = ("delete", f"{base}/pledges/{pledge.pk}/", {})
    return routes


def application(deal: Deal) -> tuple:
    """Everything the routes could change, its audit log included."""
    deal = Deal.objects.get(pk=deal.pk)
    return (
        deal.status, deal.manager, deal.tenor_months, deal.paydown_mode, deal.structuring_ratio,
        sorted(PoolAsset.objects.filter(deal=deal).values_list("pk", "principal")),
        sorted(Tranche.objects.filter(deal=deal).values_list("pk", "size", "coupon")),
        sorted(CreditEnhancement.objects.filter(deal=deal).values_list("pk", "amount")),
        sorted(Pledge.objects.filter(deal=deal).values_list("pk", "status", "registry_filing_no")),
        deal.audit_events.count(),
    )  # fmt: skip


@pytest.mark.parametrize("status", [S.SUBMITTED, S.IN_REVIEW, S.COMPLIANCE_APPROVED, S.PUBLISHED, S.ISSUED])
def test_every_application_route_refuses_a_submitted_deal(walk, client_for, user_a, status):
    deal = walk(status, deal_type=DealType.DATA_PLEDGE)
    client = client_for(user_a)
    before = application(deal)
    for name, (method, url, data) in _routes(deal).items():
        response = getattr(client, method)(url, data, format="json")
        assert_error(response, 409, "deal_not_editable"), name
        assert application(deal) == before, name


def test_the_same_routes_work_again_once_compliance_sends_the_deal_back(walk, client_for, user_a):
    deal = walk(S.CHANGES_REQUESTED, deal_type=DealType.DATA_PLEDGE)
    client = client_for(user_a)
    response = client.patch(f"/api/deals/{deal.pk}/", {"manager": "CICC"}, format="json")
    assert response.status_code == 200
    tranche = deal.tranches.get(payment_priority=1)
    assert client.patch(f"/api/deals/{deal.pk}/tranches/{tranche.pk}/", {"coupon": "0.0250"}).status_code == 200
