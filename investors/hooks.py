"""What the investor side does on the deal's moves: re-match on publish and profile change, allot the book at issue."""

from __future__ import annotations

from deals.workflow import register_transition_effect, register_transition_hook

from .services import register_profile_change_hook

# Moves after which a deal's products enter the market or change.
REMATCH_DEAL_ON = frozenset({"publish"})


def _on_transition(deal_id: int, action: str) -> None:
    if action in REMATCH_DEAL_ON:
        from .match_jobs import match_request
        from .models import MatchRun

        match_request(scope=MatchRun.Scope.DEAL, scope_id=deal_id)


def _on_profile_change(investor_id: int) -> None:
    from .match_jobs import match_request
    from .models import MatchRun

    match_request(scope=MatchRun.Scope.INVESTOR, scope_id=investor_id)


def _allocate_on_issue(deal) -> None:  # type: ignore[no-untyped-def]
    from .orders import book_allocate

    book_allocate(deal=deal)


def connect() -> None:
    """Register the matching triggers (called once from the app config)."""
    register_transition_hook(_on_transition)
    register_transition_effect("issue", _allocate_on_issue)
    register_profile_change_hook(_on_profile_change)
