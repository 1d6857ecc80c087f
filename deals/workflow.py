"""The deal workflow: one function, `deal_move`, makes every move of a deal.

Each move checks the actor's role and organisation, the deal's state and the
move's preconditions, locks the deal row, changes the status, runs what the
move sets off and appends the hash-chained audit event, all in one
transaction. What other modules do on a move is a hook declared here by name
(`MOVE_HOOKS`, `COMMITTED_HOOKS`) whose handlers are registered in
deals/apps.py and investors/apps.py (docs/architecture.md, "Hooks"); the named
wrappers below (`deal_submit`, ...) are thin calls to `deal_move`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from origination.choices import Role
from origination.errors import ConflictError, DomainError
from origination.formatting import money
from origination.hooks import Hook, hook_declare
from origination.models import RevenueRecord

from .audit import audit_append
from .choices import (
    ALLOWED_TRANSITIONS,
    SUPPORT_KINDS,
    SYSTEM,
    DealStatus,
    DealType,
    EnhancementKind,
    PledgeStatus,
    PoolAssetKind,
    TrancheClass,
    Transition,
)
from .compliance import services as review_services
from .compliance.checks import add_months
from .models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche

MIN_REVENUE_MONTHS = 12


@dataclass(frozen=True)
class Move:
    """One move as the handlers of its hooks receive it: the locked deal, already in its new status, and the
    move's own data (`issue_date` for the issue; `n_paths` and `seed`, the valuation request, for start_valuation)."""

    deal: Deal
    action: str
    actor: Any
    from_status: str
    reason: str
    issue_date: datetime.date | None = None
    n_paths: int | None = None
    seed: int | None = None


# What a move sets off in another module: `handler(move)` runs inside the move's transaction, under the deal's lock,
# after the status change and before the audit event; a handler that raises refuses the move. A required hook with
# no handler is a system check error (origination.E001), so none of these can silently go missing.
MOVE_HOOKS: dict[str, Hook] = {
    "submit": hook_declare(
        "deal_submitted",
        "On submit, record the facts the deal relies on as compliance reviews them (docs/frozen_facts.md).",
        required=True,
    ),
    "approve": hook_declare(
        "deal_approved",
        "On approval, take the facts changed during the review into it and resolve their open changes "
        "(docs/frozen_facts.md).",
        required=True,
    ),
    "reopen_review": hook_declare(
        "deal_review_reopened",
        "When a changed fact reopens the review, close the deal's valuation runs: they value facts that no longer "
        "hold (docs/frozen_facts.md).",
        required=True,
    ),
    "start_valuation": hook_declare(
        "deal_valuation_started",
        "Queue the valuation run the move asks for: no deal is 'valuing' without a run.",
        required=True,
    ),
    "fail_valuation": hook_declare(
        "deal_valuation_failed",
        "When a valuation is recorded as failed, close the deal's runs still queued or running.",
        required=True,
    ),
    "issue": hook_declare(
        "deal_issued",
        "At issue, allot the book: every order is checked again against its investor's mandate and suitability "
        "(the special risk warning above its level), and one that no longer stands is held, not allotted.",
        required=True,
    ),
}
# `handler(move)` after the move's transaction commits (a failure there no longer undoes the move).
COMMITTED_HOOKS: dict[str, Hook] = {
    "publish": hook_declare(
        "deal_published",
        "After a deal is published, match its products against every investor.",
    ),
}


# The checks a deal passes before it may be submitted, by the key its problem is reported under (in this order).
SUBMISSION_CHECKS: tuple[tuple[str, Any], ...] = (
    ("pool", gettext_lazy("At least one data asset backs the pool")),
    ("revenue", gettext_lazy("At least %(months)d months of revenue history on the pool's data assets")),
    ("tranches", gettext_lazy("The tranches add up to the deal size")),
    ("legal_maturity_date", gettext_lazy("The legal maturity is after the expected issue date and expected maturity")),
    ("pool_maturity", gettext_lazy("Every pool asset matures between the expected issue date and the legal maturity")),
    ("pool_principal", gettext_lazy("The pool's principal covers the notes")),
    ("pool_kind", gettext_lazy("The pool's claims fit the deal type")),
    ("payment_priority", gettext_lazy("The subordinated class is paid last")),
    ("enhancement_amount", gettext_lazy("Every guarantee, shortfall undertaking and reserve account has an amount")),
    ("covered_classes", gettext_lazy("Guarantees and shortfall undertakings cover only classes the deal has")),
)


def _data_problems(deal: Deal, pool_assets: list[PoolAsset]) -> dict[str, str]:
    """Pool: at least one data asset, and enough months of revenue history on them."""
    asset_ids = {asset.pk for pool_asset in pool_assets for asset in pool_asset.data_assets.all()}
    if not asset_ids:
        return {"pool": _("The pool has no data asset: link at least one data asset to a pool asset.")}
    months = RevenueRecord.objects.filter(data_asset_id__in=asset_ids).values("period").distinct().count()
    if months < MIN_REVENUE_MONTHS:
        return {
            "revenue": _(
                "The pool's data assets have %(months)d months of revenue history; at least %(min)d are needed."
            )
            % {"months": months, "min": MIN_REVENUE_MONTHS}
        }
    return {}


def _tranche_problems(deal: Deal, tranches: list[Tranche]) -> dict[str, str]:
    """The tranches add up to the deal size, and the subordinated (residual) class is paid after every other."""
    problems: dict[str, str] = {}
    total = sum((t.size for t in tranches), Decimal("0"))
    if not tranches:
        problems["tranches"] = _("The deal has no tranches.")
    elif total != deal.target_size:
        problems["tranches"] = _("The tranches add up to %(total)s CNY but the deal size is %(size)s CNY.") % {
            "total": money(total),
            "size": money(deal.target_size),
        }
    rated = [t for t in tranches if t.tranche_class != TrancheClass.SUBORDINATED]
    last_rated = max(rated, key=lambda t: t.payment_priority, default=None)
    early = [
        t for t in tranches if t.tranche_class == TrancheClass.SUBORDINATED and last_rated is not None
        and t.payment_priority < last_rated.payment_priority
    ]  # fmt: skip
    if early and last_rated is not None:
        problems["payment_priority"] = " ".join(
            _(
                "The subordinated class “%(name)s” (payment priority %(priority)d) is paid before “%(other)s” "
                "(priority %(other_priority)d): the residual class must be paid last."
            )
            % {
                "name": t.name,
                "priority": t.payment_priority,
                "other": last_rated.name,
                "other_priority": last_rated.payment_priority,
            }
            for t in early
        )
    return problems


def _claim(pool_asset: PoolAsset) -> str:
    return _("“%(obligor)s” (#%(id)s)") % {"obligor": pool_asset.obligor, "id": pool_asset.pk}


def _date_problems(deal: Deal, pool_assets: list[PoolAsset]) -> dict[str, str]:
    """The legal maturity comes after issue and expected maturity; every claim matures between issue and legal final."""
    problems: dict[str, str] = {}
    issue, legal = deal.expected_issue_date, deal.legal_maturity_date
    if issue and legal:
        expected = add_months(issue, deal.tenor_months)
        if legal < issue:
            problems["legal_maturity_date"] = _(
                "The legal maturity date (%(legal)s) is before the expected issue date (%(issue)s)."
            ) % {"legal": legal.isoformat(), "issue": issue.isoformat()}
        elif legal < expected:
            problems["legal_maturity_date"] = _(
                "The legal maturity date (%(legal)s) is before the expected maturity (%(expected)s: the expected "
                "issue date plus the %(months)d-month tenor)."
            ) % {"legal": legal.isoformat(), "expected": expected.isoformat(), "months": deal.tenor_months}
    messages = []
    for pool_asset in pool_assets:
        values = {"claim": _claim(pool_asset), "maturity": pool_asset.maturity_date.isoformat()}
        if issue and pool_asset.maturity_date < issue:
            messages.append(
                _("Pool asset %(claim)s matures on %(maturity)s, before the expected issue date (%(issue)s).")
                % {**values, "issue": issue.isoformat()}
            )
        elif legal and pool_asset.maturity_date > legal:
            messages.append(
                _("Pool asset %(claim)s matures on %(maturity)s, after the legal maturity date (%(legal)s).")
                % {**values, "legal": legal.isoformat()}
            )
    if messages:
        problems["pool_maturity"] = " ".join(messages)
    return problems


def _pool_problems(deal: Deal, pool_assets: list[PoolAsset], tranches: list[Tranche]) -> dict[str, str]:
    """The pool covers the notes, and its claims are of the deal's type (licence streams only in a licence deal)."""
    problems: dict[str, str] = {}
    pool = sum((p.principal for p in pool_assets), Decimal("0"))
    notes = sum((t.size for t in tranches), Decimal("0"))
    if pool_assets and tranches and pool < notes:
        problems["pool_principal"] = _(
            "The pool's principal (%(pool)s CNY) is smaller than the notes (%(notes)s CNY, the sum of the tranches)."
        ) % {"pool": money(pool), "notes": money(notes)}
    licence_deal = deal.deal_type == DealType.LICENCE_REVENUE
    misfits = [p for p in pool_assets if (p.kind == PoolAssetKind.LICENCE_REVENUE) != licence_deal]
    if misfits:
        claims = pgettext("list separator", ", ").join(_claim(p) for p in misfits)
        if licence_deal:
            problems["pool_kind"] = _(
                "A licence-revenue deal's pool holds licence revenue streams only; these claims are not: %(claims)s."
            ) % {"claims": claims}
        else:
            problems["pool_kind"] = _(
                "Licence revenue streams belong in a licence-revenue deal, not in a deal of type “%(type)s”: "
                "%(claims)s."
            ) % {"type": deal.get_deal_type_display(), "claims": claims}
    return problems


def _enhancement(enhancement: CreditEnhancement) -> str:
    values = {"kind": enhancement.get_kind_display(), "id": enhancement.pk, "provider": enhancement.provider}
    if enhancement.provider:
        return _("%(kind)s by “%(provider)s” (#%(id)s)") % values
    return _("%(kind)s (#%(id)s)") % values


def _enhancement_problems(enhancements: list[CreditEnhancement], tranches: list[Tranche]) -> dict[str, str]:
    """Support and reserves carry an amount; support covers only the deal's own classes."""
    problems: dict[str, str] = {}
    amount_needed = SUPPORT_KINDS | {EnhancementKind.RESERVE_ACCOUNT}
    empty = [e for e in enhancements if e.kind in amount_needed and not e.amount]
    if empty:
        problems["enhancement_amount"] = _("These have no amount: %(items)s.") % {
            "items": pgettext("list separator", ", ").join(_enhancement(e) for e in empty)
        }
    classes = {t.tranche_class for t in tranches}
    labels = dict(TrancheClass.choices)
    messages = []
    for enhancement in enhancements:
        foreign = [c for c in (enhancement.covered_classes or []) if c not in classes]
        if enhancement.kind in SUPPORT_KINDS and foreign:
            messages.append(
                _("%(item)s covers %(classes)s, which the deal has no tranche of.")
                % {
                    "item": _enhancement(enhancement),
                    "classes": pgettext("list separator", ", ").join(str(labels.get(c, c)) for c in foreign),
                }
            )
    if messages:
        problems["covered_classes"] = " ".join(messages)
    return problems


def deal_submission_problems(*, deal: Deal) -> dict[str, str]:
    """What stops a deal from being submitted, by check (SUBMISSION_CHECKS); empty when it may be submitted.

    Each message says what is wrong and where (the claim, tranche or enhancement by name and id). Legal-title
    problems (missing rights, unpledged data-secured claims) are findings of the compliance review instead.
    """
    pool_assets = list(PoolAsset.objects.filter(deal=deal).prefetch_related("data_assets").order_by("pk"))
    tranches = list(Tranche.objects.filter(deal=deal).order_by("payment_priority", "pk"))
    enhancements = list(CreditEnhancement.objects.filter(deal=deal).order_by("pk"))
    found = {
        **_data_problems(deal, pool_assets),
        **_tranche_problems(deal, tranches),
        **_date_problems(deal, pool_assets),
        **_pool_problems(deal, pool_assets, tranches),
        **_enhancement_problems(enhancements, tranches),
    }
    return {key: found[key] for key, _label in SUBMISSION_CHECKS if key in found}


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
        return bool(actor.originator_id == deal.originator_id)
    return True


def available_transitions(*, deal: Deal, actor: Any) -> list[Transition]:
    """The moves this actor can make on the deal now, for buttons on the page."""
    return [
        t
        for t in ALLOWED_TRANSITIONS.values()
        if deal.status in t.sources and transition_allowed_for(deal=deal, transition=t, actor=actor)
    ]


def deal_move(
    *,
    deal: Deal,
    action: str,
    actor: Any,
    reason: str = "",
    issue_date: datetime.date | None = None,
    n_paths: int | None = None,
    seed: int | None = None,
) -> Deal:
    """Make the named workflow move: every button, API call, worker and wrapper moves a deal through here.

    `reason` is what the actor typed (required by some moves); `issue_date` is the issue move's (today when not
    given); `n_paths` and `seed` are the valuation request of start_valuation (the valuation job's defaults when not
    given). A move ignores the data of another move. Refused: an unknown action (400 unknown_action), a role or
    company that may not make it (403 forbidden), a state it does not start from (409 invalid_transition), a
    missing reason (400 reason_required), an unmet precondition (400 preconditions_not_met, one field per check).
    """
    transition = ALLOWED_TRANSITIONS.get(action)
    if transition is None:
        raise DomainError("unknown_action", _("There is no workflow move called '%(action)s'.") % {"action": action})
    reason = (reason or "").strip()
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
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
            issue_date = deal.issue_date = issue_date or timezone.localdate()
            update_fields.append("issue_date")
        else:
            issue_date = None
        if action != "start_valuation":
            n_paths = seed = None
        deal.save(update_fields=update_fields)
        if action == "submit":
            # Each submission builds (first time) or re-checks the compliance review, in this transaction.
            review_services.review_on_submit(deal=deal)
        if transition.target in (DealStatus.WITHDRAWN, DealStatus.REJECTED):
            # A deal that will never issue frees its pledged data assets.
            Pledge.objects.filter(deal=deal, status=PledgeStatus.ACTIVE).update(status=PledgeStatus.RELEASED)
            # The reviews of the other deals those assets back are checked again: a double pledge may be gone.
            review_services.deal_pledges_freed(deal)
        move = Move(
            deal=deal, action=action, actor=actor, from_status=from_status, reason=reason,
            issue_date=issue_date, n_paths=n_paths, seed=seed,
        )  # fmt: skip
        if action in MOVE_HOOKS:
            MOVE_HOOKS[action].fire(move)
        audit_append(
            deal=deal,
            actor=actor,
            actor_label=_actor_label(actor),
            action=action,
            from_status=from_status,
            to_status=transition.target,
            reason=reason,
        )
        if action in COMMITTED_HOOKS:
            transaction.on_commit(lambda: COMMITTED_HOOKS[action].fire(move))
    return deal


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    org = actor.organisation
    name = actor.get_full_name() or actor.username
    return f"{name} ({actor.role}{', ' + str(org) if org else ''})"


def deal_submit(*, deal: Deal, actor: Any) -> Deal:
    """Originator submits a complete application for compliance review."""
    return deal_move(deal=deal, action="submit", actor=actor)


def deal_start_review(*, deal: Deal, actor: Any) -> Deal:
    """Compliance officer takes a submitted deal into review."""
    return deal_move(deal=deal, action="start_review", actor=actor)


def deal_request_changes(*, deal: Deal, actor: Any, reason: str) -> Deal:
    """Compliance officer sends the deal back to the originator, saying what to change."""
    return deal_move(deal=deal, action="request_changes", actor=actor, reason=reason)


def deal_reject(*, deal: Deal, actor: Any, reason: str) -> Deal:
    """Compliance officer rejects the deal, with a reason."""
    return deal_move(deal=deal, action="reject", actor=actor, reason=reason)


def deal_approve(*, deal: Deal, actor: Any) -> Deal:
    """Compliance officer approves the deal's privacy compliance."""
    return deal_move(deal=deal, action="approve", actor=actor)


def deal_start_valuation(*, deal: Deal, actor: Any, n_paths: int | None = None, seed: int | None = None) -> Deal:
    """Arranger (or the system) starts the valuation of an approved deal; its run is queued in the same move."""
    return deal_move(deal=deal, action="start_valuation", actor=actor, n_paths=n_paths, seed=seed)


def deal_complete_valuation(*, deal: Deal, actor: Any = None) -> Deal:
    """The valuation worker records that the deal is valued."""
    return deal_move(deal=deal, action="complete_valuation", actor=actor)


def deal_fail_valuation(*, deal: Deal, actor: Any = None, reason: str) -> Deal:
    """A valuation failed; the deal goes back to approved so it can be retried."""
    return deal_move(deal=deal, action="fail_valuation", actor=actor, reason=reason)


def deal_publish(*, deal: Deal, actor: Any) -> Deal:
    """Arranger publishes a valued deal to investors."""
    return deal_move(deal=deal, action="publish", actor=actor)


def deal_open_book(*, deal: Deal, actor: Any) -> Deal:
    """Arranger opens book building on a published deal."""
    return deal_move(deal=deal, action="open_book", actor=actor)


def deal_issue(*, deal: Deal, actor: Any, issue_date: datetime.date | None = None) -> Deal:
    """Arranger closes the book and issues the notes (on `issue_date`, today by default)."""
    return deal_move(deal=deal, action="issue", actor=actor, issue_date=issue_date)


def deal_withdraw(*, deal: Deal, actor: Any, reason: str) -> Deal:
    """Originator withdraws its deal at any state before issue."""
    return deal_move(deal=deal, action="withdraw", actor=actor, reason=reason)


def deal_reopen_review(*, deal: Deal, reason: str) -> Deal:
    """The platform sends a deal in review or approved back to the review queue: a fact it relies on changed.

    Made by the system, never by a button (deals.facts calls it); `reason` names the change (docs/frozen_facts.md).
    """
    return deal_move(deal=deal, action="reopen_review", actor=None, reason=reason)
