"""The export a regulator reads: a well-formed workbook with every item, answer, document hash, finding and the
audit trail, read back with openpyxl."""

from __future__ import annotations

import hashlib
import io

import pytest
from openpyxl import load_workbook

from deals import workflow
from deals.compliance import services
from deals.compliance.export import review_workbook

from .helpers import in_review, item_of, pdf_bytes, pdf_upload, review_of

pytestmark = pytest.mark.django_db

SHEETS = ["Summary", "Items", "Answers", "Evidence", "Automatic findings", "Officer's findings", "Audit trail"]


def _rows(sheet) -> list[dict[str, object]]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


@pytest.fixture
def exported(user_a, compliance_user):
    deal = in_review(user_a, compliance_user, has_personal_info=True)
    lawful = item_of(deal, "pi_lawful_basis")
    services.item_answer(actor=user_a, item=lawful, text="Consent.")
    services.item_answer(actor=user_a, item=lawful, text='=HYPERLINK("http://evil","click")')
    services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload("PIPIA.pdf"))
    services.item_assess(actor=compliance_user, item=item_of(deal, "mlps"), outcome="finding", comment="Level 2 only.")
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="See the MLPS finding.")
    data = review_workbook(review=review_of(deal), user=compliance_user)
    return deal, load_workbook(io.BytesIO(data))


def test_the_workbook_has_a_sheet_for_each_part(exported):
    _deal, workbook = exported
    assert workbook.sheetnames == SHEETS


def test_every_item_is_listed_with_its_legal_texts_in_both_languages(exported):
    deal, workbook = exported
    items = _rows(workbook["Items"])
    assert [row["Code"] for row in items] == list(
        review_of(deal).items.order_by("template_item__position").values_list("template_item__code", flat=True)
    )
    pipia = next(row for row in items if row["Code"] == "pipia")
    assert pipia["Legal basis (Chinese)"] == "《个人信息保护法》第五十五条、第五十六条"
    assert pipia["Title (English)"] == "Personal information protection impact assessment (PIPIA)"
    assert pipia["Condition precedent"] == "yes"
    mlps = next(row for row in items if row["Code"] == "mlps")
    assert (mlps["Officer's finding"], mlps["Severity"], mlps["Comment"]) == ("Finding", "Medium", "Level 2 only.")


def test_every_answer_version_is_kept_and_typed_text_is_never_a_formula(exported):
    _deal, workbook = exported
    answers = [(row["Code"], row["Version"], row["Answer"]) for row in _rows(workbook["Answers"])]
    assert answers == [
        ("pi_lawful_basis", 1, "Consent."),
        ("pi_lawful_basis", 2, '=HYPERLINK("http://evil","click")'),
    ]
    cell = workbook["Answers"]["D3"]
    assert cell.data_type == "s"


def test_documents_are_listed_with_their_sha256(exported):
    _deal, workbook = exported
    [document] = _rows(workbook["Evidence"])
    assert document["File name"] == "PIPIA.pdf"
    assert document["SHA-256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    assert document["Size (bytes)"] == len(pdf_bytes())
    assert document["Status"] == "Current"


def test_automatic_findings_are_listed_open_and_cleared(exported):
    _deal, workbook = exported
    findings = _rows(workbook["Automatic findings"])
    assert [(f["Rule"], f["Open"]) for f in findings] == [("Personal information without a PIPIA", "no")]
    assert findings[0]["Cleared at"]  # the PIPIA filed cleared it


def test_the_audit_trail_matches_the_hash_chain(exported):
    deal, workbook = exported
    trail = _rows(workbook["Audit trail"])
    events = list(deal.audit_events.order_by("sequence"))
    assert [(r["Sequence"], r["Action"], r["Hash"], r["Previous hash"]) for r in trail] == [
        (e.sequence, e.action, e.hash, e.prev_hash) for e in events
    ]
    assert trail[-1]["Reason"].startswith("See the MLPS finding.")
    summary = {row["Field"]: row["Value"] for row in _rows(workbook["Summary"])}
    assert summary["Audit chain verified"] == "yes"
    assert summary["Deal"] == deal.name
    assert summary["Open findings"] == 1  # the officer's MLPS finding
