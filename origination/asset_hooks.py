"""Hooks on a data asset's facts, fired by this app's writers (docs/architecture.md, "Hooks").

A data asset's facts are the asset itself, its data rights and its revenue.
The compliance review of every deal the asset backs checks them (deals/compliance/checks.py);
when one changes, its writer fires `data_asset_facts_changed` inside its
transaction, after the change, so the review's automatic findings are current
the moment the change commits, and a page showing them only reads.
"""

from __future__ import annotations

from .hooks import hook_declare

data_asset_facts_changed = hook_declare(
    "data_asset_facts_changed",
    "a data asset, one of its rights or its revenue changed (fired with data_asset_id, inside the writer's "
    "transaction): the compliance findings of the deals it backs are checked again",
    required=True,
)
