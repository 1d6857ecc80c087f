"""Evidence files: accepted by content (never by name), 20 MB at most, stored by hash outside the web root, served
only to users who may see the deal, and kept on record when replaced or withdrawn."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from deals.compliance import services
from deals.compliance.evidence import MAX_EVIDENCE_BYTES, stored_name
from deals.compliance.models import Evidence
from origination.errors import DomainError

from .helpers import in_review, item_of, pdf_bytes, pdf_upload, stored_files, submitted

pytestmark = pytest.mark.django_db


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _xlsx() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "consent records"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _ole2(stream_name: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + stream_name.encode("utf-16-le") + b"\x00" * 200


ACCEPTED = [
    # (what a user uploads, name it has, type the server recognises, content type served)
    (pdf_bytes(), "pipia.pdf", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "screenshot.png", "png", "image/png"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "scan.jpg", "jpeg", "image/jpeg"),
    (b"GIF89a" + b"\x00" * 64, "flow.gif", "gif", "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64, "consent.webp", "webp", "image/webp"),
    (_xlsx(), "records.xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
        "opinion.docx",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}),
        "deck.pptx",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (_ole2("WordDocument"), "old-opinion.doc", "doc", "application/msword"),
    (_ole2("Workbook"), "old-register.xls", "xls", "application/vnd.ms-excel"),
    (_ole2("PowerPoint Document"), "old-deck.ppt", "ppt", "application/vnd.ms-powerpoint"),
    # The name does not matter: a PDF called .txt is a PDF, and is offered back as .pdf.
    (pdf_bytes(), "notes.txt", "pdf", "application/pdf"),
]


@pytest.mark.parametrize(("content", "name", "kind", "content_type"), ACCEPTED)
def test_accepted_types_are_recognised_by_content(user_a, media_root, content, name, kind, content_type):
    deal = submitted(user_a)
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    evidence = services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=upload)

    assert (evidence.kind, evidence.content_type) == (kind, content_type)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content)
    assert evidence.file_name.endswith("." + {"jpeg": "jpg"}.get(kind, kind))
    path = media_root / "evidence" / evidence.sha256[:2] / evidence.sha256
    assert Path(default_storage.path(stored_name(evidence.sha256))) == path
    assert path.read_bytes() == content
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # readable by the application's group only


REFUSED = [
    (b"MZ\x90\x00" + b"\x00" * 200, "report.pdf", "application/pdf"),  # a Windows executable named .pdf
    (b"<html><script>alert(1)</script></html>", "opinion.pdf", "application/pdf"),
    (b"plain text, not a document", "answer.docx", "text/plain"),
    (_zip({"evil.sh": b"rm -rf /"}), "archive.docx", "application/zip"),  # a zip that is no Office document
    (_zip({"[Content_Types].xml": b"<Types/>", "other/thing.xml": b"<x/>"}), "odd.xlsx", "application/zip"),
    (_ole2("SomethingElse"), "mail.doc", "application/msword"),  # a compound file of no Office type
    (b"%PD", "short.pdf", "application/pdf"),  # almost a PDF
]


@pytest.mark.parametrize(("content", "name", "declared"), REFUSED)
def test_files_of_other_types_are_refused_with_the_accepted_types_named_and_nothing_saved(
    user_a, media_root, content, name, declared
):
    deal = submitted(user_a)
    with pytest.raises(DomainError) as refused:
        services.evidence_add(
            actor=user_a, item=item_of(deal, "pipia"), uploaded_file=SimpleUploadedFile(name, content, declared)
        )
    assert refused.value.code == "evidence_file_refused"
    assert refused.value.status_code == 400
    assert "Accepted: PDF, PNG, JPEG" in refused.value.detail
    assert refused.value.fields == {"file": refused.value.detail}
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_office_files_with_macros_are_refused(user_a, media_root):
    deal = submitted(user_a)
    macro = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>", "xl/vbaProject.bin": b"\x00"})
    with pytest.raises(DomainError, match="macros are not accepted"):
        services.evidence_add(
            actor=user_a, item=item_of(deal, "pipia"), uploaded_file=SimpleUploadedFile("register.xlsm", macro)
        )
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_an_empty_file_is_refused(user_a, media_root):
    deal = submitted(user_a)
    with pytest.raises(DomainError, match="The file is empty"):
        services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=SimpleUploadedFile("a.pdf", b""))
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


class _NeverRead(io.BytesIO):
    """An upload that claims a size and fails the test if anything reads it."""

    def __init__(self, size: int) -> None:
        super().__init__(b"%PDF-")
        self.size = size
        self.name = "huge.pdf"

    def read(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an oversized upload was read")


def test_a_file_over_20_mb_is_refused_before_it_is_read(user_a, media_root):
    deal = submitted(user_a)
    with pytest.raises(DomainError) as refused:
        services.evidence_add(
            actor=user_a, item=item_of(deal, "pipia"), uploaded_file=_NeverRead(MAX_EVIDENCE_BYTES + 1)
        )
    assert refused.value.code == "evidence_file_refused"
    assert "20.0 MB" in refused.value.detail
    assert "20 MB at most" in refused.value.detail
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_a_file_of_exactly_20_mb_is_accepted(user_a, media_root):
    deal = submitted(user_a)
    content = b"%PDF-1.7\n" + b"0" * (MAX_EVIDENCE_BYTES - 9)
    assert len(content) == 20 * 1024 * 1024
    evidence = services.evidence_add(
        actor=user_a, item=item_of(deal, "pipia"), uploaded_file=SimpleUploadedFile("big.pdf", content)
    )
    assert evidence.size == 20 * 1024 * 1024


def test_the_client_file_name_is_never_a_path(user_a, media_root):
    deal = submitted(user_a)
    evidence = services.evidence_add(
        actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload("../../etc/pass\x00wd.exe")
    )
    assert evidence.file_name == "passwd.pdf"
    assert [p.name for p in stored_files(media_root)] == [evidence.sha256]


def test_the_same_bytes_are_stored_once(user_a, media_root):
    deal = submitted(user_a)
    services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload("a.pdf"))
    services.evidence_add(actor=user_a, item=item_of(deal, "legal_opinion"), uploaded_file=pdf_upload("b.pdf"))
    assert Evidence.objects.count() == 2
    assert len(stored_files(media_root)) == 1


def test_a_file_cut_short_by_an_earlier_write_is_stored_again_in_full(user_a, media_root):
    deal = submitted(user_a)
    content = pdf_bytes("the full report")
    path = media_root / "evidence" / hashlib.sha256(content).hexdigest()[:2] / hashlib.sha256(content).hexdigest()
    path.parent.mkdir(parents=True)
    path.write_bytes(content[:10])  # a crash in the middle of an earlier upload of the same bytes
    services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=SimpleUploadedFile("r.pdf", content))
    assert path.read_bytes() == content
    assert len(stored_files(media_root)) == 1


def test_the_same_file_twice_on_one_item_is_refused(user_a):
    deal = submitted(user_a)
    item = item_of(deal, "pipia")
    services.evidence_add(actor=user_a, item=item, uploaded_file=pdf_upload())
    with pytest.raises(DomainError) as refused:
        services.evidence_add(actor=user_a, item=item, uploaded_file=pdf_upload("again.pdf"))
    assert refused.value.code == "duplicate_evidence"
    assert Evidence.objects.count() == 1


def test_a_replaced_document_stays_on_record_and_downloadable(client, user_a, compliance_user):
    deal = in_review(user_a, compliance_user)
    item = item_of(deal, "pipia")
    first = services.evidence_add(actor=user_a, item=item, uploaded_file=pdf_upload("pipia-v1.pdf", "v1"))
    second = services.evidence_add(
        actor=user_a, item=item, uploaded_file=pdf_upload("pipia-v2.pdf", "v2"), replaces=first
    )
    first.refresh_from_db()
    assert (first.status, second.status, second.replaces) == ("replaced", "current", first)
    client.force_login(compliance_user)
    for evidence, text in ((first, b"v1"), (second, b"v2")):
        response = client.get(reverse("compliance_evidence_download", args=[deal.pk, evidence.pk]))
        assert response.status_code == 200
        assert text in b"".join(response.streaming_content)


def test_only_a_current_document_of_the_same_item_can_be_replaced(user_a):
    deal = submitted(user_a)
    other = services.evidence_add(actor=user_a, item=item_of(deal, "legal_opinion"), uploaded_file=pdf_upload())
    with pytest.raises(DomainError) as refused:
        services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload("x.pdf", "x"),
                              replaces=other)  # fmt: skip
    assert refused.value.code == "evidence_not_current"


def test_withdrawn_document_keeps_its_row_and_its_file(user_a, media_root):
    deal = submitted(user_a)
    evidence = services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    services.evidence_withdraw(actor=user_a, evidence=evidence)
    evidence.refresh_from_db()
    assert evidence.status == "withdrawn"
    assert default_storage.exists(stored_name(evidence.sha256))


# --- who may download -----------------------------------------------------------------------------------------


@pytest.fixture
def filed(user_a):
    deal = submitted(user_a)
    evidence = services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload("pipia.pdf"))
    return deal, evidence


def test_the_officer_downloads_a_document_as_an_attachment_with_nosniff(client, compliance_user, filed):
    deal, evidence = filed
    client.force_login(compliance_user)
    response = client.get(reverse("compliance_evidence_download", args=[deal.pk, evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="pipia.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_the_owning_originator_downloads_its_document(client, user_a, filed):
    deal, evidence = filed
    client.force_login(user_a)
    assert client.get(reverse("compliance_evidence_download", args=[deal.pk, evidence.pk])).status_code == 200


def test_an_originator_never_sees_another_companys_evidence(client, api_client, user_b, filed):
    deal, evidence = filed
    own = submitted(user_b)
    client.force_login(user_b)
    assert client.get(reverse("compliance_evidence_download", args=[deal.pk, evidence.pk])).status_code == 404
    # Not even by pairing its own deal with the other company's document.
    assert client.get(reverse("compliance_evidence_download", args=[own.pk, evidence.pk])).status_code == 404
    assert client.get(reverse("compliance_review", args=[deal.pk])).status_code == 404
    api_client.force_authenticate(user_b)
    assert api_client.get(f"/api/review-evidence/{evidence.pk}/download/").status_code == 404
    assert api_client.get(f"/api/review-evidence/{evidence.pk}/").status_code == 404
    assert api_client.get("/api/review-evidence/").json()["results"] == []
    assert api_client.get(f"/api/review-items/{evidence.item_id}/").status_code == 404


def test_investors_see_no_evidence_even_of_a_published_deal(client, api_client, investor_staff, filed):
    deal, evidence = filed
    deal.__class__.objects.filter(pk=deal.pk).update(status="published")  # on the market, visible to investors
    client.force_login(investor_staff)
    assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 200
    assert client.get(reverse("compliance_evidence_download", args=[deal.pk, evidence.pk])).status_code == 404
    assert client.get(reverse("compliance_review", args=[deal.pk])).status_code == 404
    api_client.force_authenticate(investor_staff)
    assert api_client.get(f"/api/review-evidence/{evidence.pk}/download/").status_code == 404
    assert api_client.get("/api/compliance-reviews/").json()["results"] == []


def test_a_missing_stored_file_is_a_404_not_a_server_error(client, compliance_user, filed):
    deal, evidence = filed
    default_storage.delete(stored_name(evidence.sha256))
    client.force_login(compliance_user)
    assert client.get(reverse("compliance_evidence_download", args=[deal.pk, evidence.pk])).status_code == 404
