"""Helpers for tests that need a deal through compliance: files, and closing every item of a review.

Approval is refused while any condition precedent is open, so a test that walks
a deal past `approve` first closes its review the way users would: the
originator files the documents the automatic checks ask for, the officer
passes every item. Import `pass_review` from here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from deals import workflow
from deals.compliance import services
from deals.compliance.checks import RULE_ITEM
from deals.compliance.models import ComplianceReview, ReviewItem
from deals.models import Deal
from origination.models import DataAsset, User
from tests.factories import submittable_deal


def pdf_bytes(text: str = "evidence") -> bytes:
    """A small, well-formed one-page PDF (what an evidence file starts with: %PDF-)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
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


def pdf_upload(name: str = "report.pdf", text: str = "evidence") -> SimpleUploadedFile:
    """A PDF as a browser would upload it."""
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def _originator_staff(deal: Deal) -> User:
    return User.objects.filter(originator_id=deal.originator_id).order_by("pk").first()


def pass_review(deal: Deal, *, officer: User, originator: User | None = None) -> ComplianceReview:
    """Close every item of an in-review deal's review: file the documents its automatic checks ask for, pass all.

    Data findings (an expiring right, a pledge) are not fixed here: the officer's pass is then refused.
    """
    review = services.review_ensure(deal=deal)
    originator = originator or _originator_staff(deal)
    open_rules = set(review.automatic_findings.filter(cleared_at__isnull=True).values_list("rule", flat=True))
    document_items = {RULE_ITEM[rule] for rule in open_rules} - {"chain_of_title", "registration_pledge_filing"}
    for item in review.items.select_related("template_item"):
        if item.template_item.code in document_items:
            services.evidence_add(
                actor=originator, item=item, uploaded_file=pdf_upload(f"{item.template_item.code}.pdf")
            )
    for item in review.items.select_related("template_item"):
        services.item_assess(actor=officer, item=item, outcome="pass")
    return review


# --- deals standing in review, for the compliance tests ---------------------------------------------------------

LEGAL_MATURITY = dt.date(2030, 6, 30)


def stored_files(media_root: Path) -> list[Path]:
    """Every file under the evidence store (temporary upload files included)."""
    root = Path(media_root) / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def asset_of(deal: Deal) -> DataAsset:
    """The one data asset behind a deal made by `submittable_deal`."""
    return deal.pool_assets.get().data_assets.get()


def make_deal(user: User, **asset_flags: object) -> Deal:
    """A draft deal of the user's company (legal maturity 2030-06-30) whose data asset has these attributes."""
    deal = submittable_deal(user)
    Deal.objects.filter(pk=deal.pk).update(legal_maturity_date=LEGAL_MATURITY)
    deal.refresh_from_db()
    if asset_flags:
        DataAsset.objects.filter(pk=asset_of(deal).pk).update(**asset_flags)
    return deal


def submitted(user: User, **asset_flags: object) -> Deal:
    """A deal of the user's company, submitted (its review built)."""
    return workflow.deal_submit(deal=make_deal(user, **asset_flags), actor=user)


def in_review(user: User, officer: User, **asset_flags: object) -> Deal:
    """A deal of the user's company taken into review by the officer."""
    return workflow.deal_start_review(deal=submitted(user, **asset_flags), actor=officer)


def review_of(deal: Deal) -> ComplianceReview:
    return ComplianceReview.objects.get(deal=deal)


def item_of(deal: Deal, code: str) -> ReviewItem:
    return ReviewItem.objects.select_related("template_item", "review").get(review__deal=deal, template_item__code=code)


def open_findings(deal: Deal) -> set[tuple[str, str]]:
    """(rule, asset name) of the deal's open automatic findings, after the platform re-runs its checks."""
    review = review_of(deal)
    services.review_refresh(review=review)
    return {(f.rule, f.details.get("asset", "")) for f in review.automatic_findings.filter(cleared_at__isnull=True)}
