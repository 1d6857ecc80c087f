"""Facts under review do not change silently (issue 9, point 3; docs/frozen_facts.md).

Each attack of the issue, through the services: an originator flips a privacy
fact of a data asset, or takes away one of its rights, after the deal relying
on it was approved or issued.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import translation

from deals import services as deal_services
from deals import workflow
from deals.audit import audit_reason_text, audit_verify
from deals.choices import DealStatus, DealType, PledgeStatus
from deals.compliance.choices import FactChangeOutcome, FindingRule
from deals.compliance.models import AutomaticFinding, ComplianceReview, FactChange
from deals.compliance.services import fact_change_resolve, review_refresh
from deals.facts import facts_differences
from deals.models import Deal, ValuationRun
from investors.models import Allocation
from investors.selectors import fact_notices_for
from origination.errors import DomainError
from origination.models import DataAsset, DataRight
from origination.services import data_asset_update, data_right_create, data_right_delete, data_right_revoke

from .frozen_helpers import asset_of, deal_in_state, last_events, right_of

pytestmark = pytest.mark.django_db
S = DealStatus


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def walk(user_a, compliance_user, arranger_user, investor_staff):
    """`walk(status)`: a deal of company A walked to `status` (issued: investor Ivy holds 10 m of its senior notes)."""

    def _walk(status: str, **kwargs) -> Deal:
        return deal_in_state(
            status, originator=user_a, officer=compliance_user, arranger=arranger_user, investor=investor_staff,
            **kwargs,
        )  # fmt: skip

    return _walk


# --- the attacks ----------------------------------------------------------------------------------------------


def test_flipping_personal_info_after_approval_reopens_the_review_and_says_why(walk, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    asset = asset_of(deal)
    data_asset_update(actor=user_a, data_asset=asset, has_personal_info=True)

    deal.refresh_from_db()
    assert deal.status == S.SUBMITTED  # back in the compliance queue
    assert last_events(deal, 2) == [
        ("data_asset_changed", S.COMPLIANCE_APPROVED, S.COMPLIANCE_APPROVED),
        ("reopen_review", S.COMPLIANCE_APPROVED, S.SUBMITTED),
    ]
    change_event, reopen_event = deal.audit_events.order_by("-sequence")[:2][::-1]
    assert change_event.actor == user_a
    assert reopen_event.actor is None  # the platform made the move
    # Stored language-neutral: the asset, the field, old and new.
    params = json.loads(reopen_event.reason)
    assert params["change"] == "data_asset_changed"
    assert params["id"] == asset.pk
    assert params["changes"] == {"has_personal_info": [False, True]}
    why = audit_reason_text("reopen_review", reopen_event.reason)
    assert f"data asset “{asset.name}” (#{asset.pk})" in why
    assert "Holds personal information from no to yes" in why
    with translation.override("zh-hans"):
        assert "包含个人信息由“否”改为“是”" in audit_reason_text("reopen_review", reopen_event.reason)
    assert audit_verify(deal_ids=[deal.pk]).ok

    # The review shows the fact as reviewed and now, and the platform now asks for the PIPIA.
    review = ComplianceReview.objects.get(deal=deal)
    assert [(d.field, d.as_reviewed, d.now) for d in facts_differences(review=review)] == [
        ("Holds personal information", "no", "yes")
    ]
    assert review.automatic_findings.filter(rule=FindingRule.PIPIA_MISSING, cleared_at__isnull=True).exists()
    change = FactChange.objects.get(deal=deal)
    assert (change.outcome, change.is_open, change.actor) == (FactChangeOutcome.REVIEW_REOPENED, True, user_a)
    # The old facts are kept: the version before the change still says "no personal information".
    versions = list(DataAsset.history.filter(id=asset.pk).order_by("history_id"))
    assert [v.has_personal_info for v in versions[-2:]] == [False, True]
    assert change.version == versions[-1].history_id


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("cross_border_flow", True, "Cross-border flow from no to yes"),
        ("deidentification_method", "none any more", "De-identification method from"),
        ("has_personal_info", True, "Holds personal information from no to yes"),
    ],
)
@pytest.mark.parametrize("status", [S.IN_REVIEW, S.COMPLIANCE_APPROVED, S.VALUED, S.PUBLISHED, S.BOOK_BUILDING])
def test_a_privacy_fact_changed_in_review_or_after_approval_reopens_the_review(
    walk, user_a, status, field, value, label
):
    deal = walk(status)
    data_asset_update(actor=user_a, data_asset=asset_of(deal), **{field: value})
    deal.refresh_from_db()
    assert deal.status == S.SUBMITTED
    reopen = deal.audit_events.order_by("-sequence").first()
    assert (reopen.action, reopen.from_status) == ("reopen_review", status)
    assert label in audit_reason_text(reopen.action, reopen.reason)


def test_a_change_while_a_valuation_runs_reopens_the_review_and_closes_the_run(walk, user_a):
    deal = walk(S.VALUING)
    run = ValuationRun.objects.create(deal=deal, status="running", claim_token=uuid.uuid4())
    data_asset_update(actor=user_a, data_asset=asset_of(deal), cross_border_flow=True)
    deal.refresh_from_db()
    run.refresh_from_db()
    assert deal.status == S.SUBMITTED
    assert (run.status, run.claim_token) == ("failed", None)
    assert "facts the valuation used changed" in run.error


@pytest.mark.parametrize("status", [S.SUBMITTED, S.CHANGES_REQUESTED])
def test_a_change_while_waiting_for_review_or_sent_back_is_recorded_for_the_review(walk, user_a, status):
    deal = walk(status)
    data_asset_update(actor=user_a, data_asset=asset_of(deal), has_personal_info=True)
    deal.refresh_from_db()
    assert deal.status == status
    assert last_events(deal, 1) == [("data_asset_changed", status, status)]
    assert FactChange.objects.get(deal=deal).outcome == FactChangeOutcome.RECORDED


@pytest.mark.parametrize("status", [S.DRAFT, S.WITHDRAWN])
def test_a_change_to_the_asset_of_a_draft_or_withdrawn_deal_is_not_recorded_on_it(walk, user_a, status):
    deal = walk(S.DRAFT)
    if status == S.WITHDRAWN:
        workflow.deal_withdraw(deal=deal, actor=user_a, reason="Postponed.")
    events = deal.audit_events.count()
    data_asset_update(actor=user_a, data_asset=asset_of(deal), has_personal_info=True)
    assert deal.audit_events.count() == events
    assert not FactChange.objects.exists()


def test_saving_an_asset_unchanged_records_nothing(walk, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    asset = asset_of(deal)
    versions = DataAsset.history.filter(id=asset.pk).count()
    data_asset_update(actor=user_a, data_asset=asset, has_personal_info=False, name=asset.name)
    deal.refresh_from_db()
    assert deal.status == S.COMPLIANCE_APPROVED
    assert DataAsset.history.filter(id=asset.pk).count() == versions
    assert not FactChange.objects.exists()


def test_flipping_personal_info_after_issue_raises_a_finding_and_a_notice_to_the_investors(
    walk, user_a, compliance_user, investor_staff, user_b
):
    deal = walk(S.ISSUED)
    assert Allocation.objects.filter(investor=investor_staff.investor, tranche__deal=deal, amount__gt=0).exists()
    asset = asset_of(deal)
    data_asset_update(actor=user_a, data_asset=asset, has_personal_info=True)

    deal.refresh_from_db()
    assert deal.status == S.ISSUED
    assert last_events(deal, 1) == [("data_asset_changed", S.ISSUED, S.ISSUED)]
    assert audit_verify(deal_ids=[deal.pk]).ok
    change = FactChange.objects.get(deal=deal)
    assert change.outcome == FactChangeOutcome.FINDING_RAISED
    finding = change.finding
    assert (finding.rule, finding.severity, finding.is_open) == (FindingRule.FACTS_CHANGED_AFTER_ISSUE, "high", True)
    assert finding.review.deal_id == deal.pk
    # The investor holding the notes sees the notice; another investor, or a company with no stake, does not.
    notices = fact_notices_for(investor_staff, deal)
    assert [n.pk for n in notices] == [change.pk]
    assert fact_notices_for(user_b, deal) == []
    # The platform's checks never clear it; the officer closes it with what was done.
    review_refresh(review=finding.review)
    finding.refresh_from_db()
    assert finding.is_open
    fact_change_resolve(actor=compliance_user, fact_change=change, resolution="PIPIA filed on 2026-11-25.")
    finding.refresh_from_db()
    change.refresh_from_db()
    assert not finding.is_open
    assert (change.resolved_by, change.resolution) == (compliance_user, "PIPIA filed on 2026-11-25.")


def test_only_compliance_closes_a_finding_of_a_change_after_issue(walk, user_a, arranger_user):
    deal = walk(S.ISSUED)
    data_asset_update(actor=user_a, data_asset=asset_of(deal), cross_border_flow=True)
    change = FactChange.objects.get(deal=deal)
    for actor in (user_a, arranger_user):
        with pytest.raises(DomainError) as caught:
            fact_change_resolve(actor=actor, fact_change=change, resolution="Fine.")
        assert caught.value.status_code == 403
    assert AutomaticFinding.objects.get(pk=change.finding_id).is_open


@pytest.mark.parametrize(
    "status", [S.SUBMITTED, S.IN_REVIEW, S.COMPLIANCE_APPROVED, S.PUBLISHED, S.BOOK_BUILDING, S.ISSUED]
)
def test_deleting_a_right_a_submitted_deal_relies_on_is_refused(walk, user_a, status):
    deal = walk(status)
    right = right_of(deal)
    events = deal.audit_events.count()
    with pytest.raises(DomainError) as caught:
        data_right_delete(actor=user_a, data_right=right)
    assert (caught.value.code, caught.value.status_code) == ("right_backs_submitted_deal", 409)
    assert f"certificate {right.certificate_no}" in caught.value.detail
    assert f"“{deal.name}”" in caught.value.detail
    assert "Revoke it instead" in caught.value.detail
    assert DataRight.objects.filter(pk=right.pk).exists()
    assert deal.audit_events.count() == events


def test_a_right_of_a_draft_deal_may_be_deleted(walk, user_a):
    deal = walk(S.DRAFT)
    right = right_of(deal)
    data_right_delete(actor=user_a, data_right=right)
    assert not DataRight.objects.filter(pk=right.pk).exists()
    assert DataRight.history.filter(id=right.pk, history_type="-").exists()  # the deleted right stays on record


def test_deleting_a_right_of_a_deal_sent_back_is_recorded_for_its_review(walk, user_a):
    deal = walk(S.CHANGES_REQUESTED)
    data_right_delete(actor=user_a, data_right=right_of(deal))
    assert last_events(deal, 1) == [("data_right_removed", S.CHANGES_REQUESTED, S.CHANGES_REQUESTED)]


def test_revoking_a_right_after_approval_reopens_the_review_and_the_right_counts_as_missing(walk, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    right = right_of(deal)
    data_right_revoke(actor=user_a, data_right=right, reason="Registration cancelled by the exchange.")
    right.refresh_from_db()
    deal.refresh_from_db()
    assert right.is_revoked
    assert deal.status == S.SUBMITTED
    reopen = deal.audit_events.order_by("-sequence").first()
    assert f"Revoked data processing and use right of “{asset_of(deal).name}”" in audit_reason_text(
        reopen.action, reopen.reason
    )
    review = ComplianceReview.objects.get(deal=deal)
    assert review.automatic_findings.filter(rule=FindingRule.RIGHT_MISSING, cleared_at__isnull=True).exists()


def test_revoking_a_right_after_issue_raises_a_finding(walk, user_a):
    deal = walk(S.ISSUED)
    data_right_revoke(actor=user_a, data_right=right_of(deal), reason="Recorded in error.")
    change = FactChange.objects.get(deal=deal)
    assert (change.action, change.outcome) == ("data_right_revoked", FactChangeOutcome.FINDING_RAISED)


def test_a_revocation_needs_a_reason_and_happens_once(walk, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    right = right_of(deal)
    with pytest.raises(DomainError) as caught:
        data_right_revoke(actor=user_a, data_right=right, reason="  ")
    assert caught.value.code == "reason_required"
    data_right_revoke(actor=user_a, data_right=right, reason="Cancelled.")
    with pytest.raises(DomainError) as caught:
        data_right_revoke(actor=user_a, data_right=right, reason="Again.")
    assert (caught.value.code, caught.value.status_code) == ("right_revoked", 409)


def test_registering_a_right_after_approval_reopens_the_review(walk, user_a):
    deal = walk(S.COMPLIANCE_APPROVED)
    asset = asset_of(deal)
    data_right_create(
        actor=user_a, data_asset=asset, right_type="product_operation", holder="Somebody else",
        certificate_no="SZDE-2026-777777", registry="Shenzhen Data Exchange", registry_type="data_exchange",
        issued_on="2026-01-01", expires_on="2036-01-01",
    )  # fmt: skip
    deal.refresh_from_db()
    assert deal.status == S.SUBMITTED
    assert last_events(deal, 2)[0] == ("data_right_added", S.COMPLIANCE_APPROVED, S.COMPLIANCE_APPROVED)


def test_a_right_cannot_be_recorded_as_already_revoked(user_a):
    from tests.factories import DataAssetFactory

    asset = DataAssetFactory(originator=user_a.originator)
    with pytest.raises(DomainError) as caught:
        data_right_create(
            actor=user_a, data_asset=asset, right_type="resource_holding", holder="A", certificate_no="X-1",
            registry="R", registry_type="data_exchange", issued_on="2026-01-01", expires_on="2030-01-01",
            revoked_at="2026-02-01T00:00:00Z",
        )  # fmt: skip
    assert "revoked_at" in caught.value.fields
    assert not DataRight.objects.filter(data_asset=asset).exists()


def test_a_change_reaches_every_deal_the_asset_backs(user_a, compliance_user, arranger_user, investor_staff):
    approved = deal_in_state(S.COMPLIANCE_APPROVED, originator=user_a, officer=compliance_user, arranger=arranger_user)
    asset = asset_of(approved)
    issued = deal_in_state(
        S.ISSUED, originator=user_a, officer=compliance_user, arranger=arranger_user, investor=investor_staff
    )
    issued.pool_assets.get().data_assets.add(asset)  # the same data backs both deals
    data_asset_update(actor=user_a, data_asset=asset, classification_grade="important")
    approved.refresh_from_db()
    issued.refresh_from_db()
    assert approved.status == S.SUBMITTED
    assert issued.status == S.ISSUED
    assert {(c.deal_id, c.outcome) for c in FactChange.objects.all()} == {
        (approved.pk, FactChangeOutcome.REVIEW_REOPENED),
        (issued.pk, FactChangeOutcome.FINDING_RAISED),
    }


def test_approval_takes_the_changed_facts_into_the_review(walk, user_a, compliance_user):
    from tests.deals.compliance.helpers import pass_review

    deal = walk(S.COMPLIANCE_APPROVED)
    data_asset_update(actor=user_a, data_asset=asset_of(deal), description="Tolls of 2026 too.")
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    pass_review(deal, officer=compliance_user)
    workflow.deal_approve(deal=deal, actor=compliance_user)
    review = ComplianceReview.objects.get(deal=deal)
    assert facts_differences(review=review) == []
    assert FactChange.objects.get(deal=deal).resolution == "approved"


# --- pledges ---------------------------------------------------------------------------------------------------


def test_releasing_the_pledge_of_an_approved_data_pledge_deal_reopens_its_review(walk, arranger_user):
    deal = walk(S.COMPLIANCE_APPROVED, deal_type=DealType.DATA_PLEDGE)
    pledge = deal.pledges.get()
    deal_services.pledge_release(actor=arranger_user, pledge=pledge)
    deal.refresh_from_db()
    assert deal.status == S.SUBMITTED
    assert last_events(deal, 2)[0] == ("pledge_released", S.COMPLIANCE_APPROVED, S.COMPLIANCE_APPROVED)
    review = ComplianceReview.objects.get(deal=deal)
    assert [(d.field, d.as_reviewed, d.now) for d in facts_differences(review=review)] == [
        ("Status", "Active", "Released")
    ]


def test_releasing_the_pledge_of_an_issued_deal_raises_a_finding(walk, arranger_user):
    deal = walk(S.ISSUED, deal_type=DealType.DATA_PLEDGE)
    deal_services.pledge_release(actor=arranger_user, pledge=deal.pledges.get())
    assert deal.pledges.get().status == PledgeStatus.RELEASED
    assert FactChange.objects.get(deal=deal).outcome == FactChangeOutcome.FINDING_RAISED


# --- the platform's move --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["user_a", "compliance_user", "arranger_user"])
def test_no_user_can_reopen_a_review_by_name(walk, request, who):
    deal = walk(S.COMPLIANCE_APPROVED)
    with pytest.raises(DomainError) as caught:
        workflow.deal_move(deal=deal, action="reopen_review", actor=request.getfixturevalue(who), reason="x")
    assert caught.value.status_code == 403
    deal.refresh_from_db()
    assert deal.status == S.COMPLIANCE_APPROVED
    assert "reopen_review" not in {
        t.action for t in workflow.available_transitions(deal=deal, actor=request.getfixturevalue(who))
    }
