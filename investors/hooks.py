"""What the investor side does on the deal's moves: allot the book at issue, match a published deal.

Handlers of hooks the deal workflow declares (deals/workflow.py), registered in
investors/apps.py.
"""

from __future__ import annotations

from deals.workflow import Move

from .match_jobs import match_request
from .models import MatchRun
from .orders import book_allocate


def on_issue(move: Move) -> None:
    """At issue, inside the move's transaction: allot the book.

    Each order is first checked again against its investor's mandate and
    suitability as they are now; one that no longer stands is held with its
    reasons and not allotted (investors/orders.py).
    """
    book_allocate(deal=move.deal)


def on_publish(move: Move) -> None:
    """After a deal is published: match its products against every investor."""
    match_request(scope=MatchRun.Scope.DEAL, scope_id=move.deal.pk)
