"""Deals through the API: scoping, the application and its parts, the workflow, the audit log, query counts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from deals.audit import GENESIS_HASH
from deals.choices import DealStatus
from deals.models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche
from tests.deals.compliance.helpers import pass_review
from tests.factories import DataAssetFactory, DealFactory, submittable_deal

from .conftest import assert_error, deal_in_status

pytestmark = pytest.mark.django_db

DEAL_PAYLOAD = {
    "name": "Alpha freight data ABS 2025-1",
    "deal_type": "licence_revenue",
    "target_size": "300000000.00",
    "tenor_months": 36,
    "payment_frequency": "quarterly",
    "exchange": "SSE",
    "manager": "CITIC Securities",
}


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _move(client, deal, action: str, reason: str = "", **extra):
    return client.post(f"/api/deals/{deal.pk}/transition/", {"action": action, "reason": reason, **extra})


# --- scoping -----------------------------------------------------------------------------------------------------


def test_originator_never_sees_another_companys_deals(client_for, user_a, user_b):
    own = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    other = deal_in_status(user_b.originator, user_b, DealStatus.PUBLISHED)
    client = client_for(user_a)
    assert [d["id"] for d in _results(client.get("/api/deals/"))] == [own.pk]
    for url in (f"/api/deals/{other.pk}/", f"/api/deals/{other.pk}/audit/"):
        assert_error(client.get(url), 404, "not_found")
    assert_error(_move(client, other, "withdraw", "mine now"), 404, "not_found")
    assert_error(client.patch(f"/api/deals/{other.pk}/", {"name": "Hijack"}), 404, "not_found")


def test_investor_sees_public_deals_only(client_for, investor_staff, user_a):
    visible = {
        status: deal_in_status(user_a.originator, user_a, status)
        for status in (DealStatus.PUBLISHED, DealStatus.BOOK_BUILDING, DealStatus.ISSUED)
    }
    hidden = [
        deal_in_status(user_a.originator, user_a, status)
        for status in (DealStatus.DRAFT, DealStatus.IN_REVIEW, DealStatus.VALUED, DealStatus.WITHDRAWN)
    ]
    client = client_for(investor_staff)
    assert {d["id"] for d in _results(client.get("/api/deals/"))} == {d.pk for d in visible.values()}
    for deal in hidden:
        assert_error(client.get(f"/api/deals/{deal.pk}/"), 404, "not_found")
        assert_error(client.get(f"/api/deals/{deal.pk}/audit/"), 404, "not_found")


def test_compliance_sees_submitted_deals_but_not_drafts(client_for, compliance_user, user_a):
    draft = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    submitted = deal_in_status(user_a.originator, user_a, DealStatus.SUBMITTED)
    client = client_for(compliance_user)
    assert [d["id"] for d in _results(client.get("/api/deals/"))] == [submitted.pk]
    assert_error(client.get(f"/api/deals/{draft.pk}/"), 404, "not_found")


def test_deals_filter_by_status_type_and_exchange(client_for, arranger_user, user_a):
    a = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT, deal_type="empowerment", exchange="SZSE")
    b = deal_in_status(user_a.originator, user_a, DealStatus.PUBLISHED, deal_type="licence_revenue", exchange="SSE")
    client = client_for(arranger_user)
    assert [d["id"] for d in _results(client.get("/api/deals/", {"status": "published"}))] == [b.pk]
    assert [d["id"] for d in _results(client.get("/api/deals/", {"deal_type": "empowerment"}))] == [a.pk]
    assert [d["id"] for d in _results(client.get("/api/deals/", {"exchange": "SZSE"}))] == [a.pk]
    assert_error(client.get("/api/deals/", {"status": "flying"}), 400, "invalid")


# --- the application -----------------------------------------------------------------------------------------------


def test_originator_files_a_draft_deal_for_its_own_company(client_for, user_a):
    response = client_for(user_a).post("/api/deals/", DEAL_PAYLOAD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["originator"] == user_a.originator_id
    assert body["target_size"] == "300000000.00"
    assert body["pool_assets"] == body["tranches"] == body["pledges"] == []
    assert {a["action"] for a in body["available_actions"]} == {"submit", "withdraw"}
    deal = Deal.objects.get(pk=body["id"])
    assert deal.created_by == user_a
    assert list(deal.audit_events.values_list("action", flat=True)) == ["create"]


@pytest.mark.parametrize("who", ["compliance_user", "arranger_user", "investor_staff"])
def test_only_originators_file_deals(request, client_for, who):
    assert_error(client_for(request.getfixturevalue(who)).post("/api/deals/", DEAL_PAYLOAD), 403, "forbidden")
    assert not Deal.objects.exists()


def test_a_deal_with_bad_terms_is_refused_field_by_field(client_for, user_a):
    payload = {**DEAL_PAYLOAD, "tenor_months": 0, "exchange": "NYSE", "target_size": "abc"}
    body = assert_error(client_for(user_a).post("/api/deals/", payload), 400, "invalid")
    assert set(body["fields"]) == {"tenor_months", "exchange", "target_size"}


def test_originator_edits_a_draft_but_not_a_submitted_deal(client_for, user_a):
    client = client_for(user_a)
    draft = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    response = client.patch(f"/api/deals/{draft.pk}/", {"tenor_months": 48, "trustee": "CCB Trust"})
    assert response.status_code == 200, response.content
    assert (response.json()["tenor_months"], response.json()["trustee"]) == (48, "CCB Trust")
    submitted = deal_in_status(user_a.originator, user_a, DealStatus.SUBMITTED, tenor_months=36)
    assert_error(client.patch(f"/api/deals/{submitted.pk}/", {"tenor_months": 48}), 409, "deal_not_editable")
    submitted.refresh_from_db()
    assert submitted.tenor_months == 36


def test_detail_embeds_the_parts_of_the_deal(client_for, user_a):
    deal = submittable_deal(user_a)
    asset_id = deal.pool_assets.get().data_assets.get().pk
    body = client_for(user_a).get(f"/api/deals/{deal.pk}/").json()
    assert body["pool_assets"][0]["data_assets"] == [asset_id]
    assert body["pool_assets"][0]["principal"] == "100000000.00"
    assert [(t["name"], t["payment_priority"], t["size"]) for t in body["tranches"]] == [
        ("A", 1, "90000000.00"),
        ("Sub", 2, "10000000.00"),
    ]
    assert body["tranches"][0]["coupon"] == "0.0210"
    assert [(c["kind"], c["amount"]) for c in body["credit_enhancements"]] == [("subordination", "10000000.00")]
    assert body["pledges"] == []


def test_nested_parts_are_added_and_removed_through_the_api(client_for, user_a):
    client = client_for(user_a)
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    asset = DataAssetFactory(originator=user_a.originator)
    pool = client.post(
        f"/api/deals/{deal.pk}/pool-assets/",
        {
            "obligor": "Fujian Freight Co.",
            "obligor_city": "Fuzhou",
            "kind": "loan",
            "principal": "20000000.00",
            "rate": "0.0450",
            "maturity_date": "2028-06-30",
            "default_probability": "0.0200",
            "recovery_rate": "0.4000",
            "data_assets": [asset.pk],
        },
    )
    assert pool.status_code == 201, pool.content
    assert pool.json()["data_assets"] == [asset.pk]
    tranche = client.post(
        f"/api/deals/{deal.pk}/tranches/",
        {"name": "A", "tranche_class": "senior", "size": "90000000", "coupon": "0.0204", "payment_priority": 1},
    )
    assert tranche.status_code == 201, tranche.content
    enhancement = client.post(
        f"/api/deals/{deal.pk}/credit-enhancements/",
        {"kind": "external_guarantee", "guarantor_type": "guarantee_company", "provider": "Fujian Guarantee"},
    )
    assert enhancement.status_code == 201, enhancement.content
    pledge = client.post(f"/api/deals/{deal.pk}/pledges/", {"data_asset": asset.pk, "registry_filing_no": "PB-1"})
    assert pledge.status_code == 201, pledge.content
    assert pledge.json()["status"] == "active"

    detail = client.get(f"/api/deals/{deal.pk}/").json()
    assert [len(detail[key]) for key in ("pool_assets", "tranches", "credit_enhancements", "pledges")] == [1, 1, 1, 1]

    assert client.delete(f"/api/deals/{deal.pk}/pool-assets/{pool.json()['id']}/").status_code == 204
    assert client.delete(f"/api/deals/{deal.pk}/tranches/{tranche.json()['id']}/").status_code == 204
    assert client.delete(f"/api/deals/{deal.pk}/credit-enhancements/{enhancement.json()['id']}/").status_code == 204
    released = client.delete(f"/api/deals/{deal.pk}/pledges/{pledge.json()['id']}/")
    assert released.status_code == 200
    assert released.json()["status"] == "released"
    assert not PoolAsset.objects.filter(deal=deal).exists()
    assert not Tranche.objects.filter(deal=deal).exists()
    assert not CreditEnhancement.objects.filter(deal=deal).exists()
    assert Pledge.objects.get(deal=deal).status == "released"


def test_a_part_of_another_deal_cannot_be_deleted_through_this_one(client_for, user_a):
    client = client_for(user_a)
    first = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    second = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    tranche = Tranche.objects.create(deal=second, name="A", tranche_class="senior", size=1, payment_priority=1)
    assert_error(client.delete(f"/api/deals/{first.pk}/tranches/{tranche.pk}/"), 404, "not_found")
    assert Tranche.objects.filter(pk=tranche.pk).exists()


def test_a_second_active_pledge_of_an_asset_is_a_409(client_for, user_a):
    client = client_for(user_a)
    asset = DataAssetFactory(originator=user_a.originator)
    first = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT, name="First")
    second = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT, name="Second")
    assert client.post(f"/api/deals/{first.pk}/pledges/", {"data_asset": asset.pk}).status_code == 201
    body = assert_error(client.post(f"/api/deals/{second.pk}/pledges/", {"data_asset": asset.pk}), 409, "double_pledge")
    assert "data_asset" in body["fields"]
    assert "First" in body["detail"]
    assert Pledge.objects.filter(data_asset=asset).count() == 1


def test_another_companys_asset_cannot_back_or_be_pledged_to_a_deal(client_for, user_a, user_b):
    client = client_for(user_a)
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    foreign = DataAssetFactory(originator=user_b.originator)
    body = assert_error(client.post(f"/api/deals/{deal.pk}/pledges/", {"data_asset": foreign.pk}), 400, "invalid")
    assert "data_asset" in body["fields"]
    pool = {
        "obligor": "X",
        "kind": "loan",
        "principal": "1",
        "maturity_date": "2030-01-01",
        "data_assets": [foreign.pk],
    }
    body = assert_error(client.post(f"/api/deals/{deal.pk}/pool-assets/", pool), 400, "invalid")
    assert "data_assets" in body["fields"]
    assert not Pledge.objects.exists()
    assert not PoolAsset.objects.exists()


def test_parts_of_a_submitted_deal_cannot_change(client_for, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.SUBMITTED)
    tranche = {"name": "A", "tranche_class": "senior", "size": "1", "payment_priority": 1}
    assert_error(client_for(user_a).post(f"/api/deals/{deal.pk}/tranches/", tranche), 409, "deal_not_editable")


def test_a_duplicate_tranche_priority_is_refused(client_for, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    Tranche.objects.create(deal=deal, name="A", tranche_class="senior", size=1, payment_priority=1)
    tranche = {"name": "B", "tranche_class": "mezzanine", "size": "1", "payment_priority": 1}
    assert_error(client_for(user_a).post(f"/api/deals/{deal.pk}/tranches/", tranche), 400, "invalid")
    assert Tranche.objects.filter(deal=deal).count() == 1


# --- workflow -----------------------------------------------------------------------------------------------------


def test_the_workflow_moves_a_deal_from_draft_to_issued(client_for, user_a, compliance_user, arranger_user):
    from deals.workflow import deal_complete_valuation

    deal = submittable_deal(user_a)
    originator, officer, arranger = client_for(user_a), client_for(compliance_user), client_for(arranger_user)
    steps = [
        (originator, "submit", "submitted"),
        (officer, "start_review", "in_review"),
        (officer, "approve", "compliance_approved"),
        (arranger, "start_valuation", "valuing"),
    ]
    for client, action, status in steps:
        if action == "approve":
            pass_review(deal, officer=compliance_user)  # approval needs every condition precedent closed
        response = _move(client, deal, action)
        assert response.status_code == 200, (action, response.content)
        assert response.json()["status"] == status
    deal_complete_valuation(deal=deal)  # the valuation worker, not a user
    for action, status in (("publish", "published"), ("open_book", "book_building")):
        assert _move(arranger, deal, action).json()["status"] == status
    issued = _move(arranger, deal, "issue", issue_date="2025-11-20")
    assert issued.status_code == 200
    assert (issued.json()["status"], issued.json()["issue_date"]) == ("issued", "2025-11-20")
    assert issued.json()["available_actions"] == []


def test_available_actions_follow_the_user(client_for, user_a, user_b, compliance_user):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.IN_REVIEW)
    officer_actions = client_for(compliance_user).get(f"/api/deals/{deal.pk}/").json()["available_actions"]
    assert {a["action"]: a["reason_required"] for a in officer_actions} == {
        "request_changes": True,
        "reject": True,
        "approve": False,
    }
    owner_actions = client_for(user_a).get(f"/api/deals/{deal.pk}/").json()["available_actions"]
    assert [a["action"] for a in owner_actions] == ["withdraw"]


def test_a_move_by_the_wrong_role_is_a_403(client_for, user_a, compliance_user):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.IN_REVIEW)
    assert_error(_move(client_for(user_a), deal, "approve"), 403, "forbidden")
    assert_error(_move(client_for(compliance_user), deal, "withdraw", "no"), 403, "forbidden")
    deal.refresh_from_db()
    assert deal.status == DealStatus.IN_REVIEW


def test_a_move_from_the_wrong_state_is_a_409(client_for, user_a, compliance_user):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.IN_REVIEW)
    assert_error(_move(client_for(compliance_user), deal, "start_review"), 409, "invalid_transition")
    issued = deal_in_status(user_a.originator, user_a, DealStatus.ISSUED)
    assert_error(_move(client_for(user_a), issued, "withdraw", "too late"), 409, "invalid_transition")


def test_an_unknown_move_is_a_400(client_for, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    assert_error(_move(client_for(user_a), deal, "teleport"), 400, "unknown_action")
    body = assert_error(client_for(user_a).post(f"/api/deals/{deal.pk}/transition/", {}), 400, "invalid")
    assert "action" in body["fields"]


def test_a_move_that_needs_a_reason_without_one_is_a_400(client_for, user_a, compliance_user):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.IN_REVIEW)
    body = assert_error(_move(client_for(compliance_user), deal, "reject", "   "), 400, "reason_required")
    assert "reason" in body["fields"]
    response = _move(client_for(compliance_user), deal, "request_changes", "Attach the PIPIA report.")
    assert response.json()["status"] == "changes_requested"


def test_submitting_an_incomplete_deal_lists_what_is_missing(client_for, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    body = assert_error(_move(client_for(user_a), deal, "submit"), 400, "preconditions_not_met")
    assert set(body["fields"]) == {"pool", "tranches"}
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT


def test_submitting_with_eleven_months_of_revenue_is_refused(client_for, user_a):
    deal = submittable_deal(user_a, months=11)
    body = assert_error(_move(client_for(user_a), deal, "submit"), 400, "preconditions_not_met")
    assert list(body["fields"]) == ["revenue"]


def test_an_investor_cannot_move_a_public_deal(client_for, investor_staff, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.PUBLISHED)
    assert_error(_move(client_for(investor_staff), deal, "open_book"), 403, "forbidden")


# --- audit -----------------------------------------------------------------------------------------------------


def test_the_audit_endpoint_returns_the_chain_of_moves(client_for, user_a, compliance_user):
    deal = submittable_deal(user_a)
    assert _move(client_for(user_a), deal, "submit").status_code == 200
    assert _move(client_for(compliance_user), deal, "start_review").status_code == 200
    assert _move(client_for(compliance_user), deal, "request_changes", "Add the law firm opinion.").status_code == 200

    events = client_for(user_a).get(f"/api/deals/{deal.pk}/audit/").json()
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert [(e["action"], e["from"], e["to"]) for e in events] == [
        ("create", "", "draft"),
        ("submit", "draft", "submitted"),
        ("start_review", "submitted", "in_review"),
        ("request_changes", "in_review", "changes_requested"),
    ]
    assert events[3]["reason"] == "Add the law firm opinion."
    assert "alice" in events[0]["actor_label"]
    assert "carol" in events[2]["actor_label"]
    # Each event carries the hash of the one before; the first starts from the genesis hash.
    assert events[0]["prev_hash"] == GENESIS_HASH
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:], strict=False))
    assert len({e["hash"] for e in events}) == 4
    assert all(e["created_at"] for e in events)

    # The compliance officer sees the same log.
    assert client_for(compliance_user).get(f"/api/deals/{deal.pk}/audit/").json() == events


# --- query counts ------------------------------------------------------------------------------------------------


def test_deal_list_with_ten_deals_has_a_bounded_number_of_queries(
    client_for, user_a, arranger_user, django_assert_max_num_queries
):
    for _ in range(10):
        DealFactory(originator=user_a.originator, created_by=user_a)
    client = client_for(arranger_user)
    # One count for the page and one select with the originator joined, whatever the number of deals.
    with django_assert_max_num_queries(2):
        assert len(_results(client.get("/api/deals/"))) == 10


def test_deal_detail_queries_do_not_grow_with_its_parts(client_for, user_a, django_assert_max_num_queries):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    for i in range(6):
        asset = DataAssetFactory(originator=user_a.originator)
        PoolAsset.objects.create(
            deal=deal, obligor=f"O{i}", kind="loan", principal=1, maturity_date=dt.date(2030, 1, 1)
        ).data_assets.add(asset)
        Tranche.objects.create(deal=deal, name=f"T{i}", tranche_class="senior", size=1, payment_priority=i + 1)
        CreditEnhancement.objects.create(deal=deal, kind="reserve_account", amount=Decimal(1))
        Pledge.objects.create(deal=deal, data_asset=asset)
    client = client_for(user_a)
    # The deal, then one query per kind of part (pool assets, their data assets,
    # tranches, enhancements, pledges with their assets).
    with django_assert_max_num_queries(6):
        body = client.get(f"/api/deals/{deal.pk}/").json()
    assert [len(body[key]) for key in ("pool_assets", "tranches", "credit_enhancements", "pledges")] == [6, 6, 6, 6]


# --- the structure and the new inputs of the parts ---------------------------------------------------------------

STRUCTURE = {
    "paydown_mode": "controlled_amortisation",
    "structuring_ratio": "1.350",
    "dscr_trigger": "1.100",
    "trigger_window_periods": 2,
    "trigger_cure_periods": 3,
    "controlled_amortisation_periods": 4,
    "residual_release": "excess_when_tests_pass",
    "pricing_date": "2027-02-01",
}


def test_the_structure_is_filed_with_the_terms_and_read_back_in_the_detail(client_for, user_a):
    response = client_for(user_a).post("/api/deals/", {**DEAL_PAYLOAD, **STRUCTURE}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in STRUCTURE} == STRUCTURE
    deal = Deal.objects.get(pk=body["id"])
    assert (deal.paydown_mode, deal.dscr_trigger, deal.pricing_date) == (
        "controlled_amortisation", Decimal("1.100"), dt.date(2027, 2, 1),
    )  # fmt: skip


def test_a_trigger_not_below_the_structuring_ratio_is_refused_and_nothing_changes(client_for, user_a):
    client = client_for(user_a)
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    events = deal.audit_events.count()
    body = assert_error(
        client.patch(f"/api/deals/{deal.pk}/", {"dscr_trigger": "1.300", "paydown_mode": "pro_rata"}), 400, "invalid"
    )
    assert list(body["fields"]) == ["dscr_trigger"]
    assert "below the structuring ratio" in body["fields"]["dscr_trigger"][0]
    deal.refresh_from_db()
    assert (deal.dscr_trigger, deal.paydown_mode) == (None, "sequential")
    assert deal.audit_events.count() == events


def test_patching_the_structure_records_what_changed(client_for, user_a):
    client = client_for(user_a)
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    response = client.patch(f"/api/deals/{deal.pk}/", {"paydown_mode": "pro_rata", "dscr_trigger": "1.050"})
    assert response.status_code == 200, response.content
    assert (response.json()["paydown_mode"], response.json()["dscr_trigger"]) == ("pro_rata", "1.050")
    event = deal.audit_events.get()  # the factory's deal has no creation event: this is the only one
    assert (event.action, event.from_status, event.to_status) == ("terms_updated", "draft", "draft")
    assert set(json.loads(event.reason)["changes"]) == {"paydown_mode", "dscr_trigger"}


def test_a_pool_asset_keeps_every_input_it_is_filed_with(client_for, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT, deal_type="empowerment")
    payload = {
        "obligor": "Wuhan Central Hospital", "kind": "lease", "principal": "30000000.00", "rate": "0.0520",
        "maturity_date": "2029-06-30", "default_probability": "0.0090", "recovery_rate": "0.5500",
        "default_probability_without_data": "0.0150", "cash_source": "data_empowered", "repayment_source": "",
        "collateral_kind": "equipment", "collateral_value": "12000000.00",
    }  # fmt: skip
    response = client_for(user_a).post(f"/api/deals/{deal.pk}/pool-assets/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in payload} == payload
    stored = PoolAsset.objects.get(pk=body["id"])
    assert stored.default_probability_without_data == Decimal("0.0150")  # no longer dropped on the way in
    assert (stored.collateral_kind, stored.collateral_value) == ("equipment", Decimal("12000000.00"))


def test_a_pool_asset_filed_without_a_cash_source_gets_the_deal_types_reading(client_for, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT, deal_type="data_pledge")
    payload = {"obligor": "Hangzhou Borrower", "kind": "loan", "principal": "1000000", "maturity_date": "2029-01-01"}
    body = client_for(user_a).post(f"/api/deals/{deal.pk}/pool-assets/", payload).json()
    assert (body["cash_source"], body["repayment_source"]) == ("data_secured", "operating_revenue")


def test_support_is_filed_with_its_classes_coverage_and_provider_rating(client_for, user_a):
    client = client_for(user_a)
    deal = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    payload = {
        "kind": "shortfall_undertaking", "guarantor_type": "parent_company", "provider": "Alpha Group",
        "amount": "40000000.00", "covered_classes": ["senior", "mezzanine"], "coverage": "ultimate",
        "provider_rating": "AA+",
    }  # fmt: skip
    response = client.post(f"/api/deals/{deal.pk}/credit-enhancements/", payload, format="json")
    assert response.status_code == 201, response.content
    assert {key: response.json()[key] for key in payload} == payload
    bad = {**payload, "covered_classes": ["senior", "equity"]}
    body = assert_error(client.post(f"/api/deals/{deal.pk}/credit-enhancements/", bad, format="json"), 400, "invalid")
    assert list(body["fields"]) == ["covered_classes"]
    assert CreditEnhancement.objects.filter(deal=deal).count() == 1


def test_the_tranches_valuation_outputs_are_read_in_the_detail_and_cannot_be_written(client_for, user_a):
    client = client_for(user_a)
    deal = submittable_deal(user_a)
    senior = deal.tranches.get(name="A")
    facts = {"pd": 0.0004, "rule": "AAA below 0.05 %"}
    Tranche.objects.filter(pk=senior.pk).update(
        product_risk_level="R2", implied_rating="AAA", underlying_rating="AA", rating_facts=facts
    )
    detail = client.get(f"/api/deals/{deal.pk}/").json()["tranches"][0]
    assert (detail["product_risk_level"], detail["implied_rating"], detail["underlying_rating"]) == ("R2", "AAA", "AA")
    assert detail["rating_facts"] == facts
    response = client.patch(
        f"/api/deals/{deal.pk}/tranches/{senior.pk}/", {"implied_rating": "BBB", "coupon": "0.0230"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["implied_rating"], response.json()["coupon"]) == ("AAA", "0.0230")
    senior.refresh_from_db()
    assert (senior.implied_rating, senior.coupon) == ("AAA", Decimal("0.0230"))


# --- changing the parts -------------------------------------------------------------------------------------------


def test_each_part_is_changed_with_a_patch_and_each_change_is_audited(client_for, user_a):
    client = client_for(user_a)
    deal = submittable_deal(user_a)
    asset = DataAssetFactory(originator=user_a.originator)
    pledge = client.post(f"/api/deals/{deal.pk}/pledges/", {"data_asset": asset.pk}).json()
    pool_asset, senior, enhancement = (
        deal.pool_assets.get(),
        deal.tranches.get(name="A"),
        deal.credit_enhancements.get(),
    )

    changes = [
        (f"pool-assets/{pool_asset.pk}", {"principal": "110000000.00", "obligor_city": "Shenzhen"}),
        (f"tranches/{senior.pk}", {"target_rating": "AA+", "coupon": "0.0250"}),
        (f"credit-enhancements/{enhancement.pk}", {"description": "The Sub class absorbs losses first"}),
        (f"pledges/{pledge['id']}", {"registry_filing_no": "PBOC-2026-0042", "filed_on": "2026-11-02"}),
    ]
    for path, payload in changes:
        response = client.patch(f"/api/deals/{deal.pk}/{path}/", payload, format="json")
        assert response.status_code == 200, (path, response.content)
        assert {key: response.json()[key] for key in payload} == payload

    actions = list(deal.audit_events.order_by("sequence").values_list("action", flat=True))
    assert actions[-4:] == ["pool_asset_changed", "tranche_changed", "credit_enhancement_changed", "pledge_changed"]
    events = client.get(f"/api/deals/{deal.pk}/audit/").json()
    assert events[-3]["action_label"] == "Tranche changed"
    assert events[-3]["reason_text"] == (
        f"Changed tranche “A” (#{senior.pk}): Coupon (annual, e.g. 0.0204 = 2.04 %) from 0.0210 to 0.0250; "
        "Target rating from AAA to AA+."
    )
    assert (events[-3]["from"], events[-3]["to"]) == ("draft", "draft")
    assert json.loads(events[-3]["reason"])["changes"]["target_rating"] == ["AAA", "AA+"]


def test_a_patch_that_fails_validation_saves_nothing(client_for, user_a):
    client = client_for(user_a)
    deal = submittable_deal(user_a)
    pool_asset = deal.pool_assets.get()
    events = deal.audit_events.count()
    body = assert_error(
        client.patch(
            f"/api/deals/{deal.pk}/pool-assets/{pool_asset.pk}/",
            {"obligor": "Renamed", "collateral_kind": "real_estate"},  # a collateral kind without its value
            format="json",
        ),
        400,
        "invalid",
    )
    assert "collateral_value" in body["fields"]
    pool_asset.refresh_from_db()
    assert (pool_asset.obligor, pool_asset.collateral_kind) != ("Renamed", "real_estate")
    assert deal.audit_events.count() == events


def test_parts_of_a_submitted_deal_cannot_be_patched(client_for, user_a):
    client = client_for(user_a)
    deal = submittable_deal(user_a)
    tranche = deal.tranches.get(name="A")
    client.post(f"/api/deals/{deal.pk}/transition/", {"action": "submit"})
    response = client.patch(f"/api/deals/{deal.pk}/tranches/{tranche.pk}/", {"size": "1"}, format="json")
    assert_error(response, 409, "deal_not_editable")
    tranche.refresh_from_db()
    assert tranche.size == Decimal("90000000.00")


def test_a_part_is_patched_only_by_its_originator_and_only_through_its_own_deal(
    client_for, user_a, user_b, compliance_user
):
    deal = submittable_deal(user_a)
    other = submittable_deal(user_a)
    tranche = deal.tranches.get(name="A")
    url = f"/api/deals/{deal.pk}/tranches/{tranche.pk}/"
    assert_error(client_for(user_b).patch(url, {"size": "1"}, format="json"), 404, "not_found")
    assert_error(
        client_for(user_a).patch(f"/api/deals/{other.pk}/tranches/{tranche.pk}/", {"size": "1"}, format="json"),
        404,
        "not_found",
    )
    client_for(user_a).post(f"/api/deals/{deal.pk}/transition/", {"action": "submit"})
    assert_error(client_for(compliance_user).patch(url, {"size": "1"}, format="json"), 403, "forbidden")
    tranche.refresh_from_db()
    assert tranche.size == Decimal("90000000.00")


def test_a_released_pledges_filing_is_a_409(client_for, user_a):
    client = client_for(user_a)
    deal = submittable_deal(user_a)
    pledge = client.post(
        f"/api/deals/{deal.pk}/pledges/", {"data_asset": DataAssetFactory(originator=user_a.originator).pk}
    ).json()
    client.delete(f"/api/deals/{deal.pk}/pledges/{pledge['id']}/")
    response = client.patch(f"/api/deals/{deal.pk}/pledges/{pledge['id']}/", {"registry_filing_no": "X"})
    assert_error(response, 409, "pledge_released")


def test_patching_a_pool_assets_data_assets_takes_the_same_queries_for_one_or_many(client_for, user_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(user_a)
    deal = submittable_deal(user_a)
    pool_asset = deal.pool_assets.get()
    url = f"/api/deals/{deal.pk}/pool-assets/{pool_asset.pk}/"
    one = [DataAssetFactory(originator=user_a.originator).pk]
    many = [DataAssetFactory(originator=user_a.originator).pk for _ in range(8)]
    with CaptureQueriesContext(connection) as few:
        assert client.patch(url, {"data_assets": one}, format="json").status_code == 200
    with CaptureQueriesContext(connection) as lots:
        response = client.patch(url, {"data_assets": many}, format="json")
    assert response.status_code == 200
    assert sorted(response.json()["data_assets"]) == sorted(many)
    assert len(lots) == len(few)


def test_the_audit_log_is_read_in_the_callers_language_with_a_bounded_number_of_queries(
    client_for, user_a, django_assert_max_num_queries
):
    client = client_for(user_a)
    deal = submittable_deal(user_a)
    for tenor in range(39, 75, 3):  # whole quarters
        assert client.patch(f"/api/deals/{deal.pk}/", {"tenor_months": tenor}).status_code == 200
    with django_assert_max_num_queries(4):
        events = client.get(f"/api/deals/{deal.pk}/audit/").json()
    assert len(events) == 13
    assert events[-1]["reason_text"] == "Changed the terms: Tenor (months) from 69 to 72."
    chinese = client.get(f"/api/deals/{deal.pk}/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "期限（月）" in chinese[-1]["reason_text"]
    assert chinese[-1]["reason"] == events[-1]["reason"]  # the stored, hashed text is the same for every reader


def test_the_schema_describes_the_patch_of_each_part():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for part, request in [
        ("pool-assets", "PatchedPoolAssetRequest"),
        ("tranches", "PatchedTrancheRequest"),
        ("credit-enhancements", "PatchedCreditEnhancementRequest"),
        ("pledges", "PatchedPledgeFilingRequest"),
    ]:
        operation = schema["paths"][f"/api/deals/{{id}}/{part}/{{item_pk}}/"]["patch"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body.endswith(f"/{request}")
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    tranche = schema["components"]["schemas"]["Tranche"]
    assert {"implied_rating", "underlying_rating", "rating_facts"} <= set(tranche["required"]) | set(
        tranche["properties"]
    )
    assert tranche["properties"]["implied_rating"]["readOnly"] is True
    assert "implied_rating" not in schema["components"]["schemas"]["PatchedTrancheRequest"]["properties"]


def test_a_tenor_that_is_not_whole_payment_periods_is_refused_and_says_why(client_for, user_a):
    deal = submittable_deal(user_a)
    response = client_for(user_a).patch(f"/api/deals/{deal.pk}/", {"tenor_months": 37})
    assert response.status_code == 400
    assert "multiple of 3 months" in response.json()["fields"]["tenor_months"][0]
    deal.refresh_from_db()
    assert deal.tenor_months == 36


def test_the_api_and_the_application_form_write_the_same_fields_of_a_deal():
    """What an originator may write of a deal is one list: a field the form offers, the API takes, and no other."""
    from deals.api import DealWriteSerializer
    from deals.forms import DealForm

    assert list(DealWriteSerializer().fields) == list(DealForm().fields)
