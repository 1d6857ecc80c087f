"""What triggers matching: a deal published, a risk profile changed (the nightly run is in the beat schedule)."""

from __future__ import annotations

from deals.workflow import register_transition_hook

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


def connect() -> None:
    """Register the matching triggers (called once from the app config)."""
    register_transition_hook(_on_transition)
    register_profile_change_hook(_on_profile_change)
