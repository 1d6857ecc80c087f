"""Writes of the book: investors place, amend and withdraw orders; the book is allotted at issue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.choices import DealStatus
from deals.models import Deal, Tranche
from origination.errors import ConflictError, DomainError
from origination.models import User

from .book import DEFAULT_UNIT, Order, allocate, book_summary
from .models import Allocation, IndicationOfInterest, IndicationStatus, Investor, RiskProfile

BOOK_OPEN_STATES = frozenset({DealStatus.PUBLISHED, DealStatus.BOOK_BUILDING})

# Set by the suitability module: `check(investor, tranche) -> None` raising DomainError when a warning is due.
_SUITABILITY_CHECKS: list[Any] = []


def register_suitability_check(check: Any) -> None:
    """Add a check every new or amended order must pass (the suitability warning rule)."""
    if check not in _SUITABILITY_CHECKS:
        _SUITABILITY_CHECKS.append(check)


def _ensure_investor(actor: User) -> Investor:
    if not (actor.is_investor and actor.investor_id):
        raise DomainError("forbidden", _("Only investor staff place orders."), status=403)
    return actor.investor


def _validate_order(*, investor: Investor, tranche: Tranche, amount: Decimal, yield_rate: Decimal) -> None:
    fields: dict[str, str] = {}
    profile = RiskProfile.objects.filter(investor=investor).first()
    if profile is None:
        raise DomainError("risk_profile_missing", _("Fill in the risk questionnaire before registering interest."))
    if amount <= 0:
        fields["amount"] = _("The amount must be more than zero.")
    elif amount % DEFAULT_UNIT:
        fields["amount"] = _("Orders are in units of %(unit)s CNY.") % {"unit": f"{DEFAULT_UNIT:,.0f}"}
    elif amount > tranche.size:
        fields["amount"] = _("The tranche is %(size)s CNY; the order cannot be larger.") % {
            "size": f"{tranche.size:,.2f}"
        }
    elif not (profile.ticket_min <= amount <= profile.ticket_max):
        fields["amount"] = _("Your mandate allows tickets of %(low)s to %(high)s CNY.") % {
            "low": f"{profile.ticket_min:,.0f}",
            "high": f"{profile.ticket_max:,.0f}",
        }
    if not (Decimal("0") < yield_rate < Decimal("0.5")):
        fields["yield_rate"] = _("Give the yield as a fraction between 0 and 0.5 (e.g. 0.0210 for 2.10 %).")
    if fields:
        raise DomainError("invalid", " ".join(fields.values()), fields=fields)


def _lock_open_tranche(tranche: Tranche) -> Tranche:
    deal = Deal.objects.select_for_update().get(pk=tranche.deal_id)
    if deal.status not in BOOK_OPEN_STATES:
        raise ConflictError(
            "book_closed",
            _("The book of '%(deal)s' is not open (the deal is '%(status)s').")
            % {"deal": deal.name, "status": deal.get_status_display()},
        )
    return Tranche.objects.select_related("deal").get(pk=tranche.pk)


def order_place(*, actor: User, tranche: Tranche, amount: Decimal, yield_rate: Decimal) -> IndicationOfInterest:
    """Register interest in a tranche: amount within the mandate's tickets and the tranche, a yield asked."""
    investor = _ensure_investor(actor)
    with transaction.atomic():
        tranche = _lock_open_tranche(tranche)
        _validate_order(investor=investor, tranche=tranche, amount=amount, yield_rate=yield_rate)
        for check in _SUITABILITY_CHECKS:
            check(investor=investor, tranche=tranche)
        if IndicationOfInterest.objects.filter(
            investor=investor, tranche=tranche, status=IndicationStatus.ACTIVE
        ).exists():
            raise ConflictError(
                "order_exists", _("You already have an order on this tranche: amend or withdraw it instead.")
            )
        return IndicationOfInterest.objects.create(
            investor=investor, tranche=tranche, amount=amount, yield_rate=yield_rate, created_by=actor
        )


def _own_active_order(actor: User, order: IndicationOfInterest) -> IndicationOfInterest:
    investor = _ensure_investor(actor)
    locked = IndicationOfInterest.objects.select_for_update().get(pk=order.pk)
    if locked.investor_id != investor.pk:
        raise DomainError("not_found", _("No such order."), status=404)
    if locked.status != IndicationStatus.ACTIVE:
        raise ConflictError("order_not_active", _("This order was already amended or withdrawn."))
    return locked


def order_amend(
    *, actor: User, order: IndicationOfInterest, amount: Decimal, yield_rate: Decimal
) -> IndicationOfInterest:
    """Replace an active order by a new one; the old one is kept, marked amended."""
    with transaction.atomic():
        tranche = _lock_open_tranche(order.tranche)
        old = _own_active_order(actor, order)
        _validate_order(investor=old.investor, tranche=tranche, amount=amount, yield_rate=yield_rate)
        old.status = IndicationStatus.SUPERSEDED
        old.closed_at = timezone.now()
        old.save(update_fields=["status", "closed_at"])
        return IndicationOfInterest.objects.create(
            investor=old.investor,
            tranche=tranche,
            amount=amount,
            yield_rate=yield_rate,
            supersedes=old,
            created_by=actor,
        )


def order_withdraw(*, actor: User, order: IndicationOfInterest) -> IndicationOfInterest:
    """Withdraw an active order while the book is open; it stays in the record."""
    with transaction.atomic():
        _lock_open_tranche(order.tranche)
        old = _own_active_order(actor, order)
        old.status = IndicationStatus.WITHDRAWN
        old.closed_at = timezone.now()
        old.save(update_fields=["status", "closed_at"])
        return old


def book_allocate(*, deal: Deal) -> list[Allocation]:
    """At issue: allot each tranche's active orders pro rata at the clearing yield, in units of 100,000 CNY.

    Called inside the issue transition, which holds the deal's lock. A fully
    covered book sets the tranche's coupon to its clearing yield.
    """
    created: list[Allocation] = []
    for tranche in Tranche.objects.filter(deal=deal).order_by("payment_priority"):
        orders = list(IndicationOfInterest.objects.filter(tranche=tranche, status=IndicationStatus.ACTIVE))
        if not orders:
            continue
        book = [Order(order_id=o.pk, amount=o.amount, yield_rate=o.yield_rate) for o in orders]
        summary = book_summary(size=tranche.size, orders=book)
        allotted = allocate(size=tranche.size, orders=book)
        rows = [
            Allocation(
                order=o,
                investor_id=o.investor_id,
                tranche=tranche,
                amount=allotted[o.pk],
                clearing_yield=summary.clearing_yield,
            )
            for o in orders
        ]
        created.extend(Allocation.objects.bulk_create(rows))
        if summary.fully_covered and tranche.tranche_class != "subordinated":
            # A covered book sets the coupon: the notes pay the yield at which the book cleared.
            Tranche.objects.filter(pk=tranche.pk).update(coupon=summary.clearing_yield)
    return created
