"""Reading a review writes nothing; its automatic findings follow the writes that change their facts.

The review pages, the officer's queue and the API only read: no INSERT, UPDATE
or DELETE, no row lock. A finding is raised or cleared by the write that changes
its facts (a right recorded, a pledge made or released, evidence filed, the
deal submitted or withdrawn), and the periodic check catches what no write
announces.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.settings import CELERY_BEAT_SCHEDULE
from deals import services as deal_services
from deals import workflow
from deals.choices import DealType, Exchange
from deals.compliance import services
from deals.compliance.models import ComplianceReview
from deals.models import Deal
from deals.tasks import refresh_compliance_findings
from origination.hooks import hook_get
from origination.models import DataRight
from origination.services import data_asset_update, data_right_create, data_right_revoke
from tests.factories import DataAssetFactory

from .helpers import asset_of, in_review, item_of, make_deal, pdf_upload, review_of, submitted

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b|\bFOR\s+UPDATE\b", re.IGNORECASE)


def _open(deal: Deal) -> set[tuple[str, str]]:
    """(rule, asset) of the deal's open automatic findings as stored: what a page shows, without checking again."""
    review = review_of(deal)
    return {(f.rule, f.details.get("asset", "")) for f in review.automatic_findings.filter(cleared_at__isnull=True)}


@pytest.fixture
def locks_taken(monkeypatch) -> list[str]:
    """Every `select_for_update` asked for (SQLite drops FOR UPDATE from the SQL, so the SQL alone cannot tell)."""
    taken: list[str] = []
    original = QuerySet.select_for_update

    def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        taken.append(self.model.__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", recording)
    return taken


@pytest.fixture
def worked(user_a, user_b, compliance_user):
    """A deal in review with an open finding, an answer and a document filed; another company's deal submitted."""
    deal = in_review(user_a, compliance_user, has_personal_info=True, has_sensitive_personal_info=True)
    services.item_answer(actor=user_a, item=item_of(deal, "pipia"), text="The PIPIA is attached.")
    evidence = services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    submitted(user_b, has_personal_info=True)
    return deal, evidence


def _pages(deal: Deal, evidence, draft: Deal) -> list[tuple[str, str]]:
    review, item = review_of(deal), item_of(deal, "pipia")
    return [
        ("compliance_user", reverse("compliance_queue")),
        ("compliance_user", reverse("home")),
        ("compliance_user", reverse("compliance_review", args=[deal.pk])),
        ("user_a", reverse("compliance_review", args=[deal.pk])),
        ("user_a", reverse("compliance_review", args=[draft.pk])),  # the page of a deal with no review
        ("user_a", reverse("deal_detail", args=[deal.pk])),
        ("compliance_user", reverse("compliance_review_export", args=[deal.pk])),
        ("compliance_user", reverse("compliance_evidence_download", args=[deal.pk, evidence.pk])),
        ("api:compliance_user", "/api/compliance-reviews/"),
        ("api:compliance_user", f"/api/compliance-reviews/{review.pk}/"),
        ("api:compliance_user", f"/api/compliance-reviews/{review.pk}/legal-risk/"),
        ("api:compliance_user", f"/api/compliance-reviews/{review.pk}/export/"),
        ("api:user_a", f"/api/review-items/?review={review.pk}"),
        ("api:user_a", f"/api/review-items/{item.pk}/"),
        ("api:user_a", f"/api/review-evidence/{evidence.pk}/download/"),
    ]


def test_every_review_page_the_queue_and_the_api_only_read(client, api_client, request, worked, user_a, locks_taken):
    deal, evidence = worked
    draft = make_deal(user_a)
    for who, url in _pages(deal, evidence, draft):
        user = request.getfixturevalue(who.removeprefix("api:"))
        if who.startswith("api:"):
            api_client.force_authenticate(user)
            get = api_client.get
        else:
            client.force_login(user)
            get = client.get
        locks_taken.clear()
        with CaptureQueriesContext(connection) as queries:
            response = get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == (404 if url.endswith(f"/deals/{draft.pk}/review/") else 200), url
        writes = [q["sql"] for q in queries.captured_queries if WRITE.search(q["sql"])]
        assert writes == [], f"{url} wrote: {writes}"
        assert locks_taken == [], f"{url} locked rows of {locks_taken}"


def test_a_deal_without_a_review_says_so_plainly(client, user_a, compliance_user):
    draft = make_deal(user_a)
    client.force_login(user_a)
    response = client.get(reverse("compliance_review", args=[draft.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "This deal has no compliance review yet: one is opened when the deal is submitted." in html
    assert draft.name in html
    assert not ComplianceReview.objects.filter(deal=draft).exists()


def test_a_deal_filed_before_reviews_existed_gets_its_review_from_the_periodic_check(client, user_a, compliance_user):
    deal = submitted(user_a, has_personal_info=True)
    ComplianceReview.objects.filter(deal=deal).delete()  # as if submitted before reviews existed
    client.force_login(compliance_user)
    page = client.get(reverse("compliance_review", args=[deal.pk]))
    assert page.status_code == 404
    assert "This deal has no compliance review on file." in page.content.decode()
    assert not ComplianceReview.objects.filter(deal=deal).exists()  # the page built nothing
    assert refresh_compliance_findings() == 1
    assert _open(deal) == {("pipia_missing", asset_of(deal).name)}
    assert client.get(reverse("compliance_review", args=[deal.pk])).status_code == 200


def test_the_periodic_check_is_scheduled_and_catches_a_change_made_outside_the_services(user_a, compliance_user):
    entry = next(e for e in CELERY_BEAT_SCHEDULE.values() if e["task"] == "deals.tasks.refresh_compliance_findings")
    assert entry["schedule"].minute == {0, 15, 30, 45}
    deal = in_review(user_a, compliance_user)
    assert _open(deal) == set()
    DataRight.objects.filter(data_asset=asset_of(deal), right_type="processing_use").update(
        expires_on=dt.date(2029, 1, 1)  # an operator's fix in the database: no service announced it
    )
    assert _open(deal) == set()
    refresh_compliance_findings()
    assert _open(deal) == {("right_expires_before_maturity", asset_of(deal).name)}


def test_the_periodic_check_leaves_decided_reviews_as_they_stood(user_a, compliance_user):
    deal = in_review(user_a, compliance_user, has_personal_info=True)
    workflow.deal_reject(deal=deal, actor=compliance_user, reason="No PIPIA.")
    assert refresh_compliance_findings() == 0
    assert _open(deal) == {("pipia_missing", asset_of(deal).name)}


def test_the_asset_hook_is_required_and_its_handler_registered():
    hook = hook_get("data_asset_facts_changed")
    assert hook.required
    assert services.data_asset_facts_changed in hook.handlers


# --- the writes that change a finding's facts check it at once ----------------------------------------------------


def test_recording_and_revoking_a_right_checks_the_review_at_once(user_a, compliance_user):
    deal = make_deal(user_a)
    asset = asset_of(deal)
    DataRight.objects.filter(data_asset=asset, right_type="processing_use").update(expires_on=dt.date(2029, 1, 1))
    workflow.deal_submit(deal=deal, actor=user_a)  # submission checks: the short right is found
    assert _open(deal) == {("right_expires_before_maturity", asset.name)}
    renewed = data_right_create(
        actor=user_a, data_asset=asset, right_type="processing_use", holder=user_a.originator.name,
        certificate_no="SZDE-DPU-2029-000777", registry="Shenzhen Data Exchange", registry_type="data_exchange",
        issued_on=dt.date(2029, 1, 1), expires_on=dt.date(2034, 12, 31),
    )  # fmt: skip
    assert _open(deal) == set()
    data_right_revoke(actor=user_a, data_right=renewed, reason="Cancelled at the registry.")
    assert _open(deal) == {("right_expires_before_maturity", asset.name)}


def test_changing_the_asset_checks_the_review_at_once(user_a):
    deal = submitted(user_a)
    assert _open(deal) == set()
    data_asset_update(actor=user_a, data_asset=asset_of(deal), has_personal_info=True)
    assert _open(deal) == {("pipia_missing", asset_of(deal).name)}


def test_filing_and_withdrawing_evidence_checks_the_review_at_once(user_a):
    deal = submitted(user_a, has_personal_info=True)
    evidence = services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    assert _open(deal) == set()
    services.evidence_withdraw(actor=user_a, evidence=evidence)
    assert _open(deal) == {("pipia_missing", asset_of(deal).name)}


def test_a_pledge_to_another_deal_is_found_at_once_and_cleared_when_that_deal_is_withdrawn(user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    asset = asset_of(deal)
    other = deal_services.deal_create(
        actor=user_a, name="Second deal", deal_type=DealType.LICENCE_REVENUE, target_size=Decimal("50000000.00"),
        tenor_months=24, exchange=Exchange.SSE, manager="CITIC Securities",
    )  # fmt: skip
    pledge = deal_services.pledge_create(actor=user_a, deal=other, data_asset=asset)
    assert _open(deal) == {("pledged_to_another_deal", asset.name)}
    deal_services.pledge_release(actor=user_a, pledge=pledge)
    assert _open(deal) == set()
    deal_services.pledge_create(actor=user_a, deal=other, data_asset=asset)
    assert _open(deal) == {("pledged_to_another_deal", asset.name)}
    workflow.deal_withdraw(deal=other, actor=user_a, reason="Merged into the first deal.")
    assert _open(deal) == set()


def test_changing_the_pool_of_a_returned_deal_checks_its_review_at_once(user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Add the second source.")
    source = asset_of(deal)
    extra = DataAssetFactory(originator=user_a.originator, name="Unregistered source", has_personal_info=True)
    pool_asset = deal.pool_assets.get()
    deal_services.pool_asset_update(actor=user_a, pool_asset=pool_asset, data_assets=[source, extra])
    assert ("pipia_missing", "Unregistered source") in _open(deal)
    deal_services.pool_asset_update(actor=user_a, pool_asset=pool_asset, data_assets=[source])
    assert _open(deal) == set()
