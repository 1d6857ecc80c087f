"""A small but realistic platform for the API-wide checks: two originators, compliance, two investors, an arranger.

Each originator company has a draft data-pledge deal (pool, tranches, enhancement, pledge), a deal in review (its
review with an answer, a document and the officer's findings) and a deal past publication (A's on the book with
orders of both investors, B's issued); valuation runs (one finished with its result, one queued), comparables and
the market series complete it. Built through factories, services and workflow moves, as users would.

`World.ids` lists, per model label, the ids in creation order: the fuzzers and the route matrix point requests
at real objects of both companies with them, not at ids that exist nowhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import Model

from deals import valuation_jobs, workflow
from deals.choices import DealType
from deals.compliance import services as compliance_services
from deals.compliance.models import ReviewItem
from deals.market_data import comparable_transaction_create
from deals.models import Deal, Tranche, ValuationRun
from investors import orders
from origination.choices import Role
from origination.models import RevenueImport, User
from origination.services import data_asset_update
from tests.deals.compliance.helpers import pass_review, pdf_upload
from tests.factories import (
    InvestorFactory,
    OriginatorFactory,
    RiskProfileFactory,
    UserFactory,
    investor_user,
    originator_user,
    submittable_deal,
)

M = Decimal("1000000")

# The roles of the matrix: two of a kind belong to different organisations.
ROLES = ("originator_a", "originator_b", "compliance", "investor_a", "investor_b", "arranger", "anonymous")


@dataclass
class World:
    users: dict[str, User]
    deals: dict[str, Deal]
    ids: dict[str, list[int]] = field(default_factory=dict)

    def collect_ids(self) -> None:
        """Ids of every row of the project's models, by model label, oldest first."""
        for model in apps.get_models():
            if model._meta.app_label in ("origination", "deals", "investors"):
                self.ids[model._meta.label] = list(model._default_manager.order_by("pk").values_list("pk", flat=True))

    def ids_of(self, model: type[Model]) -> list[int]:
        return self.ids.get(model._meta.label, [])


def _published(deal: Deal, owner: User, officer: User, arranger: User, *, value: bool = False) -> Deal:
    """Through review and valuation to published; `value` runs the engine (1,000 paths) for a real result."""
    workflow.deal_submit(deal=deal, actor=owner)
    workflow.deal_start_review(deal=deal, actor=officer)
    pass_review(deal, officer=officer, originator=owner)
    workflow.deal_approve(deal=deal, actor=officer)
    if value:
        run = valuation_jobs.valuation_request(actor=arranger, deal=deal, n_paths=1000)
        valuation_jobs.valuation_execute(run_id=run.pk)
    else:
        workflow.deal_start_valuation(deal=deal, actor=arranger)
        workflow.deal_complete_valuation(deal=deal)
    return workflow.deal_publish(deal=Deal.objects.get(pk=deal.pk), actor=arranger)


def _in_review(deal: Deal, owner: User, officer: User) -> Deal:
    """Submitted and taken into review; one item answered and documented, one passed, one with a finding."""
    workflow.deal_submit(deal=deal, actor=owner)
    workflow.deal_start_review(deal=deal, actor=officer)
    items = list(ReviewItem.objects.filter(review__deal=deal).order_by("template_item__position"))
    asset = deal.pool_assets.get().data_assets.get()
    compliance_services.item_answer(actor=owner, item=items[0], text="The data is collected under contract.")
    compliance_services.evidence_add(actor=owner, item=items[0], uploaded_file=pdf_upload(), data_asset=asset)
    compliance_services.evidence_add(actor=owner, item=items[1], uploaded_file=pdf_upload("deal-wide"))
    compliance_services.item_assess(actor=officer, item=items[0], outcome="pass")
    compliance_services.item_assess(
        actor=officer, item=items[1], outcome="finding", severity="medium", comment="Licence terms to be confirmed."
    )
    return Deal.objects.get(pk=deal.pk)


def build_world() -> World:
    """The platform described in the module docstring; call inside a test transaction."""
    company_a = OriginatorFactory(name="Alpha Transport Data Co.")
    company_b = OriginatorFactory(name="Beta Energy Data Co.")
    institution_a = InvestorFactory(name="Prudent Life Insurance")
    institution_b = InvestorFactory(name="Bold Securities Fund", investor_type="fund")
    for institution in (institution_a, institution_b):
        RiskProfileFactory(
            investor=institution, risk_tolerance="C4", ticket_min=M, ticket_max=500 * M, max_tenor_months=120
        )
    users = {
        "originator_a": originator_user(company_a, username="alice"),
        "originator_b": originator_user(company_b, username="bob"),
        "compliance": UserFactory(role=Role.COMPLIANCE, username="carol"),
        "investor_a": investor_user(institution_a, username="ivy"),
        "investor_b": investor_user(institution_b, username="ian"),
        "arranger": UserFactory(role=Role.ARRANGER, username="arthur", is_staff=True),
    }
    officer, arranger = users["compliance"], users["arranger"]
    deals: dict[str, Deal] = {}
    for company in ("a", "b"):
        owner = users[f"originator_{company}"]
        deals[f"draft_{company}"] = submittable_deal(owner, deal_type=DealType.DATA_PLEDGE)
        deals[f"review_{company}"] = _in_review(submittable_deal(owner), owner, officer)
        deals[f"public_{company}"] = _published(submittable_deal(owner), owner, officer, arranger, value=company == "b")
    booked = workflow.deal_open_book(deal=deals["public_a"], actor=arranger)
    senior = Tranche.objects.get(deal=booked, payment_priority=1)
    senior.implied_rating = "AAA"  # as its valuation would rate it: the orders meet the investors' mandates
    senior.save(update_fields=["implied_rating"])
    for investor, amount in (("investor_a", 30 * M), ("investor_b", 50 * M)):
        orders.order_place(actor=users[investor], tranche=senior, amount=amount, yield_rate=Decimal("0.0225"))
    deals["public_a"] = booked
    workflow.deal_open_book(deal=deals["public_b"], actor=arranger)
    deals["public_b"] = workflow.deal_issue(deal=deals["public_b"], actor=arranger, issue_date=dt.date(2026, 11, 2))
    # Company B's data: a revenue file it imported, and a fact flipped after issue (a finding for the officer).
    owner_b = users["originator_b"]
    review_asset = deals["review_b"].pool_assets.order_by("pk").first().data_assets.order_by("pk").first()
    RevenueImport.objects.create(data_asset=review_asset, uploaded_by=owner_b, file_name="revenue.csv",
                                 sha256="0" * 64, row_count=0, total_amount=Decimal("0"))  # fmt: skip
    issued_asset = deals["public_b"].pool_assets.order_by("pk").first().data_assets.order_by("pk").first()
    data_asset_update(actor=owner_b, data_asset=issued_asset, cross_border_flow=not issued_asset.cross_border_flow)
    # A run still queued: no result yet.
    ValuationRun.objects.create(deal=deals["public_a"], requested_by=arranger, n_paths=1000)
    for category, price in (("transport", "12000000.00"), ("energy", "8000000.00")):
        comparable_transaction_create(
            actor=arranger, category=category, description=f"{category} data licence", venue="Shanghai Data Exchange",
            transaction_date=dt.date(2026, 6, 30), price=Decimal(price), annual_revenue=Decimal("3000000.00"),
            source="Exchange bulletin",
        )  # fmt: skip
    world = World(users=users, deals={key: Deal.objects.get(pk=deal.pk) for key, deal in deals.items()})
    world.collect_ids()
    return world
