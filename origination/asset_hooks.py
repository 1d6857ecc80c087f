"""What origination asks the apps above it about a data asset (docs/architecture.md, "Hooks").

A data asset backs deals: it is linked to a claim of their pool or pledged to
them, and once a deal is submitted it relies on the asset's facts and revenue
(docs/frozen_facts.md, docs/revenue_import.md). Origination is the ground floor
and imports no other app: where its scoping, its writes, its admin and its
pages depend on those deals it fires the hooks declared here, and deals
registers their handlers in its AppConfig.ready (deals/asset_hooks.py).

The guards are required: with no handler a change to the facts a submitted
deal relies on would go unrecorded, so `manage.py check` fails instead.
"""

from __future__ import annotations

import datetime
import operator
from functools import reduce
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import Model, Q

from .hooks import Hook, hook_declare

if TYPE_CHECKING:
    from .models import DataAsset, User

# --- who sees what -----------------------------------------------------------------------------------------------

originator_visibility = hook_declare(
    "originator_visibility",
    "Which originators an investor sees through what they file (deals: the originators of the deals the user may "
    "see). Called with user=; returns a condition on Originator (a Q or a boolean expression), or None for none.",
)
data_asset_visibility = hook_declare(
    "data_asset_visibility",
    "Which data assets a user who neither owns them nor arranges sees through what they back (deals: the assets "
    "linked to the pool of a deal the user may see). Called with user=; returns a condition on DataAsset, or None.",
)


def visible_through(hook: Hook, user: User) -> Q | None:
    """Either handler's condition (or'ed) for this user; None when no handler lets the user see anything."""
    conditions = [Q(condition) for condition in hook.fire(user=user) if condition is not None]
    return reduce(operator.or_, conditions) if conditions else None


# --- changing the facts a submitted deal relies on ---------------------------------------------------------------


class FactChangeWatcher(Protocol):
    """What relies on a data asset's facts (its own fields, its rights), told of a change to them in its write."""

    def refuse_deletion(self, *, what: str, instead: str, code: str) -> None:
        """Raise a ConflictError (409 `code`) naming what relies on the fact, when a deletion must be refused."""

    def record(
        self,
        *,
        actor: User,
        action: str,
        data_asset_id: int,
        part: Model,
        name: str,
        version: int | None = None,
        changes: dict[str, tuple[Any, Any]] | None = None,
        **details: Any,
    ) -> None:
        """Record the change `action` of `part` (the asset or one of its rights, `name` the asset's name)."""


data_asset_facts_changing = hook_declare(
    "data_asset_facts_changing",
    "A write is changing a data asset's facts (the asset, its rights): called with data_asset_id= inside its "
    "transaction, before it locks the asset, each handler locks what relies on the asset (deals: the deals it "
    "backs, deals first as every write of a deal) and returns a FactChangeWatcher the write then tells.",
    required=True,
)
data_asset_facts_watched = hook_declare(
    "data_asset_facts_watched",
    "Whether a change to a data asset's facts is recorded on something that relies on it (deals: a deal it backs "
    "is submitted, under review, approved, issued or sent back for changes), so that it changes only through the "
    "services and the admin refuses it. Called with data_asset_id=; returns True or False.",
    required=True,
)


def facts_watchers(*, data_asset_id: int) -> list[FactChangeWatcher]:
    """Lock what relies on the asset's facts and return the watchers of a change to them (inside the write)."""
    return data_asset_facts_changing.fire(data_asset_id=data_asset_id)


def facts_watched(*, data_asset_id: int) -> bool:
    """Whether a change to the asset's facts must go through the services, which record it (docs/frozen_facts.md)."""
    return any(data_asset_facts_watched.fire(data_asset_id=data_asset_id))


# --- undoing a revenue import ------------------------------------------------------------------------------------

data_asset_revenue_in_use = hook_declare(
    "data_asset_revenue_in_use",
    "Why no revenue import of a data asset can be undone any more (deals: a deal past draft relies on its revenue), "
    "as the actor reads it, or ''. Called with actor=, data_asset=, lock=; with lock=True (inside the undo's "
    "transaction, before the asset is locked) the handler first locks what could come to rely on the revenue.",
    required=True,
)


def revenue_in_use_reason(*, actor: User, data_asset: DataAsset, lock: bool = False) -> str:
    """The first reason a handler gives why the asset's revenue imports stand; empty when none does."""
    reasons = data_asset_revenue_in_use.fire(actor=actor, data_asset=data_asset, lock=lock)
    return next((reason for reason in reasons if reason), "")


# --- what the pages say ------------------------------------------------------------------------------------------

data_asset_deal_facts = hook_declare(
    "data_asset_deal_facts",
    "For the data asset's pages: what the deals it backs say of it, as template context (deals: `frozen_deals`, "
    "the submitted or issued deals the user may see that rely on it; `pledges`, its pledges the user may see). "
    "Called with user=, data_asset=; returns a dict.",
)
data_asset_fact_changes_told = hook_declare(
    "data_asset_fact_changes_told",
    "After a change to a data asset's facts: what it did to what relies on them (deals: each deal's review "
    "reopened, a finding raised, the change recorded), for the message to the user who made it. Called with "
    "data_asset_id=, actor=, since=; returns a sentence or ''.",
)


def deal_facts_context(*, user: User, data_asset: DataAsset) -> dict[str, Any]:
    """The template context the handlers give for the asset's pages (nothing relies on it: no deals, no pledges)."""
    context: dict[str, Any] = {"frozen_deals": [], "pledges": []}
    for part in data_asset_deal_facts.fire(user=user, data_asset=data_asset):
        context.update(part)
    return context


def fact_changes_told(*, data_asset_id: int, actor: User, since: datetime.datetime) -> str:
    """What one write of `actor` did to what relies on the asset, in sentences (empty when nothing does)."""
    told = data_asset_fact_changes_told.fire(data_asset_id=data_asset_id, actor=actor, since=since)
    return " ".join(sentence for sentence in told if sentence)


# --- keeping what checks the facts current ------------------------------------------------------------------------

data_asset_facts_changed = hook_declare(
    "data_asset_facts_changed",
    "a data asset, one of its rights or its revenue changed (fired with data_asset_id, inside the writer's "
    "transaction): the compliance findings of the deals it backs are checked again",
    required=True,
)
