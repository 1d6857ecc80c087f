"""A first end-to-end pass through the workflow with the shared fixtures."""

import pytest

from deals import workflow
from deals.audit import audit_verify
from deals.choices import DealStatus
from tests.deals.compliance.helpers import pass_review
from tests.factories import submittable_deal

pytestmark = pytest.mark.django_db


def test_deal_travels_from_draft_to_issued_with_an_intact_chain(user_a, compliance_user, arranger_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    pass_review(deal, officer=compliance_user)
    workflow.deal_approve(deal=deal, actor=compliance_user)
    workflow.deal_start_valuation(deal=deal, actor=arranger_user)
    workflow.deal_complete_valuation(deal=deal)
    workflow.deal_publish(deal=deal, actor=arranger_user)
    workflow.deal_open_book(deal=deal, actor=arranger_user)
    deal = workflow.deal_issue(deal=deal, actor=arranger_user)
    assert deal.status == DealStatus.ISSUED
    assert deal.audit_events.count() == 9  # create + 8 moves
    assert audit_verify().ok
