"""The review pages: the officer's queue, the review page in English and Chinese, its forms, and the deal page link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from deals import workflow
from deals.compliance import services
from deals.compliance.models import Evidence
from deals.models import Deal
from origination.models import DataRight
from tests.factories import DataRightFactory

from .helpers import asset_of, in_review, item_of, make_deal, pdf_upload, review_of, stored_files, submitted

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def test_queue_lists_submitted_and_in_review_deals_oldest_first_with_their_counts(
    client, user_a, user_b, compliance_user
):
    older = submitted(user_a, has_personal_info=True, has_sensitive_personal_info=True)
    newer = in_review(user_b, compliance_user)
    Deal.objects.filter(pk=older.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=3))
    client.force_login(compliance_user)
    response = client.get(reverse("compliance_queue"))
    assert response.status_code == 200
    queue = response.context["queue"]
    assert [d.pk for d in queue] == [older.pk, newer.pk]
    cp_items = review_of(older).items.filter(template_item__condition_precedent=True).count()
    assert (queue[0].open_findings, queue[0].open_automatic, queue[0].open_cp) == (2, 2, cp_items)
    assert queue[1].open_findings == 0
    assert f'href="/deals/{older.pk}/review/"' in _html(response)


@pytest.mark.parametrize("who", ["user_a", "investor_staff"])
def test_the_queue_is_not_for_originators_or_investors(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("compliance_queue")).status_code == 403


def test_the_home_queue_shows_open_findings_and_conditions(client, user_a, compliance_user):
    deal = submitted(user_a, has_personal_info=True)
    client.force_login(compliance_user)
    html = _html(client.get(reverse("home")))
    assert 'data-count="open_findings">1<' in html
    assert f'href="/deals/{deal.pk}/review/"' in html


def test_the_officer_sees_each_item_with_its_automatic_finding_and_the_moves(client, user_a, compliance_user):
    deal = submitted(user_a, has_personal_info=True)
    client.force_login(compliance_user)
    response = client.get(reverse("compliance_review", args=[deal.pk]))
    html = _html(response)
    assert response.status_code == 200
    assert html.count('class="card review-item"') == review_of(deal).items.count()
    assert "Personal information protection impact assessment (PIPIA)" in html
    assert "个人信息保护影响评估" in html  # the legal term in Chinese, shown beside the English
    assert f"“{asset_of(deal).name}” holds personal information and no PIPIA report is on file" in html
    assert [t.action for t in response.context["decisions"]] == ["start_review"]
    assert 'data-form="assess"' not in html  # findings are recorded once the deal is in review
    assert 'data-form="answer"' not in html  # the officer never writes the originator's answers


def test_the_review_page_in_chinese_shows_the_checklist_in_chinese(client, user_a, compliance_user):
    deal = submitted(user_a)
    client.force_login(compliance_user)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = _html(client.get(reverse("compliance_review", args=[deal.pk])))
    assert "个人信息处理的合法性基础与告知同意" in html
    assert "《中华人民共和国个人信息保护法》第十三条、第十四条、第十七条" in html
    assert "底层数据中的个人信息依据何种合法性基础处理" in html
    assert "On what lawful basis" not in html


def test_the_originator_answers_from_the_page(client, user_a):
    deal = submitted(user_a)
    item = item_of(deal, "true_sale")
    client.force_login(user_a)
    assert 'data-form="answer"' in _html(client.get(reverse("compliance_review", args=[deal.pk])))
    response = client.post(reverse("compliance_item_answer", args=[deal.pk, item.pk]), {"text": "Notice sent."})
    assert response.status_code == 302
    assert response["Location"].endswith("#item-true_sale")
    assert item.answers.get().text == "Notice sent."


def test_a_wrong_file_from_the_page_is_refused_with_a_message_and_nothing_saved(client, user_a, media_root):
    deal = submitted(user_a)
    item = item_of(deal, "pipia")
    client.force_login(user_a)
    fake = SimpleUploadedFile("pipia.pdf", b"#!/bin/sh\necho hi\n", content_type="application/pdf")
    response = client.post(reverse("compliance_evidence_add", args=[deal.pk, item.pk]), {"file": fake})
    assert response.status_code == 400
    assert "is not an accepted document type. Accepted: PDF, PNG, JPEG" in _html(response)
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_a_document_filed_from_the_page_clears_the_finding(client, user_a, media_root):
    deal = submitted(user_a, has_personal_info=True)
    client.force_login(user_a)
    item = item_of(deal, "pipia")
    response = client.post(
        reverse("compliance_evidence_add", args=[deal.pk, item.pk]),
        {"file": pdf_upload("PIPIA 2026.pdf"), "data_asset": asset_of(deal).pk},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.file_name, evidence.data_asset) == ("PIPIA 2026.pdf", asset_of(deal))
    assert not review_of(deal).automatic_findings.filter(cleared_at__isnull=True).exists()


def test_approval_from_the_page_is_refused_listing_the_open_conditions(client, user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    client.force_login(compliance_user)
    response = client.post(reverse("compliance_review_decide", args=[deal.pk]), {"decision": "approve"})
    assert response.status_code == 400
    html = _html(response)
    assert "The move was refused." in html
    assert "12. A law firm&#x27;s data compliance legal opinion: not assessed yet." in html
    deal.refresh_from_db()
    assert deal.status == "in_review"


def test_the_officer_records_a_finding_from_the_page(client, user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    item = item_of(deal, "mlps")
    client.force_login(compliance_user)
    url = reverse("compliance_item_assess", args=[deal.pk, item.pk])
    refused = client.post(url, {"outcome": "finding", "comment": ""})
    assert refused.status_code == 400
    assert "Say why in a comment." in _html(refused)
    response = client.post(url, {"outcome": "finding", "severity": "high", "comment": "Level 2 only."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.outcome, item.severity, item.comment) == ("finding", "high", "Level 2 only.")


def test_the_originator_records_a_renewed_right_from_the_review(client, user_a):
    deal = make_deal(user_a)
    asset = asset_of(deal)
    DataRightFactory(data_asset=asset, right_type="processing_use", expires_on=dt.date(2029, 1, 1))
    workflow.deal_submit(deal=deal, actor=user_a)
    client.force_login(user_a)
    page = client.get(reverse("compliance_review", args=[deal.pk]))
    assert page.context["renewal_form"] is not None
    response = client.post(
        reverse("compliance_right_renew", args=[deal.pk]),
        {
            "right-data_asset": asset.pk,
            "right-right_type": "processing_use",
            "right-holder": user_a.originator.name,
            "right-certificate_no": "SZDE-DPU-2029-000777",
            "right-registry": "Shenzhen Data Exchange",
            "right-registry_type": "data_exchange",
            "right-issued_on": "2029-01-01",
            "right-expires_on": "2034-12-31",
        },
    )
    assert response.status_code == 302
    assert DataRight.objects.filter(data_asset=asset, certificate_no="SZDE-DPU-2029-000777").exists()
    assert not review_of(deal).automatic_findings.filter(cleared_at__isnull=True).exists()


def test_another_companys_review_page_is_a_404(client, user_a, user_b):
    deal = submitted(user_a)
    client.force_login(user_b)
    assert client.get(reverse("compliance_review", args=[deal.pk])).status_code == 404
    item = item_of(deal, "pipia")
    assert client.post(reverse("compliance_item_answer", args=[deal.pk, item.pk]), {"text": "x"}).status_code == 404
    assert not item.answers.exists()


def test_a_draft_has_no_review_yet(client, user_a):
    deal = make_deal(user_a)
    client.force_login(user_a)
    assert client.get(reverse("compliance_review", args=[deal.pk])).status_code == 404


def test_the_deal_page_links_the_review_with_its_open_findings(client, user_a, compliance_user):
    deal = submitted(user_a, has_personal_info=True)
    client.force_login(user_a)
    html = _html(client.get(reverse("deal_detail", args=[deal.pk])))
    assert 'id="compliance-review"' in html
    assert "1 open finding" in html
    assert reverse("compliance_review", args=[deal.pk]) in html


def test_the_export_link_downloads_the_workbook(client, user_a, compliance_user):
    deal = submitted(user_a)
    services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    client.force_login(compliance_user)
    response = client.get(reverse("compliance_review_export", args=[deal.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="compliance-review-deal-{deal.pk}.xlsx"'
