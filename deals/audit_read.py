"""Who reads which event of a deal's audit log: the book's events only as the reader may see the book.

Kept apart from audit.py (which appends and renders, and imports the models) so
that the scoped reads (deals/selectors.py) can ask without importing the chain's
writer. docs/audit.md, "What is recorded".
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy

# The book's events: an investor's order, and at issue each order held and each allotment (investors/orders.py).
BOOK_ACTIONS: dict[str, Any] = {
    "order_placed": gettext_lazy("Order placed"),
    "order_amended": gettext_lazy("Order amended"),
    "order_withdrawn": gettext_lazy("Order withdrawn"),
    "order_held": gettext_lazy("Order held at issue"),
    "order_allotted": gettext_lazy("Notes allotted"),
}


def book_params(reason: str) -> dict[str, Any]:
    """A book event's stored parameters (empty when the reason is not a JSON object)."""
    try:
        params = json.loads(reason) if reason else {}
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


def may_read_audit_event(user: Any, deal: Any, event: Any) -> bool:
    """Whether the reader may see this event of a deal they can see: a book event only as they may see the book.

    An investor reads the events of its own orders, never another investor's (not even that one ordered); the
    deal's originator and the arranger read them all; compliance officers do not see the book. Every other
    event is read by whoever sees the deal.
    """
    if event.action not in BOOK_ACTIONS:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_arranger:
        return True
    if user.is_originator:
        return user.originator_id == deal.originator_id
    if user.is_investor:
        return user.investor_id is not None and book_params(event.reason).get("investor_id") == user.investor_id
    return False
