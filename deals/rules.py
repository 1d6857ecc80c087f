"""Object rules (django-rules) for deals: who may edit an application."""

from __future__ import annotations

import rules

from origination.rules import is_originator_staff


@rules.predicate
def is_staff_of_deal_originator(user, deal) -> bool:  # type: ignore[no-untyped-def]
    """The user works for the deal's originator."""
    return deal is not None and user.originator_id == deal.originator_id


@rules.predicate
def deal_is_editable(user, deal) -> bool:  # type: ignore[no-untyped-def]
    """Draft or returned with changes requested."""
    return deal is not None and deal.is_editable


rules.add_rule("deals.author_deal", is_originator_staff & is_staff_of_deal_originator)
rules.add_rule("deals.edit_deal", is_originator_staff & is_staff_of_deal_originator & deal_is_editable)
