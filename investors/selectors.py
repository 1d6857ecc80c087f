"""Scoped reads of investors, risk profiles, orders, allocations and the book."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from deals.choices import PUBLIC_STATES, DealStatus
from deals.compliance.models import FactChange
from deals.models import Deal, Tranche
from deals.selectors import deal_list_for
from origination.models import User

from .book import BookSummary, Order, book_summary
from .match_rows import MARKET_STATES
from .models import Allocation, IndicationOfInterest, IndicationStatus, Investor, Match, RiskProfile


def investor_list_for(user: User) -> QuerySet[Investor]:
    """Investors the user may see: its own institution (investor staff), all (arranger), none otherwise."""
    qs = Investor.objects.select_related("risk_profile")
    if not user.is_authenticated:
        return qs.none()
    if user.is_arranger:
        return qs
    if user.is_investor:
        return qs.filter(pk=user.investor_id)
    return qs.none()


def risk_profile_list_for(user: User) -> QuerySet[RiskProfile]:
    """Risk profiles of the investors the user may see."""
    return RiskProfile.objects.filter(investor__in=investor_list_for(user)).select_related("investor")


def _book_scope(qs: QuerySet, user: User) -> QuerySet:
    """Book rows (orders, allocations) a user may see: an investor its own, an originator its deals', the arranger all."""
    if not user.is_authenticated:
        return qs.none()
    if user.is_arranger:
        return qs
    if user.is_investor:
        return qs.filter(investor_id=user.investor_id)
    if user.is_originator:
        return qs.filter(tranche__deal__originator_id=user.originator_id)
    return qs.none()


def order_list_for(user: User) -> QuerySet[IndicationOfInterest]:
    """Orders the user may see: an investor its own; an originator those on its deals; the arranger all."""
    return _book_scope(IndicationOfInterest.objects.select_related("investor", "tranche", "tranche__deal"), user)


def may_read_order_reasons(user: User, order: IndicationOfInterest) -> bool:
    """Why an order was held names its investor's profile: the investor's own staff and the arranger read it."""
    return user.is_authenticated and (user.is_arranger or (user.is_investor and user.investor_id == order.investor_id))


def allocation_list_for(user: User) -> QuerySet[Allocation]:
    """Allocations the user may see, scoped like orders."""
    return _book_scope(Allocation.objects.select_related("investor", "tranche", "tranche__deal"), user)


def book_deal_list_for(user: User) -> QuerySet[Deal]:
    """Deals whose book the user may open: those it may see, except for compliance officers (the book is the
    market's orders and allotments, not part of the review)."""
    deals = deal_list_for(user)
    return deals.none() if user.is_compliance else deals


@dataclass
class TrancheBook:
    """One tranche's side of the book as the user may see it."""

    tranche: Tranche
    orders: list[IndicationOfInterest]
    summary: BookSummary | None
    allocations: list[Allocation]


def book_for(user: User, deal: Deal) -> list[TrancheBook]:
    """The book of a deal the user may open (`book_deal_list_for`), per tranche.

    The originator and the arranger see every order with coverage and clearing
    yield; an investor sees only its own orders and allocations, never the
    others' (so no coverage either, which would reveal them).
    """
    sees_whole_book = user.is_arranger or (user.is_originator and user.originator_id == deal.originator_id)
    tranches = list(Tranche.objects.filter(deal=deal).order_by("payment_priority"))
    orders = list(order_list_for(user).filter(tranche__deal=deal).order_by("tranche_id", "yield_rate", "created_at"))
    allocations = list(allocation_list_for(user).filter(tranche__deal=deal))
    books = []
    for tranche in tranches:
        mine = [o for o in orders if o.tranche_id == tranche.pk]
        active = [Order(order_id=o.pk, amount=o.amount, yield_rate=o.yield_rate) for o in mine if o.status == "active"]
        summary = book_summary(size=tranche.size, orders=active) if sees_whole_book else None
        books.append(
            TrancheBook(
                tranche=tranche,
                orders=mine,
                summary=summary,
                allocations=[a for a in allocations if a.tranche_id == tranche.pk],
            )
        )
    return books


def match_list_for(user: User) -> QuerySet[Match]:
    """Matches the user may see: an investor its own, on products still on the market; the arranger all."""
    qs = Match.objects.select_related("tranche", "deal", "deal__originator", "investor").filter(
        deal__status__in=MARKET_STATES
    )
    if not user.is_authenticated:
        return qs.none()
    if user.is_arranger:
        return qs
    if user.is_investor:
        return qs.filter(investor_id=user.investor_id)
    return qs.none()


def investor_holds_deal(*, investor_id: int | None, deal: Deal) -> bool:
    """The investor holds notes of the deal (allotted at issue) or has an order in its book."""
    if investor_id is None:
        return False
    allotted = Allocation.objects.filter(investor_id=investor_id, tranche__deal=deal, amount__gt=0)
    ordered = IndicationOfInterest.objects.filter(
        investor_id=investor_id, tranche__deal=deal, status=IndicationStatus.ACTIVE
    )
    return allotted.exists() or ordered.exists()


def market_deal_list_for(user: User) -> QuerySet[Deal]:
    """Deals on the market (published, or in book building) the user may see: the products an investor orders."""
    return deal_list_for(user).filter(status__in=MARKET_STATES)


def product_deal_list_for(user: User) -> QuerySet[Deal]:
    """Deals whose product page the user may open: those on the market, and the issued ones its institution holds
    (`investor_holds_deal`: notes allotted, or an order in the book), whose page carries the notices of changes."""
    investor_id = getattr(user, "investor_id", None)
    holds = Exists(
        Allocation.objects.filter(investor_id=investor_id, tranche__deal=OuterRef("pk"), amount__gt=0)
    ) | Exists(
        IndicationOfInterest.objects.filter(
            investor_id=investor_id, tranche__deal=OuterRef("pk"), status=IndicationStatus.ACTIVE
        )
    )
    issued_and_held = Q(status=DealStatus.ISSUED) & Q(holds)
    return deal_list_for(user).filter(Q(status__in=MARKET_STATES) | issued_and_held)


def fact_notices_for(user: User, deal: Deal) -> list[FactChange]:
    """Changes to the facts of a deal made while it was on the market or after issue, oldest first.

    Its investors see them when they hold it (notes allotted, or an order in the
    book), as do its originator and the arranger (docs/frozen_facts.md).
    """
    if not user.is_authenticated:
        return []
    if user.is_investor:
        if not investor_holds_deal(investor_id=user.investor_id, deal=deal):
            return []
    elif not (user.is_arranger or (user.is_originator and user.originator_id == deal.originator_id)):
        return []
    return list(
        FactChange.objects.filter(deal=deal, deal_status__in=PUBLIC_STATES)
        .select_related("deal")
        .order_by("created_at", "pk")
    )
