"""The deal workflow: one public service per move, all through one private transition function.

Each move checks the actor's role and organisation, the deal's state and the
move's preconditions, locks the deal row, changes the status and appends the
hash-chained audit event, all in one transaction. Side effects wait for commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from origination.choices import Role
from origination.errors import ConflictError, DomainError
from origination.models import RevenueRecord

from .audit import audit_append
from .choices import ALLOWED_TRANSITIONS, SYSTEM, DealStatus, PledgeStatus, Transition
from .compliance import services as review_services
from .models import Deal, Pledge, Tranche

MIN_REVENUE_MONTHS = 12

# Called after commit with (deal_id, action); later stages (matching on publish) register here.
_after_commit_hooks: list[Callable[[int, str], None]] = []


# Run inside the move's transaction, after the status change: `effect(deal)`. The issue move allots the book here,
# so a deal is never issued without its allocation (or allotted without being issued).
_in_transaction_effects: dict[str, list[Callable[[Deal], None]]] = {}


def register_transition_effect(action: str, effect: Callable[[Deal], None]) -> None:
    """Run `effect(deal)` inside every `action` move's transaction, under the deal's lock."""
    effects = _in_transaction_effects.setdefault(action, [])
    if effect not in effects:
        effects.append(effect)


def register_transition_hook(hook: Callable[[int, str], None]) -> None:
    """Run `hook(deal_id, action)` after every committed transition."""
    if hook not in _after_commit_hooks:
        _after_commit_hooks.append(hook)


def deal_submission_problems(*, deal: Deal) -> dict[str, str]:
    """What stops a deal from being submitted, by field; empty when it may be submitted."""
    problems: dict[str, str] = {}
    asset_ids = list(
        deal.pool_assets.filter(data_assets__isnull=False).values_list("data_assets", flat=True).distinct()
    )
    if not asset_ids:
        problems["pool"] = _("The pool has no data asset: link at least one data asset to a pool asset.")
    else:
        months = RevenueRecord.objects.filter(data_asset_id__in=asset_ids).values("period").distinct().count()
        if months < MIN_REVENUE_MONTHS:
            problems["revenue"] = _(
                "The pool's data assets have %(months)d months of revenue history; at least %(min)d are needed."
            ) % {"months": months, "min": MIN_REVENUE_MONTHS}
    sizes = list(Tranche.objects.filter(deal=deal).values_list("size", flat=True))
    total = sum(sizes, Decimal("0"))
    if not sizes:
        problems["tranches"] = _("The deal has no tranches.")
    elif total != deal.target_size:
        problems["tranches"] = _("The tranches add up to %(total)s CNY but the deal size is %(size)s CNY.") % {
            "total": f"{total:,.2f}",
            "size": f"{deal.target_size:,.2f}",
        }
    return problems


def deal_approval_problems(*, deal: Deal) -> dict[str, str]:
    """What stops compliance approval: each condition precedent of the review still open, with its reasons."""
    return review_services.approval_problems(deal=deal)


_PRECONDITIONS: dict[str, Callable[..., dict[str, str]]] = {
    "submit": deal_submission_problems,
    "approve": deal_approval_problems,
}


def actor_role(actor: Any) -> str:
    """The workflow role of an actor; None is the system (a worker)."""
    return SYSTEM if actor is None else actor.role


def transition_allowed_for(*, deal: Deal, transition: Transition, actor: Any) -> bool:
    """Whether the actor's role and organisation may make this move on this deal (state not checked)."""
    role = actor_role(actor)
    if role not in transition.roles:
        return False
    if role == Role.ORIGINATOR:
        return actor.originator_id == deal.originator_id
    return True


def available_transitions(*, deal: Deal, actor: Any) -> list[Transition]:
    """The moves this actor can make on the deal now, for buttons on the page."""
    return [
        t
        for t in ALLOWED_TRANSITIONS.values()
        if deal.status in t.sources and transition_allowed_for(deal=deal, transition=t, actor=actor)
    ]


def _deal_transition(
    *, deal_id: int, action: str, actor: Any, reason: str = "", issue_date: datetime.date | None = None
) -> Deal:
    transition = ALLOWED_TRANSITIONS.get(action)
    if transition is None:
        raise DomainError("unknown_action", _("There is no workflow move called '%(action)s'.") % {"action": action})
    reason = (reason or "").strip()
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal_id)
        if not transition_allowed_for(deal=deal, transition=transition, actor=actor):
            raise DomainError(
                "forbidden",
                _("Your role may not '%(label)s' this deal.") % {"label": transition.label},
                status=403,
            )
        if deal.status not in transition.sources:
            raise ConflictError(
                "invalid_transition",
                _("A deal that is '%(status)s' cannot be moved by '%(label)s'.")
                % {"status": deal.get_status_display(), "label": transition.label},
            )
        if transition.reason_required and not reason:
            raise DomainError("reason_required", _("Give a reason."), fields={"reason": _("This move needs a reason.")})
        precondition = _PRECONDITIONS.get(action)
        problems = precondition(deal=deal) if precondition else {}
        if problems:
            raise DomainError("preconditions_not_met", " ".join(problems.values()), fields=problems)
        if action == "request_changes":
            # The originator gets the officer's reason followed by the review's open items.
            reason = review_services.reason_with_open_items(deal=deal, reason=reason)
        from_status = deal.status
        deal.status = transition.target
        deal.status_changed_at = timezone.now()
        update_fields = ["status", "status_changed_at", "updated_at"]
        if transition.target == DealStatus.ISSUED:
            deal.issue_date = issue_date or timezone.localdate()
            update_fields.append("issue_date")
        deal.save(update_fields=update_fields)
        if action == "submit":
            # Each submission builds (first time) or re-checks the compliance review, in this transaction.
            review_services.review_on_submit(deal=deal)
        if transition.target in (DealStatus.WITHDRAWN, DealStatus.REJECTED):
            # A deal that will never issue frees its pledged data assets.
            Pledge.objects.filter(deal=deal, status=PledgeStatus.ACTIVE).update(status=PledgeStatus.RELEASED)
        for effect in _in_transaction_effects.get(action, []):
            effect(deal)
        audit_append(
            deal=deal,
            actor=actor,
            actor_label=_actor_label(actor),
            action=action,
            from_status=from_status,
            to_status=transition.target,
            reason=reason,
        )
        for hook in _after_commit_hooks:
            transaction.on_commit(lambda hook=hook: hook(deal.pk, action))
    return deal


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    org = actor.organisation
    name = actor.get_full_name() or actor.username
    return f"{name} ({actor.role}{', ' + str(org) if org else ''})"


def deal_transition(*, deal: Deal, action: str, actor: Any, reason: str = "") -> Deal:
    """Make the named workflow move; the API and pages dispatch here by action name (via `deal_move`)."""
    return _deal_transition(deal_id=deal.pk, action=action, actor=actor, reason=reason)


def deal_move(*, deal: Deal, action: str, actor: Any, reason: str = "") -> Deal:
    """What a button or an API call asks for by name: starting a valuation also queues its run."""
    if action == "start_valuation":
        from .valuation_jobs import valuation_request

        valuation_request(actor=actor, deal=deal)
        return Deal.objects.get(pk=deal.pk)
    return deal_transition(deal=deal, action=action, actor=actor, reason=reason)


def deal_submit(*, deal: Deal, actor: Any) -> Deal:
    """Originator submits a complete application for compliance review."""
    return _deal_transition(deal_id=deal.pk, action="submit", actor=actor)


def deal_start_review(*, deal: Deal, actor: Any) -> Deal:
    """Compliance officer takes a submitted deal into review."""
    return _deal_transition(deal_id=deal.pk, action="start_review", actor=actor)


def deal_request_changes(*, deal: Deal, actor: Any, reason: str) -> Deal:
    """Compliance officer sends the deal back to the originator, saying what to change."""
    return _deal_transition(deal_id=deal.pk, action="request_changes", actor=actor, reason=reason)


def deal_reject(*, deal: Deal, actor: Any, reason: str) -> Deal:
    """Compliance officer rejects the deal, with a reason."""
    return _deal_transition(deal_id=deal.pk, action="reject", actor=actor, reason=reason)


def deal_approve(*, deal: Deal, actor: Any) -> Deal:
    """Compliance officer approves the deal's privacy compliance."""
    return _deal_transition(deal_id=deal.pk, action="approve", actor=actor)


def deal_start_valuation(*, deal: Deal, actor: Any) -> Deal:
    """Arranger (or the system) starts the valuation of an approved deal."""
    return _deal_transition(deal_id=deal.pk, action="start_valuation", actor=actor)


def deal_complete_valuation(*, deal: Deal, actor: Any = None) -> Deal:
    """The valuation worker records that the deal is valued."""
    return _deal_transition(deal_id=deal.pk, action="complete_valuation", actor=actor)


def deal_fail_valuation(*, deal: Deal, actor: Any = None, reason: str) -> Deal:
    """A valuation failed; the deal goes back to approved so it can be retried."""
    return _deal_transition(deal_id=deal.pk, action="fail_valuation", actor=actor, reason=reason)


def deal_publish(*, deal: Deal, actor: Any) -> Deal:
    """Arranger publishes a valued deal to investors."""
    return _deal_transition(deal_id=deal.pk, action="publish", actor=actor)


def deal_open_book(*, deal: Deal, actor: Any) -> Deal:
    """Arranger opens book building on a published deal."""
    return _deal_transition(deal_id=deal.pk, action="open_book", actor=actor)


def deal_issue(*, deal: Deal, actor: Any, issue_date: datetime.date | None = None) -> Deal:
    """Arranger closes the book and issues the notes (on `issue_date`, today by default)."""
    return _deal_transition(deal_id=deal.pk, action="issue", actor=actor, issue_date=issue_date)


def deal_withdraw(*, deal: Deal, actor: Any, reason: str) -> Deal:
    """Originator withdraws its deal at any state before issue."""
    return _deal_transition(deal_id=deal.pk, action="withdraw", actor=actor, reason=reason)
