"""Writes of the book: investors place, amend and withdraw orders; the book is allotted at issue.

A new or amended order must be within the investor's mandate and, above its
risk tolerance, follow a confirmed special warning (investors/suitability.py),
against the profile as it is when the order is written. At issue every active
order is checked again: one that no longer stands is held, with its reasons,
and not allotted.

Each of these is an event of the deal's audit chain (deals.audit.BOOK_ACTIONS),
in the transaction that writes it, under the deal's lock: an order placed,
amended or withdrawn by its investor's staff, and at issue each order held and
each allotment, by the platform, just before the issue move (docs/audit.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.audit import audit_record, change_reason
from deals.choices import DealStatus
from deals.models import Deal, Tranche
from origination.errors import ConflictError, DomainError
from origination.formatting import money
from origination.limits import CENT, RATE
from origination.models import User

from .book import DEFAULT_UNIT, Order, allocate, book_summary
from .models import Allocation, IndicationOfInterest, IndicationStatus, Investor
from .suitability import ensure_order_allowed, order_breaches

BOOK_OPEN_STATES = frozenset({DealStatus.PUBLISHED, DealStatus.BOOK_BUILDING})
# The book is allotted as the deal leaves book building: its events are recorded at that status, and the issue
# move follows them in the same transaction.
ALLOTTED_AT = DealStatus.BOOK_BUILDING


def _money(amount: Decimal) -> Decimal:
    """An amount as its column keeps it (to the cent), so the hashed record reads the same however it was typed."""
    return Decimal(amount).quantize(CENT)


def _rate(rate: Decimal) -> Decimal:
    return Decimal(rate).quantize(Decimal(1).scaleb(-RATE["decimal_places"]))


def _order_params(order: IndicationOfInterest) -> dict[str, object]:
    """The order's language-neutral parameters for its audit event: order, investor, tranche, amount and yield."""
    return {
        "id": order.pk,
        "investor_id": order.investor_id,
        "investor": order.investor.name,
        "tranche_id": order.tranche_id,
        "tranche": order.tranche.name,
        "amount": _money(order.amount),
        "yield_rate": _rate(order.yield_rate),
    }


def _order_reason(order: IndicationOfInterest) -> str:
    return change_reason(**_order_params(order))


def _ensure_investor(actor: User) -> Investor:
    if not (actor.is_investor and actor.investor_id):
        raise DomainError("forbidden", _("Only investor staff place orders."), status=403)
    return actor.investor


def _validate_order(*, investor: Investor, tranche: Tranche, amount: Decimal, yield_rate: Decimal) -> None:
    """The order's own figures, then the investor's mandate and the suitability warning, as they are now."""
    fields: dict[str, str] = {}
    if amount <= 0:
        fields["amount"] = _("The amount must be more than zero.")
    elif amount % DEFAULT_UNIT:
        fields["amount"] = _("Orders are in units of %(unit)s CNY.") % {"unit": money(DEFAULT_UNIT, digits=0)}
    elif amount > tranche.size:
        fields["amount"] = _("The tranche is %(size)s CNY; the order cannot be larger.") % {"size": money(tranche.size)}
    if not (Decimal("0") < yield_rate < Decimal("0.5")):
        fields["yield_rate"] = _("Give the yield as a fraction between 0 and 0.5 (e.g. 0.0210 for 2.10 %).")
    if fields:
        raise DomainError("invalid", " ".join(fields.values()), fields=fields)
    ensure_order_allowed(investor=investor, tranche=tranche, amount=amount)


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
        if IndicationOfInterest.objects.filter(
            investor=investor, tranche=tranche, status=IndicationStatus.ACTIVE
        ).exists():
            raise ConflictError(
                "order_exists", _("You already have an order on this tranche: amend or withdraw it instead.")
            )
        order = IndicationOfInterest.objects.create(
            investor=investor, tranche=tranche, amount=amount, yield_rate=yield_rate, created_by=actor
        )
        audit_record(deal=tranche.deal, actor=actor, action="order_placed", reason=_order_reason(order))
        return order


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
    """Replace an active order by a new one; the old one is kept, marked amended.

    The new order passes the same checks as a new one, against the investor's
    profile as it is now (a tolerance lowered since the first order counts).
    """
    with transaction.atomic():
        tranche = _lock_open_tranche(order.tranche)
        old = _own_active_order(actor, order)
        _validate_order(investor=old.investor, tranche=tranche, amount=amount, yield_rate=yield_rate)
        old.status = IndicationStatus.SUPERSEDED
        old.closed_at = timezone.now()
        old.save(update_fields=["status", "closed_at"])
        order = IndicationOfInterest.objects.create(
            investor=old.investor,
            tranche=tranche,
            amount=amount,
            yield_rate=yield_rate,
            supersedes=old,
            created_by=actor,
        )
        changes = {
            name: (as_stored(getattr(old, name)), as_stored(getattr(order, name)))
            for name, as_stored in (("amount", _money), ("yield_rate", _rate))
            if getattr(old, name) != getattr(order, name)
        }
        reason = change_reason(**_order_params(order), supersedes=old.pk, changes=changes)
        audit_record(deal=tranche.deal, actor=actor, action="order_amended", reason=reason)
        return order


def order_withdraw(*, actor: User, order: IndicationOfInterest) -> IndicationOfInterest:
    """Withdraw an active order while the book is open; it stays in the record."""
    with transaction.atomic():
        tranche = _lock_open_tranche(order.tranche)
        old = _own_active_order(actor, order)
        old.status = IndicationStatus.WITHDRAWN
        old.closed_at = timezone.now()
        old.save(update_fields=["status", "closed_at"])
        audit_record(deal=tranche.deal, actor=actor, action="order_withdrawn", reason=_order_reason(old))
        return old


def _hold_unsuitable(orders: list[IndicationOfInterest], tranche: Tranche) -> list[IndicationOfInterest]:
    """Hold, with their reasons, the orders that no longer stand against their investor's current profile.

    Returns the orders that do, which go on to allotment.
    """
    standing = []
    for order in orders:
        breaches = order_breaches(investor=order.investor, tranche=tranche, amount=order.amount)
        if not breaches:
            standing.append(order)
            continue
        order.status = IndicationStatus.HELD
        order.held_reasons = [b.as_dict() for b in breaches]
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "held_reasons", "closed_at"])
        # Why it was held names the investor's profile: it stays on the order, not in the deal's log.
        audit_record(
            deal=tranche.deal, actor=None, action="order_held", reason=_order_reason(order), status=ALLOTTED_AT
        )
    return standing


def book_allocate(*, deal: Deal) -> list[Allocation]:
    """At issue: allot each tranche's active orders pro rata at the clearing yield, in units of 100,000 CNY.

    Called inside the issue transition, which holds the deal's lock. Each order
    is first checked against its investor's profile as it is at issue: one
    outside the mandate, or above the investor's tolerance without the warning
    confirmed at its current level, is held with its reasons and not allotted.
    A fully covered book sets the tranche's coupon to its clearing yield.
    """
    created: list[Allocation] = []
    for tranche in Tranche.objects.select_related("deal").filter(deal=deal).order_by("payment_priority"):
        active = IndicationOfInterest.objects.select_related("investor").filter(
            tranche=tranche, status=IndicationStatus.ACTIVE
        )
        orders = _hold_unsuitable(list(active.select_for_update(of=("self",))), tranche)
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
        for order, row in zip(orders, rows, strict=True):
            allotted = {
                "id": row.pk,
                "order": order.pk,
                "amount": _money(row.amount),
                "yield_rate": _rate(row.clearing_yield),
            }
            reason = change_reason(**{**_order_params(order), **allotted})
            audit_record(deal=tranche.deal, actor=None, action="order_allotted", reason=reason, status=ALLOTTED_AT)
        if summary.fully_covered and tranche.tranche_class != "subordinated":
            # A covered book sets the coupon: the notes pay the yield at which the book cleared.
            Tranche.objects.filter(pk=tranche.pk).update(coupon=summary.clearing_yield)
    return created
