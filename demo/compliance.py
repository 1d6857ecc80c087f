"""Demo data: the compliance reviews of the demo deals, filled the way the originator and the officer would.

Deals the demo walks past approval get a closed review: the originator answers
every item and files the documents the platform's automatic checks ask for
(small PDFs, stored by hash under MEDIA_ROOT like any upload), and the officer
passes each item, or finds it not applicable where the data says so. The deal
in review gets a few answers, so the officer's page is not blank.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from deals.compliance import services as review_services
from deals.compliance.checks import deal_data_assets
from deals.compliance.choices import ItemOutcome
from deals.compliance.models import ComplianceReview, ReviewItem
from deals.models import Deal
from origination.choices import ClassificationGrade
from origination.models import DataAsset, DataRight, User

PI_ITEMS = {
    "pi_lawful_basis",
    "separate_consent",
    "pipia",
    "deidentification",
    "minimum_necessity",
    "automated_decision",
}
# Documents filed for an item when any data asset of the deal needs them (what the automatic checks look for).
DOCUMENTS = {
    "pipia": ("PIPIA report", lambda a: a.has_personal_info),
    "separate_consent": ("Separate consent records", lambda a: a.has_sensitive_personal_info),
    "classification_risk_assessment": (
        "Data security risk assessment report",
        lambda a: a.classification_grade != ClassificationGrade.GENERAL,
    ),
    "cross_border": ("Standard contract filing receipt", lambda a: a.cross_border_flow),
    "legal_opinion": ("Data compliance legal opinion", lambda a: True),
}
ANSWERS = {
    "pi_lawful_basis": "Consent under PIPL art. 13(1) collected in the app and at registration; notice per art. 17 "
    "(privacy policy v3.2). 依据个人同意处理，告知内容符合第十七条。",
    "separate_consent": "Separate consent (单独同意) obtained for provision to licensees and the plan manager; "
    "records kept per data subject.",
    "pipia": "PIPIA completed before licensing and before the transfer to the plan; report kept for three years.",
    "deidentification": "{deidentification}",
    "minimum_necessity": "Only the fields the licensees' purposes need are released; raw records are deleted after "
    "24 months.",
    "automated_decision": "Risk-pricing model documented; fairness tested across obligor groups; no differential "
    "treatment of individuals.",
    "classification_risk_assessment": "Graded under GB/T 43697-2024: {grades}. Risk assessment filed where important "
    "data is held.",
    "cross_border": "No data leaves mainland China; storage and processing are in the originator's Shanghai and "
    "Guiyang data centres. 数据不出境。",
    "chain_of_title": "{rights}",
    "registration_pledge_filing": "Data products listed at the exchange; any pledges filed in the PBoC unified "
    "movable-property registry.",
    "mlps": "Holding system filed at MLPS level 3 (等保三级); latest assessment passed.",
    "true_sale": "The sale agreement assigns the claims with notice to each obligor; no anti-assignment clause; "
    "bankruptcy remote per the plan documents.",
    "legal_opinion": "Unqualified data compliance opinion issued by the plan's counsel.",
}


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small well-formed one-page PDF with a title and a few lines (ASCII; other characters are dropped)."""

    def ascii_text(text: str) -> str:
        clean = text.encode("ascii", "ignore").decode().replace("\\", "").replace("(", "[").replace(")", "]")
        return " ".join(clean.split())[:110]

    rows = [f"BT /F1 14 Tf 72 740 Td ({ascii_text(title)}) Tj ET"]
    rows += [f"BT /F1 10 Tf 72 {712 - 16 * i} Td ({ascii_text(line)}) Tj ET" for i, line in enumerate(lines)]
    stream = "\n".join(rows).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _answer(code: str, assets: list[DataAsset]) -> str:
    grades = ", ".join(f"{a.name}: {a.get_classification_grade_display()}" for a in assets)
    rights = "; ".join(
        f"{r.get_right_type_display()} {r.certificate_no} ({r.registry}, until {r.expires_on:%Y-%m-%d})"
        for r in DataRight.objects.filter(data_asset__in=assets).order_by("data_asset__name", "right_type")
    )
    methods = "; ".join(f"{a.name}: {a.deidentification_method}" for a in assets if a.deidentification_method)
    return ANSWERS[code].format(grades=grades, rights=rights or "-", deidentification=methods or "-")


def _answer_items(*, review: ComplianceReview, originator: User, assets: list[DataAsset], codes: set[str]) -> None:
    for item in review.items.select_related("template_item").order_by("template_item__position"):
        code = item.template_item.code
        if code in codes and not item.answers.exists():
            review_services.item_answer(actor=originator, item=item, text=_answer(code, assets))


def _file_documents(*, deal: Deal, review: ComplianceReview, originator: User, assets: list[DataAsset]) -> None:
    for item in review.items.select_related("template_item"):
        document = DOCUMENTS.get(item.template_item.code)
        if document is None or item.evidence.exists() or not any(document[1](a) for a in assets):
            continue
        title = document[0]
        lines = [f"Deal: {deal.name}", f"Originator: {deal.originator.name}", "Covers the data assets:"]
        lines += [f"- {a.name}" for a in assets] + ["DataABS demo document."]
        upload = SimpleUploadedFile(f"{title}.pdf", demo_pdf(title, lines), content_type="application/pdf")
        review_services.evidence_add(actor=originator, item=item, uploaded_file=upload)


def _not_applicable_because(item: ReviewItem, assets: list[DataAsset]) -> str:
    code = item.template_item.code
    if code in PI_ITEMS and not any(a.has_personal_info for a in assets):
        return "No personal information in the underlying data (data asset register checked)."
    if code == "cross_border" and not any(a.cross_border_flow for a in assets):
        return "No cross-border flow: all data is stored and processed in mainland China."
    return ""


def complete_review(*, deal: Deal, originator: User, officer: User) -> None:
    """The originator answers and documents every item, the officer closes each one (the deal is in review)."""
    review = review_services.review_ensure(deal=deal)
    if review is None:
        return
    assets = deal_data_assets(deal)
    _answer_items(review=review, originator=originator, assets=assets, codes=set(ANSWERS))
    _file_documents(deal=deal, review=review, originator=originator, assets=assets)
    for item in review.items.select_related("template_item").order_by("template_item__position"):
        reason = _not_applicable_because(item, assets)
        outcome = ItemOutcome.NOT_APPLICABLE if reason else ItemOutcome.PASS
        review_services.item_assess(actor=officer, item=item, outcome=outcome, comment=reason)


def start_review_answers(*, deal: Deal, originator: User) -> None:
    """A review under way: the originator has answered the title and transaction items, not the privacy ones yet."""
    review = review_services.review_ensure(deal=deal)
    if review is not None:
        codes = {"chain_of_title", "registration_pledge_filing", "true_sale", "mlps"}
        _answer_items(review=review, originator=originator, assets=deal_data_assets(deal), codes=codes)
