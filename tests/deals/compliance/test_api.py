"""The review through the API: scoped as the pages are, the originator's answers and uploads, the officer's findings
and decisions, stable error codes and bounded queries."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from deals.compliance import services
from deals.compliance.evidence import MAX_EVIDENCE_BYTES
from deals.compliance.models import Evidence, ItemAnswer
from tests.api.conftest import assert_error

from .helpers import in_review, item_of, pass_review, pdf_bytes, pdf_upload, review_of, stored_files, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(api_client):
    def _as(user):
        api_client.force_authenticate(user=user)
        return api_client

    return _as


def test_the_officer_lists_reviews_with_counts_and_each_originator_only_its_own(
    as_user, user_a, user_b, compliance_user
):
    deal_a = submitted(user_a, has_personal_info=True)
    deal_b = submitted(user_b)
    rows = as_user(compliance_user).get("/api/compliance-reviews/").json()["results"]
    by_deal = {row["deal"]: row for row in rows}
    assert set(by_deal) == {deal_a.pk, deal_b.pk}
    assert (by_deal[deal_a.pk]["open_findings"], by_deal[deal_a.pk]["open_automatic"]) == (1, 1)
    assert by_deal[deal_b.pk]["open_findings"] == 0
    assert (
        by_deal[deal_a.pk]["open_cp"] == review_of(deal_a).items.filter(template_item__condition_precedent=True).count()
    )
    assert [row["deal"] for row in as_user(user_a).get("/api/compliance-reviews/").json()["results"]] == [deal_a.pk]
    assert [
        r["deal"] for r in as_user(compliance_user).get(f"/api/compliance-reviews/?deal={deal_b.pk}").json()["results"]
    ] == [deal_b.pk]


def test_another_company_and_investors_get_404(as_user, user_a, user_b, investor_staff):
    deal = submitted(user_a)
    review, item = review_of(deal), item_of(deal, "pipia")
    for outsider in (user_b, investor_staff):
        client = as_user(outsider)
        assert_error(client.get(f"/api/compliance-reviews/{review.pk}/"), 404, "not_found")
        assert_error(client.get(f"/api/compliance-reviews/{review.pk}/export/"), 404, "not_found")
        assert_error(client.post(f"/api/review-items/{item.pk}/answer/", {"text": "x"}), 404, "not_found")
    assert not item.answers.exists()


def test_review_detail_has_every_item_with_its_legal_texts_and_the_legal_risk(as_user, user_a, compliance_user):
    deal = submitted(user_a, has_personal_info=True)
    body = as_user(compliance_user).get(f"/api/compliance-reviews/{review_of(deal).pk}/").json()
    assert len(body["items"]) == review_of(deal).items.count()
    pipia = next(i for i in body["items"] if i["checklist_item"]["code"] == "pipia")
    assert pipia["checklist_item"]["legal_basis_zh"] == "《个人信息保护法》第五十五条、第五十六条"
    assert pipia["checklist_item"]["condition_precedent"] is True
    assert [f["rule"] for f in pipia["automatic_findings"]] == ["pipia_missing"]
    assert "no PIPIA report is on file" in pipia["automatic_findings"][0]["message"]
    assert body["legal_risk"]["open_findings"] == {"high": 1, "medium": 0, "low": 0}
    assert body["legal_risk"]["haircut"] == pytest.approx(0.05)


def _fill(deal, user, n: int, round_: str) -> None:
    for i, item in enumerate(review_of(deal).items.all()[:n]):
        services.item_answer(actor=user, item=item, text=f"Answer {i}, round {round_}")
        services.evidence_add(actor=user, item=item, uploaded_file=pdf_upload(f"doc{i}.pdf", f"doc {i} {round_}"))


def test_review_detail_queries_do_not_grow_with_answers_and_documents(
    as_user, user_a, compliance_user, django_assert_max_num_queries
):
    deal = submitted(user_a)
    _fill(deal, user_a, 2, "one")
    client = as_user(compliance_user)
    url = f"/api/compliance-reviews/{review_of(deal).pk}/"
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    _fill(deal, user_a, 10, "two")
    with django_assert_max_num_queries(30) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_originator_answers_and_uploads_and_the_officer_cannot(as_user, user_a, compliance_user, media_root):
    deal = submitted(user_a)
    item = item_of(deal, "pi_lawful_basis")
    owner = as_user(user_a)
    response = owner.post(f"/api/review-items/{item.pk}/answer/", {"text": "Consent, PIPL art. 13(1)."})
    assert response.status_code == 201
    assert [a["version"] for a in response.json()["answers"]] == [1]
    upload = owner.post(
        f"/api/review-items/{item.pk}/evidence/",
        {"file": SimpleUploadedFile("policy.pdf", pdf_bytes(), "application/pdf")},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    assert upload.json()["kind"] == "pdf"
    assert len(upload.json()["sha256"]) == 64

    officer = as_user(compliance_user)
    assert_error(officer.post(f"/api/review-items/{item.pk}/answer/", {"text": "I answer."}), 403, "forbidden")
    assert ItemAnswer.objects.filter(item=item).count() == 1


def test_a_refused_upload_says_why_and_saves_nothing(as_user, user_a, media_root):
    deal = submitted(user_a)
    item = item_of(deal, "pipia")
    client = as_user(user_a)
    exe = SimpleUploadedFile("pipia.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")
    body = assert_error(
        client.post(f"/api/review-items/{item.pk}/evidence/", {"file": exe}, format="multipart"),
        400,
        "evidence_file_refused",
    )
    assert "Accepted: PDF" in body["fields"]["file"]
    too_big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * MAX_EVIDENCE_BYTES, "application/pdf")
    body = assert_error(
        client.post(f"/api/review-items/{item.pk}/evidence/", {"file": too_big}, format="multipart"),
        400,
        "evidence_file_refused",
    )
    assert "20 MB at most" in body["detail"]
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_the_officer_records_findings_and_approval_is_refused_until_the_conditions_are_closed(
    as_user, user_a, compliance_user
):
    deal = in_review(user_a, compliance_user)
    review = review_of(deal)
    officer = as_user(compliance_user)
    mlps = item_of(deal, "mlps")
    response = officer.post(f"/api/review-items/{mlps.pk}/assessment/", {"outcome": "finding", "comment": "Level 2."})
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["severity"]) == ("finding", "medium")

    refused = assert_error(
        officer.post(f"/api/compliance-reviews/{review.pk}/decision/", {"decision": "approve"}),
        400,
        "preconditions_not_met",
    )
    assert "item_legal_opinion" in refused["fields"]
    pass_review(deal, officer=compliance_user)
    approved = officer.post(f"/api/compliance-reviews/{review.pk}/decision/", {"decision": "approve"})
    assert approved.status_code == 200
    assert approved.json()["status"] == "compliance_approved"


def test_the_originator_cannot_record_findings_or_decide(as_user, user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    client = as_user(user_a)
    item = item_of(deal, "mlps")
    assert_error(client.post(f"/api/review-items/{item.pk}/assessment/", {"outcome": "pass"}), 403, "forbidden")
    assert_error(
        client.post(f"/api/compliance-reviews/{review_of(deal).pk}/decision/", {"decision": "approve"}),
        403,
        "forbidden",
    )


def test_a_decision_is_one_of_the_review_moves_only(as_user, user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    url = f"/api/compliance-reviews/{review_of(deal).pk}/decision/"
    refused = assert_error(as_user(compliance_user).post(url, {"decision": "publish"}), 400, "invalid")
    assert "decision" in refused["fields"]
    deal.refresh_from_db()
    assert deal.status == "in_review"


def test_request_changes_needs_a_reason(as_user, user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    url = f"/api/compliance-reviews/{review_of(deal).pk}/decision/"
    assert_error(as_user(compliance_user).post(url, {"decision": "request_changes"}), 400, "reason_required")


def test_withdrawing_a_document_keeps_it_on_record(as_user, user_a):
    deal = submitted(user_a)
    evidence = services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    response = as_user(user_a).delete(f"/api/review-evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert as_user(user_a).get(f"/api/review-evidence/{evidence.pk}/download/").status_code == 200


def test_legal_risk_and_export_endpoints(as_user, user_a, compliance_user):
    deal = submitted(user_a, has_personal_info=True)
    client = as_user(compliance_user)
    risk = client.get(f"/api/compliance-reviews/{review_of(deal).pk}/legal-risk/").json()
    assert risk["open_findings"]["high"] == 1
    # One high finding raises the clean base (0.5 % a year over the deal's tenor) by 10 %.
    base = 1 - 0.995 ** (deal.tenor_months / 12)
    assert risk["regulatory_stop_probability_life"] == pytest.approx(1 - (1 - base) * 0.90)
    export = client.get(f"/api/compliance-reviews/{review_of(deal).pk}/export/")
    assert export.status_code == 200
    assert export["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "Items" in load_workbook(io.BytesIO(export.content)).sheetnames


def test_checklist_templates_are_readable(as_user, user_a):
    rows = as_user(user_a).get("/api/checklist-templates/?deal_type=data_pledge").json()["results"]
    assert [(r["deal_type"], r["version"]) for r in rows] == [("data_pledge", 1)]
    assert any(i["code"] == "registration_pledge_filing" and i["condition_precedent"] for i in rows[0]["items"])
