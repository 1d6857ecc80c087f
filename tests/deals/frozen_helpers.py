"""Deals walked through the workflow to a given state, for the tests of frozen facts (docs/frozen_facts.md)."""

from __future__ import annotations

from decimal import Decimal

from deals import workflow
from deals.choices import DealStatus, DealType
from deals.models import Deal
from investors.models import IndicationOfInterest
from origination.models import DataAsset, DataRight, User
from tests.deals.compliance.helpers import pass_review
from tests.factories import submittable_deal

S = DealStatus
# The moves from draft to each state, in order (the workflow's own path, as users make it).
_PATH = [
    (S.SUBMITTED, "submit"),
    (S.IN_REVIEW, "start_review"),
    (S.COMPLIANCE_APPROVED, "approve"),
    (S.VALUING, "start_valuation"),
    (S.VALUED, "complete_valuation"),
    (S.PUBLISHED, "publish"),
    (S.BOOK_BUILDING, "open_book"),
    (S.ISSUED, "issue"),
]


def deal_in_state(
    status: str,
    *,
    originator: User,
    officer: User,
    arranger: User,
    investor: User | None = None,
    deal_type: str = DealType.LICENCE_REVENUE,
) -> Deal:
    """A deal of the originator's company moved through the workflow to `status`.

    Changes requested: submitted, taken into review and sent back. Issued: the
    investor (when given) has an order of 10 m on the senior tranche, allotted at issue.
    """
    deal = submittable_deal(originator, deal_type=deal_type)
    if status == S.DRAFT:
        return deal
    if status == S.CHANGES_REQUESTED:
        workflow.deal_submit(deal=deal, actor=originator)
        workflow.deal_start_review(deal=deal, actor=officer)
        return workflow.deal_request_changes(deal=deal, actor=officer, reason="Add the PIPIA.")
    actors = {"submit": originator, "start_review": officer, "approve": officer, "complete_valuation": None}
    for target, action in _PATH:
        if action == "approve":
            pass_review(deal, officer=officer, originator=originator)
        if action == "issue" and investor is not None:
            # As a valuation would have rated it: the order meets the investor's mandate at issue.
            deal.tranches.filter(payment_priority=1).update(implied_rating="AAA")
            IndicationOfInterest.objects.create(
                investor=investor.investor,
                tranche=deal.tranches.get(payment_priority=1),
                amount=Decimal("10000000"),
                yield_rate=Decimal("0.0215"),
                created_by=investor,
            )
        deal = workflow.deal_move(deal=deal, action=action, actor=actors.get(action, arranger))
        if target == status:
            return deal
    raise ValueError(status)


def asset_of(deal: Deal) -> DataAsset:
    """The one data asset behind a deal made by `submittable_deal`."""
    return deal.pool_assets.get().data_assets.get()


def right_of(deal: Deal, right_type: str = "processing_use") -> DataRight:
    """One registered right of the deal's data asset."""
    return DataRight.objects.get(data_asset=asset_of(deal), right_type=right_type)


def last_events(deal: Deal, n: int) -> list[tuple[str, str, str]]:
    """(action, from, to) of the deal's last `n` audit events, oldest first."""
    events = deal.audit_events.order_by("-sequence")[:n]
    return [(e.action, e.from_status, e.to_status) for e in reversed(events)]
