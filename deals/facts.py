"""Facts a submitted deal relies on are frozen for it (docs/frozen_facts.md).

A deal's facts are the data assets behind it (linked to its pool or pledged to
it), their rights, and its pledges. Once the deal is submitted, a change to one
of them is a new version of the changed row (django-simple-history keeps the
old one), an audit event on every deal it backs, a `FactChange` the compliance
officer sees, and, by the deal's state: recorded for the review (submitted,
changes requested), the review reopened (in review up to book building), or a
finding raised for compliance and a notice for the deal's investors (issued).
Deleting a fact a frozen deal relies on is refused; a right is revoked instead.

The writers call, inside their transaction: `lock_deals_backed_by` before
locking the changed row (deals first, as every write of a deal), then
`fact_change_record` after the change. deals.services calls them directly;
origination.services, which imports no deal, fires the hook
`data_asset_facts_changing` (origination/asset_hooks.py) whose handler
(deals/asset_hooks.py) does the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from origination.errors import ConflictError
from origination.models import DataAsset, DataRight

from .audit import audit_append, audit_reason_text, plain_value
from .choices import (
    FACT_CHANGE_RECORDED_STATES,
    FACTS_FROZEN_STATES,
    REOPEN_ON_FACT_CHANGE_STATES,
    DealStatus,
    PledgeStatus,
)
from .compliance import services as review_services
from .compliance.checks import deal_data_assets
from .compliance.choices import FactChangeOutcome
from .compliance.models import ComplianceReview, FactChange
from .models import Deal, Pledge, ValuationRun
from .workflow import Move, _actor_label, deal_reopen_review

# The facts of each kind of row a review relies on, in the order a page shows them.
ASSET_FACT_FIELDS = tuple(
    f.name
    for f in DataAsset._meta.concrete_fields
    if f.editable and f.name not in {"id", "originator", "created_at", "updated_at"}
)
RIGHT_FACT_FIELDS = (
    "right_type", "holder", "certificate_no", "registry", "registry_type", "issued_on", "expires_on", "revoked_at",
    "revocation_reason",
)  # fmt: skip
PLEDGE_FACT_FIELDS = ("status", "registry_filing_no", "filed_on")


# --- which deals a row backs -------------------------------------------------------------------------------------


def deal_ids_backed_by(*, data_asset_id: int) -> set[int]:
    """Deals the data asset backs: linked to a claim of their pool, or actively pledged to them."""
    backed = Deal.objects.filter(
        Q(pool_assets__data_assets=data_asset_id)
        | Q(pledges__data_asset=data_asset_id, pledges__status=PledgeStatus.ACTIVE)
    )
    return set(backed.values_list("pk", flat=True).distinct())


def lock_deals_backed_by(*, data_asset_id: int) -> list[Deal]:
    """Lock every deal the asset backs, in id order, and return them with their current status.

    Called before the asset (or its right) is locked: deals first, the order of
    every write of a deal. A deal that links the asset while the locks are taken
    is locked in a second pass.
    """
    locked: set[int] = set()
    while True:
        new = deal_ids_backed_by(data_asset_id=data_asset_id) - locked
        if not new:
            break
        list(Deal.objects.select_for_update().filter(pk__in=new).order_by("pk").only("pk"))
        locked |= new
    return list(Deal.objects.filter(pk__in=locked).order_by("pk"))


def frozen_deals(deals: list[Deal]) -> list[Deal]:
    """The deals whose facts are frozen: submitted and not sent back, up to and after issue."""
    return [deal for deal in deals if deal.status in FACTS_FROZEN_STATES]


def _deal_list(deals: list[Deal]) -> str:
    return pgettext("list separator", ", ").join(
        _("“%(name)s” (%(status)s)") % {"name": deal.name, "status": deal.get_status_display()} for deal in deals
    )


def ensure_deletable(*, deals: list[Deal], what: str, instead: str, code: str) -> None:
    """Refuse (409 `code`) to delete a row that a frozen deal relies on, saying which deals and what to do instead."""
    frozen = frozen_deals(deals)
    if frozen:
        message = _("%(what)s backs %(deals)s: the facts a submitted deal relies on cannot be deleted. %(instead)s") % {
            "what": what,
            "deals": _deal_list(frozen),
            "instead": instead,
        }
        raise ConflictError(code, message, fields={"deals": _deal_list(frozen)})


# --- recording a change ------------------------------------------------------------------------------------------


def change_params(reason: str) -> dict[str, Any]:
    """The language-neutral parameters of a change, from the audit reason they were written as."""
    params = json.loads(reason) if reason else {}
    return params if isinstance(params, dict) else {}


def fact_change_record(
    *,
    deals: list[Deal],
    actor: Any,
    action: str,
    reason: str,
    data_asset_id: int | None,
    version: int | None = None,
) -> list[FactChange]:
    """Record a change to a fact on every deal it backs, and act on each by the deal's state.

    `reason` is the canonical JSON of the change (deals.audit.change_reason) and
    `action` its audit code (deals.audit.CHANGE_ACTIONS). The caller holds the
    deals' locks (`lock_deals_backed_by`) in its transaction.
    """
    recorded = []
    for deal in deals:
        status = deal.status
        if status not in FACT_CHANGE_RECORDED_STATES:
            continue
        audit_append(
            deal=deal,
            actor=actor,
            actor_label=_actor_label(actor),
            action=action,
            from_status=status,
            to_status=status,
            reason=reason,
        )
        if status in REOPEN_ON_FACT_CHANGE_STATES:
            outcome = FactChangeOutcome.REVIEW_REOPENED
        elif status == DealStatus.ISSUED:
            outcome = FactChangeOutcome.FINDING_RAISED
        else:
            outcome = FactChangeOutcome.RECORDED
        change = FactChange.objects.create(
            deal=deal,
            data_asset_id=data_asset_id,
            action=action,
            params=change_params(reason),
            version=version,
            deal_status=status,
            outcome=outcome,
            actor=actor,
            created_at=timezone.now(),
        )
        if outcome == FactChangeOutcome.REVIEW_REOPENED:
            reopen_reason = json.dumps(
                {**change.params, "change": action}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
            deal_reopen_review(deal=deal, reason=reopen_reason)
            deal.refresh_from_db(fields=["status", "status_changed_at", "updated_at"])
            review = review_services.review_ensure(deal=deal)
            if review is not None:
                review_services.review_refresh(review=review)
        elif outcome == FactChangeOutcome.FINDING_RAISED:
            change.finding = review_services.fact_change_finding_raise(deal=deal, fact_change=change)
            change.save(update_fields=["finding"])
        recorded.append(change)
    return recorded


def fact_change_text(change: FactChange) -> str:
    """What changed, in the reader's language (asset, field, old and new value)."""
    reason = json.dumps(change.params, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return audit_reason_text(change.action, reason)


# --- the facts as reviewed, and now ------------------------------------------------------------------------------


def deal_facts(*, deal: Deal) -> dict[str, dict[str, Any]]:
    """The deal's facts now, as language-neutral JSON: its data assets, their rights, and its pledges."""
    assets = deal_data_assets(deal)
    names = {asset.pk: asset.name for asset in assets}
    rights = DataRight.objects.filter(data_asset__in=assets).order_by("pk")
    pledges = Pledge.objects.filter(deal=deal).order_by("pk")
    return {
        "assets": {
            str(a.pk): {"name": a.name, "fields": {f: plain_value(getattr(a, f)) for f in ASSET_FACT_FIELDS}}
            for a in assets
        },
        "rights": {
            str(r.pk): {
                "asset": names.get(r.data_asset_id, ""),
                "fields": {f: plain_value(getattr(r, f)) for f in RIGHT_FACT_FIELDS},
            }
            for r in rights
        },
        "pledges": {
            str(p.pk): {
                "asset": names.get(p.data_asset_id, "") or p.data_asset.name,
                "fields": {f: plain_value(getattr(p, f)) for f in PLEDGE_FACT_FIELDS},
            }
            for p in pledges.select_related("data_asset")
        },
    }


def review_facts_record(*, deal: Deal) -> None:
    """Keep the deal's facts on its review as the officer reviews them (on submit, then on approval)."""
    ComplianceReview.objects.filter(deal=deal).update(
        facts_as_reviewed=deal_facts(deal=deal), facts_reviewed_at=timezone.now()
    )


# What the workflow's moves do to the facts (hooks of deals/workflow.py, registered in deals/apps.py).


def on_submit(move: Move) -> None:
    """A submission records the facts on the review, as the officer will review them."""
    review_facts_record(deal=move.deal)


def on_approve(move: Move) -> None:
    """Approval takes the changed facts into the review: they are recorded again and the open changes resolved."""
    review_facts_record(deal=move.deal)
    FactChange.objects.filter(deal=move.deal, resolved_at__isnull=True, finding__isnull=True).update(
        resolved_at=timezone.now(), resolution="approved"
    )


def on_reopen_review(move: Move) -> None:
    """A valuation under way values facts that no longer hold: its runs are closed, the worker then finds it so."""
    ValuationRun.objects.filter(deal=move.deal, status__in=["queued", "running"]).update(
        status="failed",
        error=_("The review was reopened: the facts the valuation used changed."),
        finished_at=timezone.now(),
        claim_token=None,
    )


@dataclass(frozen=True)
class FactDifference:
    """One fact as the review recorded it and as it stands now, in the reader's language."""

    subject: str
    field: str
    as_reviewed: str
    now: str


_KINDS = (
    ("assets", DataAsset, ASSET_FACT_FIELDS),
    ("rights", DataRight, RIGHT_FACT_FIELDS),
    ("pledges", Pledge, PLEDGE_FACT_FIELDS),
)


def _value_display(model: type, name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    field = model._meta.get_field(name)
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        return value[:16].replace("T", " ")  # stored in ISO form; the minute is enough to read
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    return str(choices.get(value, value))


def _subject(kind: str, key: str, entry: dict[str, Any]) -> str:
    if kind == "assets":
        return _("data asset “%(name)s” (#%(id)s)") % {"name": entry["name"], "id": key}
    fields = entry["fields"]
    if kind == "rights":
        right = _value_display(DataRight, "right_type", fields.get("right_type"))
        return _("%(right)s of “%(asset)s” (certificate %(certificate)s)") % {
            "right": right,
            "asset": entry["asset"],
            "certificate": fields.get("certificate_no", ""),
        }
    return _("pledge of “%(asset)s” (#%(id)s)") % {"asset": entry["asset"], "id": key}


def facts_differences(*, review: ComplianceReview) -> list[FactDifference]:
    """Every fact that differs between the review's record and now (empty when nothing changed or none recorded)."""
    before = review.facts_as_reviewed or {}
    if not before:
        return []
    now = deal_facts(deal=review.deal)
    rows = []
    for kind, model, fields in _KINDS:
        old_rows, new_rows = before.get(kind, {}), now.get(kind, {})
        for key in sorted(set(old_rows) | set(new_rows), key=int):
            old, new = old_rows.get(key), new_rows.get(key)
            subject = _subject(kind, key, new or old)
            if old is None or new is None:
                rows.append(
                    FactDifference(
                        subject=subject,
                        field="—",
                        as_reviewed=_("not on record") if old is None else _("on record"),
                        now=_("not on record") if new is None else _("on record"),
                    )
                )
                continue
            for name in fields:
                was, is_ = old["fields"].get(name), new["fields"].get(name)
                if was != is_:
                    rows.append(
                        FactDifference(
                            subject=subject,
                            field=capfirst(str(model._meta.get_field(name).verbose_name)),
                            as_reviewed=_value_display(model, name, was),
                            now=_value_display(model, name, is_),
                        )
                    )
    return rows


# --- what the pages say ------------------------------------------------------------------------------------------


def frozen_deals_backed_by(*, data_asset_id: int, visible: Any) -> list[Deal]:
    """The frozen deals an asset backs, among `visible` (a user's deal queryset), for the warning before a change."""
    ids = deal_ids_backed_by(data_asset_id=data_asset_id)
    return list(visible.filter(pk__in=ids, status__in=FACTS_FROZEN_STATES).order_by("name", "pk"))


def fact_changes_made(*, data_asset_id: int, actor: Any, since: Any) -> list[FactChange]:
    """The changes one write of `actor` recorded on the deals the asset backs (for the message after it)."""
    return list(
        FactChange.objects.filter(data_asset_id=data_asset_id, actor=actor, created_at__gte=since)
        .select_related("deal")
        .order_by("deal__name", "pk")
    )


def fact_change_summary(changes: list[FactChange]) -> str:
    """What a change did to the deals it backs, in one sentence per outcome (empty when it backs none)."""

    def names(outcome: str) -> str:
        return pgettext("list separator", ", ").join(
            _("“%(name)s”") % {"name": c.deal.name} for c in changes if c.outcome == outcome
        )

    sentences = []
    if reopened := names(FactChangeOutcome.REVIEW_REOPENED):
        sentences.append(
            _("The review of %(deals)s is reopened: the deal is back in the review queue.") % {"deals": reopened}
        )
    if found := names(FactChangeOutcome.FINDING_RAISED):
        sentences.append(
            _("A compliance finding is raised on the issued %(deals)s and its investors see a notice.")
            % {"deals": found}
        )
    if recorded := names(FactChangeOutcome.RECORDED):
        sentences.append(_("The change is recorded for the review of %(deals)s.") % {"deals": recorded})
    return " ".join(sentences)
