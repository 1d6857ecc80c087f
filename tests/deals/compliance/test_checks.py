"""The automatic findings: each is raised from the data the platform holds, names the asset and the rule, and clears
itself once the data (or the evidence on file) no longer shows the problem."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from deals import workflow
from deals.choices import PledgeStatus
from deals.compliance import services
from deals.compliance.checks import finding_message
from deals.compliance.models import AutomaticFinding
from deals.models import Pledge, PoolAsset
from deals.services import pledge_create, pledge_release
from origination.choices import RightType
from origination.errors import DomainError
from origination.models import DataAsset, DataRight
from tests.factories import DataAssetFactory, DataRightFactory, submittable_deal

from .helpers import (
    LEGAL_MATURITY,
    asset_of,
    in_review,
    item_of,
    make_deal,
    open_findings,
    pdf_upload,
    review_of,
    submitted,
)

pytestmark = pytest.mark.django_db


def test_a_clean_deal_has_no_automatic_finding(user_a):
    deal = submitted(user_a)
    DataRightFactory(data_asset=asset_of(deal), expires_on=dt.date(2035, 1, 1))
    assert open_findings(deal) == set()


# --- data right expiring before the legal maturity -----------------------------------------------------------


def test_right_expiring_before_legal_maturity_is_raised_on_submit_and_cleared_by_a_renewal(user_a):
    deal = make_deal(user_a)
    asset = asset_of(deal)
    DataRightFactory(data_asset=asset, right_type="resource_holding", expires_on=dt.date(2035, 1, 1))
    short = DataRightFactory(data_asset=asset, right_type="processing_use", expires_on=dt.date(2029, 3, 31))
    workflow.deal_submit(deal=deal, actor=user_a)

    finding = review_of(deal).automatic_findings.get(cleared_at__isnull=True)
    assert finding.rule == "right_expires_before_maturity"
    assert finding.data_asset == asset
    assert finding.item.template_item.code == "chain_of_title"
    assert finding.details["certificate_no"] == short.certificate_no
    assert (finding.details["expires_on"], finding.details["maturity"]) == ("2029-03-31", LEGAL_MATURITY.isoformat())

    # The originator registers the renewed right, valid past maturity: the platform clears its own finding.
    DataRightFactory(data_asset=asset, right_type="processing_use", expires_on=dt.date(2032, 3, 31))
    assert open_findings(deal) == set()
    finding.refresh_from_db()
    assert finding.cleared_at is not None


def test_right_expiring_exactly_on_maturity_is_not_a_finding(user_a):
    deal = make_deal(user_a)
    DataRightFactory(data_asset=asset_of(deal), expires_on=LEGAL_MATURITY)
    workflow.deal_submit(deal=deal, actor=user_a)
    assert open_findings(deal) == set()


# --- a data asset pledged to another active deal --------------------------------------------------------------


def test_asset_pledged_to_another_active_deal_is_raised_and_cleared_when_that_pledge_is_released(user_a):
    deal = make_deal(user_a)
    asset = asset_of(deal)
    other = submittable_deal(user_a)
    pledge = pledge_create(
        actor=user_a, deal=other, data_asset=asset, registry_filing_no="F-1", filed_on=dt.date(2026, 1, 5)
    )
    workflow.deal_submit(deal=deal, actor=user_a)

    finding = review_of(deal).automatic_findings.get(cleared_at__isnull=True)
    assert (finding.rule, finding.data_asset) == ("pledged_to_another_deal", asset)
    assert finding.details["other_deal"] == other.name
    assert finding.item.template_item.code == "registration_pledge_filing"

    pledge_release(actor=user_a, pledge=pledge)
    assert open_findings(deal) == set()


def test_a_pledge_to_a_withdrawn_deal_does_not_count(user_a):
    deal = make_deal(user_a)
    other = submittable_deal(user_a)
    pledge_create(
        actor=user_a, deal=other, data_asset=asset_of(deal), registry_filing_no="F-1", filed_on=dt.date(2026, 1, 5)
    )
    workflow.deal_submit(deal=deal, actor=user_a)
    assert {rule for rule, _asset in open_findings(deal)} == {"pledged_to_another_deal"}

    workflow.deal_withdraw(deal=other, actor=user_a, reason="Merged into the other deal.")
    assert open_findings(deal) == set()


# --- pledge with no registry filing ---------------------------------------------------------------------------


def test_unfiled_pledge_is_raised_and_cleared_when_the_originator_pledges_it_again_with_the_filing(
    user_a, compliance_user
):
    deal = make_deal(user_a)
    asset = asset_of(deal)
    pledge = pledge_create(actor=user_a, deal=deal, data_asset=asset)  # no filing number, no date
    workflow.deal_submit(deal=deal, actor=user_a)
    assert open_findings(deal) == {("pledge_not_filed", asset.name)}

    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="File the pledge.")
    pledge_release(actor=user_a, pledge=pledge)
    pledge_create(
        actor=user_a, deal=deal, data_asset=asset, registry_filing_no="0123456789", filed_on=dt.date(2026, 2, 1)
    )
    assert open_findings(deal) == set()
    assert Pledge.objects.filter(deal=deal, status=PledgeStatus.ACTIVE).get().registry_filing_no == "0123456789"


# --- a data asset missing one of its three rights --------------------------------------------------------------


def test_a_right_that_was_never_registered_is_raised_and_cleared_once_registered(user_a, compliance_user):
    deal = make_deal(user_a)
    asset = asset_of(deal)
    DataRight.objects.filter(data_asset=asset, right_type="product_operation").delete()
    workflow.deal_submit(deal=deal, actor=user_a)  # a title problem is the review's finding, not a refused submit

    finding = review_of(deal).automatic_findings.get(cleared_at__isnull=True)
    assert (finding.rule, finding.data_asset, finding.severity) == ("right_missing", asset, "high")
    assert finding.item.template_item.code == "chain_of_title"
    assert finding_message(finding) == (
        f"Data product operation right of “{asset.name}” is not registered: a deal needs all three rights to its "
        "data (the Data 20 Articles, arts. (3) to (5))."
    )
    # The officer cannot pass the chain of title while the right is missing.
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    with pytest.raises(DomainError) as refused:
        services.item_assess(actor=compliance_user, item=item_of(deal, "chain_of_title"), outcome="pass")
    assert refused.value.code == "automatic_findings_open"

    DataRightFactory(data_asset=asset, right_type="product_operation", expires_on=dt.date(2035, 1, 1))
    assert open_findings(deal) == set()


def test_every_missing_right_of_every_asset_behind_the_deal_is_named(user_a):
    deal = make_deal(user_a)
    pledged = DataAssetFactory(originator=user_a.originator, name="Pledged but unregistered")
    pledge_create(actor=user_a, deal=deal, data_asset=pledged, registry_filing_no="F-9", filed_on=dt.date(2026, 3, 1))
    workflow.deal_submit(deal=deal, actor=user_a)
    missing = review_of(deal).automatic_findings.filter(rule="right_missing")
    assert sorted(missing.values_list("details__right_type", flat=True)) == sorted(RightType.values)
    assert {f.data_asset for f in missing} == {pledged}


def test_an_expired_right_is_expiring_not_missing(user_a):
    deal = make_deal(user_a)
    DataRightFactory(
        data_asset=asset_of(deal), right_type="resource_holding", issued_on=dt.date(2018, 1, 1),
        expires_on=dt.date(2025, 1, 1),
    )  # fmt: skip
    workflow.deal_submit(deal=deal, actor=user_a)
    assert {rule for rule, _asset in open_findings(deal)} == {"right_expires_before_maturity"}


# --- a data-secured claim whose data is not pledged to the deal -------------------------------------------------


def _pledge_deal_with_its_pledge_released(user):
    deal = submittable_deal(user, deal_type="data_pledge")
    pledge_release(actor=user, pledge=deal.pledges.get())
    return deal


def test_a_data_secured_claim_without_a_pledge_is_raised_and_cleared_by_pledging_its_data(user_a, compliance_user):
    deal = _pledge_deal_with_its_pledge_released(user_a)
    claim = deal.pool_assets.get()
    asset = claim.data_assets.get()
    workflow.deal_submit(deal=deal, actor=user_a)

    finding = review_of(deal).automatic_findings.get(cleared_at__isnull=True)
    assert (finding.rule, finding.subject, finding.data_asset) == (
        "data_secured_not_pledged",
        f"claim:{claim.pk}",
        asset,
    )
    assert finding.item.template_item.code == "registration_pledge_filing"
    assert finding_message(finding) == (
        f"The claim on “{claim.obligor}” is secured by data, but none of its data assets ({asset.name}) has an "
        "active pledge to this deal: pledge it and file the pledge (Civil Code art. 440)."
    )

    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Pledge the data.")
    pledge_create(actor=user_a, deal=deal, data_asset=asset, registry_filing_no="F-2", filed_on=dt.date(2026, 3, 1))
    assert open_findings(deal) == set()


def test_a_pledge_of_the_data_to_another_deal_does_not_secure_this_claim(user_a):
    deal = _pledge_deal_with_its_pledge_released(user_a)
    asset = deal.pool_assets.get().data_assets.get()
    other = submittable_deal(user_a)
    pledge_create(actor=user_a, deal=other, data_asset=asset, registry_filing_no="F-3", filed_on=dt.date(2026, 3, 1))
    workflow.deal_submit(deal=deal, actor=user_a)
    rules = {rule for rule, _asset in open_findings(deal)}
    assert rules == {"data_secured_not_pledged", "pledged_to_another_deal"}


def test_a_data_secured_claim_linked_to_no_data_asset_is_raised_too(user_a):
    deal = submittable_deal(user_a, deal_type="data_pledge")
    bare = PoolAsset.objects.create(
        deal=deal, obligor="Unsecured Borrower", kind="loan", principal=Decimal("1"), maturity_date=dt.date(2029, 1, 1),
        cash_source="data_secured", repayment_source="operating_revenue",
    )  # fmt: skip
    workflow.deal_submit(deal=deal, actor=user_a)
    finding = review_of(deal).automatic_findings.get(cleared_at__isnull=True)
    assert (finding.subject, finding.data_asset) == (f"claim:{bare.pk}", None)
    assert "no data asset is linked to it" in finding_message(finding)


def test_only_data_secured_claims_need_a_pledge(user_a):
    for deal_type in ("licence_revenue", "empowerment"):
        deal = workflow.deal_submit(deal=submittable_deal(user_a, deal_type=deal_type), actor=user_a)
        assert not deal.pledges.exists()
        assert open_findings(deal) == set()


# --- documents the data calls for -----------------------------------------------------------------------------

DOCUMENT_RULES = [
    # (asset attributes, rule raised, the item whose evidence clears it)
    ({"classification_grade": "important"}, "risk_assessment_missing", "classification_risk_assessment"),
    ({"classification_grade": "core"}, "risk_assessment_missing", "classification_risk_assessment"),
    ({"has_personal_info": True}, "pipia_missing", "pipia"),
    ({"cross_border_flow": True}, "cross_border_mechanism_missing", "cross_border"),
]


@pytest.mark.parametrize(("flags", "rule", "code"), DOCUMENT_RULES)
def test_missing_document_is_raised_and_cleared_by_filing_it_on_its_item(user_a, flags, rule, code):
    deal = submitted(user_a, **flags)
    asset = asset_of(deal)
    assert open_findings(deal) == {(rule, asset.name)}
    finding = review_of(deal).automatic_findings.get()
    assert (finding.data_asset, finding.item.template_item.code) == (asset, code)

    services.evidence_add(actor=user_a, item=item_of(deal, code), uploaded_file=pdf_upload(), data_asset=asset)
    assert open_findings(deal) == set()


def test_sensitive_personal_information_needs_a_pipia_and_separate_consent(user_a):
    deal = submitted(user_a, has_personal_info=True, has_sensitive_personal_info=True)
    name = asset_of(deal).name
    assert open_findings(deal) == {("pipia_missing", name), ("separate_consent_missing", name)}

    services.evidence_add(actor=user_a, item=item_of(deal, "separate_consent"), uploaded_file=pdf_upload())
    assert open_findings(deal) == {("pipia_missing", name)}
    services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload("pipia.pdf", "pipia"))
    assert open_findings(deal) == set()


def test_a_document_covering_another_asset_does_not_clear_the_finding(user_a):
    deal = submitted(user_a, has_personal_info=True)
    other_asset = submittable_deal(user_a).pool_assets.get().data_assets.get()
    # The other asset does not back this deal: the service refuses to file a document for it here.
    with pytest.raises(DomainError, match="does not back this deal"):
        services.evidence_add(
            actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload(), data_asset=other_asset
        )
    services.evidence_add(actor=user_a, item=item_of(deal, "minimum_necessity"), uploaded_file=pdf_upload())
    assert {rule for rule, _ in open_findings(deal)} == {"pipia_missing"}  # a document on another item does not count


def test_withdrawing_the_document_raises_the_finding_again_as_a_new_record(user_a):
    deal = submitted(user_a, has_personal_info=True)
    evidence = services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    assert open_findings(deal) == set()

    services.evidence_withdraw(actor=user_a, evidence=evidence)
    assert open_findings(deal) == {("pipia_missing", asset_of(deal).name)}
    history = list(AutomaticFinding.objects.filter(review__deal=deal, rule="pipia_missing").order_by("raised_at", "pk"))
    assert [f.cleared_at is None for f in history] == [False, True]  # the first stays on record as cleared


def test_findings_of_a_decided_review_stay_as_they_stood_at_the_decision(user_a, compliance_user):
    deal = in_review(user_a, compliance_user, has_personal_info=True)
    workflow.deal_reject(deal=deal, actor=compliance_user, reason="No lawful basis for the location data.")
    DataAsset.objects.filter(pk=asset_of(deal).pk).update(has_personal_info=False)  # the data changes afterwards
    assert open_findings(deal) == {("pipia_missing", asset_of(deal).name)}


def test_each_finding_names_the_asset_and_the_rule_in_its_message(user_a):
    deal = make_deal(user_a, classification_grade="important", name="Port berth schedule data")
    short = DataRightFactory(data_asset=asset_of(deal), right_type="product_operation", expires_on=dt.date(2028, 1, 31))
    workflow.deal_submit(deal=deal, actor=user_a)

    messages = sorted(finding_message(f) for f in review_of(deal).automatic_findings.all())
    assert messages == [
        "Data product operation right of “Port berth schedule data” (certificate "
        f"{short.certificate_no}) expires on 2028-01-31, before the deal's legal maturity "
        "on 2030-06-30.",
        "“Port berth schedule data” is graded “Important data” and no risk assessment report is on file (DSL art. 30).",
    ]
