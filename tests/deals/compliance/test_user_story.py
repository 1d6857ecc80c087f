"""The review as users walk it on the demo data, page by page with the test client:

the demo compliance officer signs in, opens a submitted demo deal, sees an automatic finding and requests changes;
the originator fixes the data, answers and re-submits; the officer approves. The deal page's audit log shows each
step and `verify_audit` passes.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from deals.compliance.models import ComplianceReview
from deals.models import Deal
from demo.seed import DEMO_PASSWORD, seed_demo

from .helpers import pdf_upload

pytestmark = pytest.mark.django_db

STORAGE_DEAL = "Qianhai Energy Storage Dispatch Data Empowerment ABS 2027-1"


def _sign_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{username} could not sign in"
    return client


def _html(response) -> str:
    assert response.status_code in (200, 302), response.status_code
    return response.content.decode()


def _post(client: Client, url: str, data: dict) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_officer_requests_changes_originator_fixes_and_answers_officer_approves():
    seed_demo()
    deal = Deal.objects.get(name__startswith=STORAGE_DEAL)
    assert deal.status == "submitted"
    assert deal.originator.staff.get().username == "bob"

    # The officer signs in and finds the deal in the queue, with an automatic finding counted.
    carol = _sign_in("carol")
    queue = carol.get(reverse("compliance_queue"))
    row = next(d for d in queue.context["queue"] if d.pk == deal.pk)
    assert row.open_automatic >= 1
    # She opens the review: the platform found that a data right expires before the notes' legal maturity.
    review_page = _html(carol.get(reverse("compliance_review", args=[deal.pk])))
    assert "Data processing and use right of “Energy-storage dispatch and cycling data" in review_page
    assert "before the deal&#x27;s legal maturity" in review_page
    # She takes it into review and sends it back.
    _post(carol, reverse("compliance_review_decide", args=[deal.pk]), {"decision": "start_review"})
    _post(
        carol,
        reverse("compliance_review_decide", args=[deal.pk]),
        {"decision": "request_changes", "reason": "Renew the processing-use right and answer the checklist."},
    )
    deal.refresh_from_db()
    assert deal.status == "changes_requested"

    # The originator signs in: the deal page tells him why, with the open items.
    bob = _sign_in("bob")
    deal_page = _html(bob.get(reverse("deal_detail", args=[deal.pk])))
    assert "Renew the processing-use right and answer the checklist." in deal_page
    assert "Open items:" in deal_page
    review_page = bob.get(reverse("compliance_review", args=[deal.pk]))
    rows = review_page.context["rows"]
    # He records the renewed registration of the right; the platform clears its finding.
    asset = review_page.context["assets"][0]
    _post(bob, reverse("compliance_right_renew", args=[deal.pk]), {
        "right-data_asset": asset.pk, "right-right_type": "processing_use", "right-holder": deal.originator.name,
        "right-certificate_no": "SZDE-DPU-2026-990001", "right-registry": "Shenzhen Data Exchange (深圳数据交易所)",
        "right-registry_type": "data_exchange", "right-issued_on": "2026-10-01", "right-expires_on": "2036-09-30",
    })  # fmt: skip
    review = ComplianceReview.objects.get(deal=deal)
    assert not review.automatic_findings.filter(cleared_at__isnull=True).exists()
    # He answers every item and files the law firm's opinion.
    for row in rows:
        item = row.item
        _post(
            bob,
            reverse("compliance_item_answer", args=[deal.pk, item.pk]),
            {"text": f"Answer to {row.template_item.code}."},
        )
    opinion = next(r.item for r in rows if r.template_item.code == "legal_opinion")
    _post(bob, reverse("compliance_evidence_add", args=[deal.pk, opinion.pk]), {"file": pdf_upload("Opinion.pdf")})
    # ... and re-submits from the deal page.
    _post(bob, reverse("deal_transition", args=[deal.pk]), {"action": "submit"})
    deal.refresh_from_db()
    assert deal.status == "submitted"

    # The officer reviews again, item by item, and approves.
    _post(carol, reverse("compliance_review_decide", args=[deal.pk]), {"decision": "start_review"})
    page = carol.get(reverse("compliance_review", args=[deal.pk]))
    assert all(row.current_answer for row in page.context["rows"])
    for row in page.context["rows"]:
        _post(carol, reverse("compliance_item_assess", args=[deal.pk, row.item.pk]), {"outcome": "pass"})
    _post(carol, reverse("compliance_review_decide", args=[deal.pk]), {"decision": "approve"})
    deal.refresh_from_db()
    assert deal.status == "compliance_approved"

    # The deal page's audit log shows each step, and the whole log verifies.
    audit = carol.get(reverse("deal_detail", args=[deal.pk])).context["audit_rows"]
    steps = [(row["action"], row["to_status"]) for row in audit]
    # The renewed right is a change to the facts of the deal it backs, recorded for the next review.
    assert steps[-7:] == [
        ("Submit for review", "submitted"),
        ("Start review", "in_review"),
        ("Request changes", "changes_requested"),
        ("Data right registered", "changes_requested"),
        ("Submit for review", "submitted"),
        ("Start review", "in_review"),
        ("Approve", "compliance_approved"),
    ]
    assert [row["actor"]["name"] for row in audit[-6:]] == [
        "Carol Sun",
        "Carol Sun",
        "Bob Lin",
        "Bob Lin",
        "Carol Sun",
        "Carol Sun",
    ]
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert re.search(r"Audit log intact: \d+ events across \d+ deals\.", out.getvalue())


def test_the_demo_pipeline_has_reviews_with_automatic_findings_and_the_approved_deals_passed_reviews():
    seed_demo()
    for name in (
        STORAGE_DEAL,
        "Shanghai Metro Passenger-Flow",
        "Shanghai Logistics Telematics",
        "Shanghai Ride-hailing",
    ):
        review = ComplianceReview.objects.get(deal__name__startswith=name)
        assert review.automatic_findings.filter(cleared_at__isnull=True).exists(), name
    decided = ComplianceReview.objects.filter(deal__status__in=["compliance_approved", "valued", "published", "issued"])
    assert (
        decided.count()
        == Deal.objects.filter(status__in=["compliance_approved", "valued", "published", "issued"]).count()
    )
    for review in decided:
        assert review.counts["open_conditions_precedent"] == 0, review.deal.name
        assert not review.items.filter(outcome="").exists()
