"""The review's life: built from the current template on submit, answered in versions, assessed by the officer,
and decided through workflow moves; approval is refused while any condition precedent is open."""

from __future__ import annotations

import datetime as dt

import pytest

from deals import workflow
from deals.audit import audit_verify
from deals.choices import DealStatus
from deals.compliance import services
from deals.compliance.models import ChecklistTemplate, ChecklistTemplateItem, ItemAnswer, ItemAssessment
from origination.errors import DomainError
from tests.factories import DataRightFactory

from .helpers import asset_of, in_review, item_of, make_deal, pass_review, pdf_upload, review_of, submitted

pytestmark = pytest.mark.django_db

# docs/compliance.md: the items every checklist covers, by the code the template gives them.
DESIGN_ITEMS = {
    "pi_lawful_basis", "separate_consent", "pipia", "deidentification", "minimum_necessity",
    "classification_risk_assessment", "cross_border", "chain_of_title", "registration_pledge_filing", "mlps",
    "true_sale", "legal_opinion",
}  # fmt: skip


@pytest.mark.parametrize("deal_type", ["licence_revenue", "data_pledge", "empowerment"])
def test_version_1_of_each_deal_types_checklist_covers_every_design_item_in_both_languages(deal_type):
    template = ChecklistTemplate.objects.get(deal_type=deal_type, version=1)
    items = {item.code: item for item in template.items.all()}
    assert set(items) >= DESIGN_ITEMS
    assert template.notes == "Version 1: the items of docs/compliance.md."  # a file in the repository
    for item in items.values():
        for field in ("title", "question", "legal_basis", "evidence_required"):
            assert getattr(item, f"{field}_zh"), (item.code, field)
            assert getattr(item, f"{field}_en"), (item.code, field)
        assert item.answered_by
    assert "第十三条" in items["pi_lawful_basis"].legal_basis_zh
    assert "13" in items["pi_lawful_basis"].legal_basis_en
    assert "第五十五条" in items["pipia"].legal_basis_zh
    assert "第三十八条" in items["cross_border"].legal_basis_zh
    assert "GB/T 43697-2024" in items["classification_risk_assessment"].legal_basis_zh
    assert "第三十条" in items["classification_risk_assessment"].legal_basis_zh
    assert items["legal_opinion"].answered_by == "law_firm"
    assert items["pipia"].condition_precedent
    assert items["chain_of_title"].condition_precedent
    assert not items["mlps"].condition_precedent


def test_empowerment_checklist_adds_automated_decision_making_and_data_pledge_makes_the_filing_a_condition():
    empowerment = ChecklistTemplate.objects.get(deal_type="empowerment", version=1)
    assert empowerment.items.filter(code="automated_decision", legal_basis_zh__contains="第二十四条").exists()
    filing = ChecklistTemplateItem.objects.get(template__deal_type="data_pledge", code="registration_pledge_filing")
    assert filing.condition_precedent


def test_submit_builds_the_review_from_the_current_template_and_resubmission_keeps_the_answers(user_a, compliance_user):
    deal = submitted(user_a)
    review = review_of(deal)
    template = ChecklistTemplate.objects.get(deal_type=deal.deal_type, version=1)
    assert review.template == template
    assert review.items.count() == template.items.count()
    assert review.submissions == 1
    services.item_answer(actor=user_a, item=item_of(deal, "true_sale"), text="Assigned with notice.")

    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Answer the rest.")
    workflow.deal_submit(deal=deal, actor=user_a)
    review.refresh_from_db()
    assert review.submissions == 2
    assert review_of(deal).pk == review.pk
    assert item_of(deal, "true_sale").answers.get().text == "Assigned with notice."


def test_a_new_template_version_does_not_change_a_review_under_way(user_a):
    under_way = submitted(user_a)
    before = list(review_of(under_way).items.values_list("template_item__code", "template_item__title_en"))
    v2 = ChecklistTemplate.objects.create(
        deal_type="licence_revenue",
        version=2,
        title_zh="第二版",
        title_en="Version 2",
        effective_from=dt.date(2027, 1, 1),
    )
    ChecklistTemplateItem.objects.create(
        template=v2, code="pipia", position=1, section="personal_information", title_zh="新", title_en="New PIPIA",
        question_zh="问", question_en="Q", legal_basis_zh="第五十五条", legal_basis_en="art. 55",
        evidence_required_zh="报告", evidence_required_en="Report", answered_by="originator", condition_precedent=True,
    )  # fmt: skip

    assert list(review_of(under_way).items.values_list("template_item__code", "template_item__title_en")) == before
    assert review_of(under_way).template.version == 1
    new = submitted(user_a)
    assert review_of(new).template == v2
    assert list(review_of(new).items.values_list("template_item__title_en", flat=True)) == ["New PIPIA"]


# --- answers --------------------------------------------------------------------------------------------------


def test_answers_are_versioned_and_nothing_replaced_is_lost(user_a):
    deal = submitted(user_a)
    item = item_of(deal, "pi_lawful_basis")
    services.item_answer(actor=user_a, item=item, text="Consent.")
    services.item_answer(actor=user_a, item=item, text="Consent under PIPL art. 13(1), notice per art. 17.")
    assert list(ItemAnswer.objects.filter(item=item).values_list("version", "text")) == [
        (1, "Consent."),
        (2, "Consent under PIPL art. 13(1), notice per art. 17."),
    ]


@pytest.mark.parametrize(("text", "code"), [("   ", "invalid"), ("Consent.", "answer_unchanged")])
def test_an_empty_or_unchanged_answer_is_refused(user_a, text, code):
    deal = submitted(user_a)
    item = item_of(deal, "pi_lawful_basis")
    services.item_answer(actor=user_a, item=item, text="Consent.")
    with pytest.raises(DomainError) as refused:
        services.item_answer(actor=user_a, item=item, text=text)
    assert refused.value.code == code
    assert item.answers.count() == 1


def test_only_the_deals_own_originator_answers(user_a, user_b, compliance_user, arranger_user):
    deal = submitted(user_a)
    for outsider in (user_b, compliance_user, arranger_user):
        with pytest.raises(DomainError) as refused:
            services.item_answer(actor=outsider, item=item_of(deal, "pipia"), text="Mine.")
        assert (refused.value.code, refused.value.status_code) == ("forbidden", 403)
        with pytest.raises(DomainError):
            services.evidence_add(actor=outsider, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    assert not item_of(deal, "pipia").answers.exists()


def test_a_decided_review_takes_no_more_answers(user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    workflow.deal_reject(deal=deal, actor=compliance_user, reason="Out of scope.")
    with pytest.raises(DomainError) as refused:
        services.item_answer(actor=user_a, item=item_of(deal, "pipia"), text="Late answer.")
    assert (refused.value.code, refused.value.status_code) == ("review_closed", 409)


# --- the officer's findings -----------------------------------------------------------------------------------


def test_officer_records_findings_in_review_with_history(user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    item = item_of(deal, "mlps")
    services.item_assess(actor=compliance_user, item=item, outcome="finding", comment="Level 2 only; needs level 3.")
    item.refresh_from_db()
    assert (item.outcome, item.severity, item.assessed_by) == ("finding", "medium", compliance_user)  # item default
    services.item_assess(actor=compliance_user, item=item, outcome="pass")
    assert list(ItemAssessment.objects.filter(item=item).values_list("outcome", flat=True)) == ["finding", "pass"]


@pytest.mark.parametrize("outcome", ["finding", "not_applicable"])
def test_a_finding_or_not_applicable_needs_a_comment(user_a, compliance_user, outcome):
    deal = in_review(user_a, compliance_user)
    with pytest.raises(DomainError) as refused:
        services.item_assess(actor=compliance_user, item=item_of(deal, "mlps"), outcome=outcome)
    assert "comment" in refused.value.fields


def test_the_originator_cannot_record_findings_and_the_officer_only_on_a_deal_in_review(user_a, compliance_user):
    deal = submitted(user_a)
    with pytest.raises(DomainError) as refused:
        services.item_assess(actor=user_a, item=item_of(deal, "mlps"), outcome="pass")
    assert refused.value.status_code == 403
    with pytest.raises(DomainError) as refused:
        services.item_assess(actor=compliance_user, item=item_of(deal, "mlps"), outcome="pass")
    assert (refused.value.code, refused.value.status_code) == ("review_not_in_progress", 409)


def test_an_item_with_an_open_automatic_finding_cannot_be_passed(user_a, compliance_user):
    deal = in_review(user_a, compliance_user, has_personal_info=True)
    with pytest.raises(DomainError) as refused:
        services.item_assess(actor=compliance_user, item=item_of(deal, "pipia"), outcome="pass")
    assert refused.value.code == "automatic_findings_open"
    assert "no PIPIA report is on file" in refused.value.detail
    services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    services.item_assess(actor=compliance_user, item=item_of(deal, "pipia"), outcome="pass")
    assert item_of(deal, "pipia").outcome == "pass"


# --- decisions ------------------------------------------------------------------------------------------------


def test_approval_is_refused_with_the_reasons_while_a_condition_precedent_is_open(user_a, compliance_user):
    deal = make_deal(user_a, has_personal_info=True)
    DataRightFactory(data_asset=asset_of(deal), right_type="processing_use", expires_on=dt.date(2029, 1, 1))
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    review = review_of(deal)
    for item in review.items.select_related("template_item").exclude(
        template_item__code__in=["pipia", "chain_of_title"]
    ):
        services.item_assess(actor=compliance_user, item=item, outcome="pass")
    services.item_assess(
        actor=compliance_user, item=item_of(deal, "true_sale"), outcome="finding", comment="No notice to obligors."
    )
    events = deal.audit_events.count()

    with pytest.raises(DomainError) as refused:
        workflow.deal_approve(deal=deal, actor=compliance_user)

    assert refused.value.code == "preconditions_not_met"
    fields = refused.value.fields
    assert set(fields) == {"conditions_precedent", "item_pipia", "item_chain_of_title", "item_true_sale"}
    assert "3 still open" in fields["conditions_precedent"]
    assert "not assessed yet" in fields["item_pipia"]
    assert "no PIPIA report is on file" in fields["item_pipia"]
    assert "expires on 2029-01-01" in fields["item_chain_of_title"]
    assert "No notice to obligors." in fields["item_true_sale"]
    deal.refresh_from_db()
    assert deal.status == DealStatus.IN_REVIEW
    assert deal.audit_events.count() == events


def test_approval_goes_through_once_every_condition_precedent_is_closed_even_with_other_findings(
    user_a, compliance_user
):
    deal = in_review(user_a, compliance_user)
    pass_review(deal, officer=compliance_user)
    services.item_assess(actor=compliance_user, item=item_of(deal, "mlps"), outcome="finding", comment="Level 2.")
    deal = workflow.deal_approve(deal=deal, actor=compliance_user)
    assert deal.status == DealStatus.COMPLIANCE_APPROVED
    assert deal.audit_events.order_by("-sequence").first().action == "approve"
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_request_changes_sends_the_open_items_back_with_the_officers_reason(user_a, compliance_user):
    deal = in_review(user_a, compliance_user, has_personal_info=True)
    services.item_assess(actor=compliance_user, item=item_of(deal, "mlps"), outcome="finding", comment="Level 2 only.")
    deal = workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Please complete the privacy items.")
    reason = deal.audit_events.order_by("-sequence").first().reason
    lines = reason.splitlines()
    assert lines[0] == "Please complete the privacy items."
    assert "Open items:" in lines
    assert any(line.startswith("- 3. Personal information protection impact assessment") and "no PIPIA" in line
               for line in lines)  # fmt: skip
    assert any(line.startswith("- 10. Multi-level protection") and "Level 2 only." in line for line in lines)
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_decisions_are_workflow_moves_with_their_audit_events(user_a, compliance_user):
    deal = submitted(user_a)
    workflow.deal_move(deal=deal, action="start_review", actor=compliance_user)
    workflow.deal_move(deal=deal, action="reject", actor=compliance_user, reason="Data not owned.")
    moves = list(deal.audit_events.order_by("sequence").values_list("action", "actor", "reason"))
    assert moves[-2:] == [("start_review", compliance_user.pk, ""), ("reject", compliance_user.pk, "Data not owned.")]
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_the_originator_cannot_decide(user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    with pytest.raises(DomainError) as refused:
        workflow.deal_move(deal=deal, action="approve", actor=user_a)
    assert refused.value.status_code == 403
