"""Writes of a deal application: pledges, the pool's data assets, and who may edit when."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import translation

from deals import services, workflow
from deals.choices import DealStatus, PledgeStatus, PoolAssetKind, TrancheClass
from deals.models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche
from origination.errors import DomainError
from tests.factories import DataAssetFactory, submittable_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; another test may leave a different language active."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def deal_a(user_a) -> Deal:
    return submittable_deal(user_a)


@pytest.fixture
def asset_a(user_a):
    return DataAssetFactory(originator=user_a.originator, name="Highway toll transactions")


@pytest.fixture
def asset_b(user_b):
    return DataAssetFactory(originator=user_b.originator, name="Grid load curves")


def pool_fields() -> dict:
    return {
        "obligor": "Shenzhen Metro Group",
        "kind": PoolAssetKind.RECEIVABLE,
        "principal": Decimal("5000000.00"),
        "maturity_date": dt.date(2028, 6, 30),
    }


# --- pledges ---------------------------------------------------------------------------------------


def test_second_active_pledge_of_the_same_asset_is_refused(user_a, deal_a, asset_a):
    other_deal = submittable_deal(user_a)
    first = services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a, registry_filing_no="PBOC-0001")
    with pytest.raises(DomainError) as caught:
        services.pledge_create(actor=user_a, deal=other_deal, data_asset=asset_a)
    assert caught.value.code == "double_pledge"
    assert caught.value.status_code == 409
    assert "data_asset" in caught.value.fields
    assert list(Pledge.objects.filter(data_asset=asset_a)) == [first]


def test_pledging_the_same_asset_twice_to_one_deal_is_refused(user_a, deal_a, asset_a):
    services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a)
    with pytest.raises(DomainError) as caught:
        services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a)
    assert caught.value.code == "double_pledge"
    assert Pledge.objects.filter(data_asset=asset_a).count() == 1


def test_asset_can_be_pledged_again_after_release(user_a, deal_a, asset_a):
    other_deal = submittable_deal(user_a)
    first = services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a)
    released = services.pledge_release(actor=user_a, pledge=first)
    assert released.status == PledgeStatus.RELEASED
    second = services.pledge_create(actor=user_a, deal=other_deal, data_asset=asset_a)
    assert second.status == PledgeStatus.ACTIVE
    statuses = dict(Pledge.objects.filter(data_asset=asset_a).values_list("deal_id", "status"))
    assert statuses == {deal_a.pk: PledgeStatus.RELEASED, other_deal.pk: PledgeStatus.ACTIVE}


def test_different_assets_may_be_pledged_to_one_deal(user_a, deal_a, asset_a):
    second_asset = DataAssetFactory(originator=user_a.originator)
    services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a)
    services.pledge_create(actor=user_a, deal=deal_a, data_asset=second_asset)
    assert deal_a.pledges.filter(status=PledgeStatus.ACTIVE).count() == 2


def test_another_companys_asset_cannot_be_pledged(user_a, deal_a, asset_b):
    with pytest.raises(DomainError) as caught:
        services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_b)
    assert caught.value.code == "invalid"
    assert "data_assets" in caught.value.fields
    assert not Pledge.objects.exists()


def test_arranger_may_release_a_pledge_of_a_submitted_deal(user_a, arranger_user, deal_a, asset_a):
    pledge = services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a)
    workflow.deal_submit(deal=deal_a, actor=user_a)
    with pytest.raises(DomainError) as caught:
        services.pledge_release(actor=user_a, pledge=pledge)
    assert caught.value.code == "deal_not_editable"
    services.pledge_release(actor=arranger_user, pledge=pledge)
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.RELEASED


# --- the pool's data assets ----------------------------------------------------------------------


def test_pool_asset_refuses_another_companys_data_asset(user_a, deal_a, asset_a, asset_b):
    before = PoolAsset.objects.count()
    with pytest.raises(DomainError) as caught:
        services.pool_asset_create(actor=user_a, deal=deal_a, data_assets=[asset_a, asset_b], **pool_fields())
    assert caught.value.code == "invalid"
    assert "data_assets" in caught.value.fields
    assert "Grid load curves" in caught.value.detail
    assert "Highway toll transactions" not in caught.value.detail
    assert PoolAsset.objects.count() == before


def test_pool_asset_links_own_data_assets(user_a, deal_a, asset_a):
    pool_asset = services.pool_asset_create(actor=user_a, deal=deal_a, data_assets=[asset_a], **pool_fields())
    assert list(pool_asset.data_assets.all()) == [asset_a]
    assert pool_asset.deal_id == deal_a.pk


def test_pool_asset_with_invalid_terms_names_the_field(user_a, deal_a):
    fields = pool_fields() | {"default_probability": Decimal("1.5")}
    with pytest.raises(DomainError) as caught:
        services.pool_asset_create(actor=user_a, deal=deal_a, **fields)
    assert caught.value.code == "invalid"
    assert "default_probability" in caught.value.fields


# --- when the application may be edited ----------------------------------------------------------

EDITS = {
    "deal_update": lambda actor, deal: services.deal_update(actor=actor, deal=deal, manager="CICC"),
    "pool_asset_create": lambda actor, deal: services.pool_asset_create(actor=actor, deal=deal, **pool_fields()),
    "pool_asset_delete": lambda actor, deal: services.pool_asset_delete(
        actor=actor, pool_asset=deal.pool_assets.first()
    ),
    "tranche_create": lambda actor, deal: services.tranche_create(
        actor=actor, deal=deal, name="B", tranche_class=TrancheClass.MEZZANINE, size=Decimal("1"), payment_priority=9
    ),
    "tranche_delete": lambda actor, deal: services.tranche_delete(actor=actor, tranche=deal.tranches.first()),
    "credit_enhancement_create": lambda actor, deal: services.credit_enhancement_create(
        actor=actor, deal=deal, kind="reserve_account", amount=Decimal("100000")
    ),
    "credit_enhancement_delete": lambda actor, deal: services.credit_enhancement_delete(
        actor=actor, credit_enhancement=deal.credit_enhancements.first()
    ),
    "pledge_create": lambda actor, deal: services.pledge_create(
        actor=actor, deal=deal, data_asset=DataAssetFactory(originator=deal.originator)
    ),
    "pool_asset_update": lambda actor, deal: services.pool_asset_update(
        actor=actor, pool_asset=deal.pool_assets.first(), principal=Decimal("120000000.00")
    ),
    "tranche_update": lambda actor, deal: services.tranche_update(
        actor=actor, tranche=deal.tranches.order_by("payment_priority").first(), coupon=Decimal("0.0250")
    ),
    "credit_enhancement_update": lambda actor, deal: services.credit_enhancement_update(
        actor=actor, credit_enhancement=deal.credit_enhancements.first(), description="Sub absorbs first losses"
    ),
    "pledge_update": lambda actor, deal: services.pledge_update(
        actor=actor, pledge=_standing_pledge(deal), registry_filing_no="PBOC-2026-000042"
    ),
}


def _standing_pledge(deal: Deal) -> Pledge:
    """An active pledge of the deal, made directly (not through a service, so it is no edit of the test)."""
    pledge = deal.pledges.filter(status=PledgeStatus.ACTIVE).first()
    return pledge or Pledge.objects.create(deal=deal, data_asset=DataAssetFactory(originator=deal.originator))


def application_snapshot(deal: Deal) -> tuple:
    """Everything an edit could change, to prove a refused edit changed nothing (its audit log included)."""
    deal.refresh_from_db()
    return (
        deal.manager,
        sorted(PoolAsset.objects.filter(deal=deal).values_list("pk", "principal")),
        sorted(Tranche.objects.filter(deal=deal).values_list("pk", "coupon")),
        sorted(CreditEnhancement.objects.filter(deal=deal).values_list("pk", "description")),
        sorted(Pledge.objects.filter(deal=deal).values_list("pk", "registry_filing_no")),
        deal.audit_events.count(),
    )


@pytest.mark.parametrize("edit", list(EDITS))
def test_edits_are_refused_once_the_deal_is_submitted(edit, user_a, deal_a):
    _standing_pledge(deal_a)
    workflow.deal_submit(deal=deal_a, actor=user_a)
    before = application_snapshot(deal_a)
    with pytest.raises(DomainError) as caught:
        EDITS[edit](user_a, deal_a)
    assert caught.value.code == "deal_not_editable"
    assert caught.value.status_code == 409
    assert application_snapshot(deal_a) == before


@pytest.mark.parametrize("edit", list(EDITS))
def test_edits_are_allowed_again_when_changes_are_requested(edit, user_a, compliance_user, deal_a):
    workflow.deal_submit(deal=deal_a, actor=user_a)
    workflow.deal_start_review(deal=deal_a, actor=compliance_user)
    workflow.deal_request_changes(deal=deal_a, actor=compliance_user, reason="Add a reserve account.")
    _standing_pledge(deal_a)
    before = application_snapshot(deal_a)
    EDITS[edit](user_a, deal_a)
    after = application_snapshot(deal_a)
    assert after[:-1] != before[:-1]
    assert after[-1] == before[-1] + 1  # one audit event for the change
    last = deal_a.audit_events.order_by("-sequence").first()
    assert (last.from_status, last.to_status, last.actor) == ("changes_requested", "changes_requested", user_a)


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("who", ["user_b", "compliance_user", "arranger_user", "investor_staff"])
def test_edits_by_anyone_but_the_deals_originator_are_forbidden(edit, who, request, deal_a):
    actor = request.getfixturevalue(who)
    _standing_pledge(deal_a)
    before = application_snapshot(deal_a)
    with pytest.raises(DomainError) as caught:
        EDITS[edit](actor, deal_a)
    assert caught.value.code == "forbidden"
    assert caught.value.status_code == 403
    assert application_snapshot(deal_a) == before


@pytest.mark.parametrize(
    "status", [DealStatus.IN_REVIEW, DealStatus.COMPLIANCE_APPROVED, DealStatus.PUBLISHED, DealStatus.WITHDRAWN]
)
def test_edits_are_refused_in_every_state_past_submission(status, user_a, deal_a):
    Deal.objects.filter(pk=deal_a.pk).update(status=status)
    with pytest.raises(DomainError) as caught:
        services.deal_update(actor=user_a, deal=deal_a, manager="CICC")
    assert caught.value.code == "deal_not_editable"


def test_deal_update_changes_the_terms(user_a, deal_a):
    services.deal_update(actor=user_a, deal=deal_a, manager="CICC", tenor_months=48)
    deal_a.refresh_from_db()
    assert (deal_a.manager, deal_a.tenor_months) == ("CICC", 48)


@pytest.mark.parametrize(("field", "value"), [("status", DealStatus.ISSUED), ("issue_date", dt.date(2025, 1, 1))])
def test_deal_update_cannot_move_the_deal_past_the_workflow(field, value, user_a, deal_a):
    with pytest.raises(DomainError) as caught:
        services.deal_update(actor=user_a, deal=deal_a, **{field: value})
    assert caught.value.code == "invalid"
    assert field in caught.value.fields
    deal_a.refresh_from_db()
    assert deal_a.status == DealStatus.DRAFT
    assert deal_a.issue_date is None


def test_deal_update_cannot_hand_the_deal_to_another_company(user_a, originator_b, deal_a):
    with pytest.raises(DomainError) as caught:
        services.deal_update(actor=user_a, deal=deal_a, originator=originator_b)
    assert caught.value.code == "invalid"
    deal_a.refresh_from_db()
    assert deal_a.originator_id == user_a.originator_id


def test_deal_create_starts_a_draft_with_its_first_audit_event(user_a):
    deal = services.deal_create(
        actor=user_a, name="Toll data ABS", deal_type="licence_revenue", target_size=Decimal("300000000"),
        tenor_months=36, exchange="SSE", manager="CITIC Securities",
    )  # fmt: skip
    assert deal.status == DealStatus.DRAFT
    assert deal.originator_id == user_a.originator_id
    event = deal.audit_events.get()
    assert (event.sequence, event.from_status, event.to_status, event.actor) == (1, "", "draft", user_a)


def test_deal_create_cannot_start_past_draft(user_a):
    with pytest.raises(DomainError) as caught:
        services.deal_create(
            actor=user_a, name="Shortcut", deal_type="licence_revenue", target_size=Decimal("1000"),
            tenor_months=12, exchange="SSE", manager="X", status=DealStatus.PUBLISHED,
        )  # fmt: skip
    assert caught.value.code == "invalid"
    assert not Deal.objects.filter(name="Shortcut").exists()


@pytest.mark.parametrize("who", ["compliance_user", "arranger_user", "investor_staff"])
def test_only_originator_staff_file_deals(who, request):
    with pytest.raises(DomainError) as caught:
        services.deal_create(
            actor=request.getfixturevalue(who), name="Not mine", deal_type="licence_revenue",
            target_size=Decimal("1000"), tenor_months=12, exchange="SSE", manager="X",
        )  # fmt: skip
    assert caught.value.code == "forbidden"
    assert not Deal.objects.exists()


# --- changing a part ------------------------------------------------------------------------------------------


def _last_event(deal: Deal):
    return deal.audit_events.order_by("-sequence").first()


def test_pool_asset_update_changes_the_claim_and_its_data_assets_and_records_what_changed(user_a, deal_a, asset_a):
    pool_asset = deal_a.pool_assets.get()
    old_asset = pool_asset.data_assets.get()
    services.pool_asset_update(
        actor=user_a,
        pool_asset=pool_asset,
        principal=Decimal("110000000.00"),
        collateral_kind="receivables",
        collateral_value=Decimal("5000000.00"),
        data_assets=[asset_a],
    )
    pool_asset.refresh_from_db()
    assert pool_asset.principal == Decimal("110000000.00")
    assert (pool_asset.collateral_kind, pool_asset.collateral_value) == ("receivables", Decimal("5000000.00"))
    assert list(pool_asset.data_assets.all()) == [asset_a]
    event = _last_event(deal_a)
    assert (event.action, event.from_status, event.to_status) == ("pool_asset_changed", "draft", "draft")
    assert json.loads(event.reason) == {
        "id": pool_asset.pk,
        "name": pool_asset.obligor,
        "changes": {
            "principal": ["100000000.00", "110000000.00"],
            "collateral_kind": ["none", "receivables"],
            "collateral_value": ["0.00", "5000000.00"],
            "data_assets": [[old_asset.name], ["Highway toll transactions"]],
        },
    }


def test_pool_asset_update_without_data_assets_keeps_them(user_a, deal_a):
    pool_asset = deal_a.pool_assets.get()
    linked = list(pool_asset.data_assets.all())
    services.pool_asset_update(actor=user_a, pool_asset=pool_asset, obligor_city="Shenzhen")
    assert list(pool_asset.data_assets.all()) == linked


def test_pool_asset_update_that_fails_validation_saves_nothing_and_records_nothing(user_a, deal_a):
    pool_asset = deal_a.pool_assets.get()
    events = deal_a.audit_events.count()
    with pytest.raises(DomainError) as caught:
        # Other collateral needs its value, and a probability is at most 1: both named at once.
        services.pool_asset_update(
            actor=user_a, pool_asset=pool_asset, collateral_kind="real_estate", default_probability=Decimal("1.5")
        )
    assert caught.value.code == "invalid"
    assert {"collateral_value", "default_probability"} <= set(caught.value.fields)
    pool_asset.refresh_from_db()
    assert (pool_asset.collateral_kind, pool_asset.default_probability) == ("none", Decimal("0"))
    assert deal_a.audit_events.count() == events


def test_pool_asset_update_refuses_another_companys_data_asset_and_keeps_the_links(user_a, deal_a, asset_b):
    pool_asset = deal_a.pool_assets.get()
    linked = list(pool_asset.data_assets.all())
    with pytest.raises(DomainError) as caught:
        services.pool_asset_update(actor=user_a, pool_asset=pool_asset, obligor="Renamed", data_assets=[asset_b])
    assert "data_assets" in caught.value.fields
    pool_asset.refresh_from_db()
    assert pool_asset.obligor != "Renamed"
    assert list(pool_asset.data_assets.all()) == linked


def test_an_update_that_changes_nothing_records_no_event(user_a, deal_a):
    tranche = deal_a.tranches.get(name="A")
    events = deal_a.audit_events.count()
    services.tranche_update(actor=user_a, tranche=tranche, coupon=Decimal("0.021"), name="A")  # 0.021 == 0.0210
    services.deal_update(actor=user_a, deal=deal_a, manager=deal_a.manager)
    assert deal_a.audit_events.count() == events


def test_a_blank_cash_source_is_derived_from_the_kind_and_the_deal_type(user_a, deal_a):
    pool_asset = deal_a.pool_assets.get()
    services.pool_asset_update(actor=user_a, pool_asset=pool_asset, cash_source="")
    pool_asset.refresh_from_db()
    assert pool_asset.cash_source == "data_generated"  # a licence stream's cash is generated by the data


def test_a_claim_made_data_secured_is_read_as_repaid_from_operating_revenue_unless_it_says_otherwise(user_a):
    deal = submittable_deal(user_a, deal_type="data_pledge")
    loan = deal.pool_assets.get()
    services.pool_asset_update(actor=user_a, pool_asset=loan, repayment_source="data_revenue")
    services.pool_asset_update(actor=user_a, pool_asset=loan, cash_source="data_secured", rate=Decimal("0.0600"))
    loan.refresh_from_db()
    assert loan.repayment_source == "data_revenue"  # the stated source stays
    other = services.pool_asset_create(
        actor=user_a, deal=deal, cash_source="data_secured", **pool_fields() | {"kind": PoolAssetKind.LOAN}
    )
    assert other.repayment_source == "operating_revenue"


def test_tranche_update_refuses_the_valuations_outputs(user_a, deal_a):
    tranche = deal_a.tranches.get(name="A")
    with pytest.raises(DomainError) as caught:
        services.tranche_update(actor=user_a, tranche=tranche, implied_rating="AAA", product_risk_level="R1")
    assert caught.value.code == "invalid"
    assert set(caught.value.fields) == {"implied_rating", "product_risk_level"}
    tranche.refresh_from_db()
    assert (tranche.implied_rating, tranche.product_risk_level) == ("", "")


def test_tranche_update_refuses_a_priority_another_tranche_holds(user_a, deal_a):
    senior = deal_a.tranches.get(name="A")
    with pytest.raises(DomainError) as caught:
        services.tranche_update(actor=user_a, tranche=senior, payment_priority=2, size=Decimal("1"))
    assert caught.value.code == "invalid"
    senior.refresh_from_db()
    assert (senior.payment_priority, senior.size) == (1, Decimal("90000000.00"))


def test_tranche_update_records_the_name_it_had(user_a, deal_a):
    senior = deal_a.tranches.get(name="A")
    services.tranche_update(actor=user_a, tranche=senior, name="Senior A")
    reason = json.loads(_last_event(deal_a).reason)
    assert (reason["name"], reason["changes"]) == ("A", {"name": ["A", "Senior A"]})


def test_a_reserve_turned_into_an_undertaking_needs_its_provider_type(user_a, deal_a):
    reserve = services.credit_enhancement_create(actor=user_a, deal=deal_a, kind="reserve_account", amount=Decimal(1))
    with pytest.raises(DomainError) as caught:
        services.credit_enhancement_update(actor=user_a, credit_enhancement=reserve, kind="shortfall_undertaking")
    assert "guarantor_type" in caught.value.fields
    services.credit_enhancement_update(
        actor=user_a, credit_enhancement=reserve, kind="shortfall_undertaking", guarantor_type="parent_company",
        covered_classes=["senior"], coverage="ultimate", provider_rating="AA+",
    )  # fmt: skip
    reserve.refresh_from_db()
    assert (reserve.kind, reserve.coverage, reserve.provider_rating) == ("shortfall_undertaking", "ultimate", "AA+")


def test_covered_classes_must_be_tranche_classes(user_a, deal_a):
    enhancement = deal_a.credit_enhancements.get()
    with pytest.raises(DomainError) as caught:
        services.credit_enhancement_update(actor=user_a, credit_enhancement=enhancement, covered_classes=["equity"])
    assert "covered_classes" in caught.value.fields


def test_pledge_update_records_the_filing_and_only_the_filing(user_a, deal_a, asset_a):
    pledge = services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a)
    services.pledge_update(actor=user_a, pledge=pledge, registry_filing_no="PBOC-7", filed_on=dt.date(2026, 10, 1))
    pledge.refresh_from_db()
    assert (pledge.registry_filing_no, pledge.filed_on) == ("PBOC-7", dt.date(2026, 10, 1))
    assert _last_event(deal_a).action == "pledge_changed"
    with pytest.raises(DomainError) as caught:
        services.pledge_update(actor=user_a, pledge=pledge, status=PledgeStatus.RELEASED)
    assert caught.value.code == "invalid"
    assert "status" in caught.value.fields


def test_a_released_pledges_filing_cannot_change(user_a, deal_a, asset_a):
    pledge = services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a, registry_filing_no="PBOC-1")
    services.pledge_release(actor=user_a, pledge=pledge)
    with pytest.raises(DomainError) as caught:
        services.pledge_update(actor=user_a, pledge=pledge, registry_filing_no="PBOC-2")
    assert (caught.value.code, caught.value.status_code) == ("pledge_released", 409)
    pledge.refresh_from_db()
    assert pledge.registry_filing_no == "PBOC-1"


def test_arranger_releasing_a_pledge_of_a_submitted_deal_is_recorded_without_moving_it(
    user_a, arranger_user, deal_a, asset_a
):
    pledge = services.pledge_create(actor=user_a, deal=deal_a, data_asset=asset_a)
    workflow.deal_submit(deal=deal_a, actor=user_a)
    services.pledge_release(actor=arranger_user, pledge=pledge)
    event = _last_event(deal_a)
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "pledge_released", "submitted", "submitted", arranger_user,
    )  # fmt: skip


def test_a_field_the_model_does_not_have_is_refused_not_ignored(user_a, deal_a):
    with pytest.raises(DomainError) as caught:
        services.pool_asset_update(actor=user_a, pool_asset=deal_a.pool_assets.get(), principle=Decimal("1"))
    assert caught.value.code == "invalid"
    assert "principle" in caught.value.fields
