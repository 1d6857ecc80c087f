"""Object rules (django-rules): who may write what, following the user's organisation.

Reads are scoped by the selectors; these rules guard writes in the services and
decide which buttons and forms a page shows. They are rule sets, not model
permissions, so a Django superuser gets no silent bypass.
"""

from __future__ import annotations

import rules


@rules.predicate
def is_arranger(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(getattr(user, "is_authenticated", False)) and user.role == "arranger"


@rules.predicate
def is_originator_staff(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(getattr(user, "is_authenticated", False)) and user.role == "originator" and bool(user.originator_id)


@rules.predicate
def is_staff_of_originator(user, originator) -> bool:  # type: ignore[no-untyped-def]
    """The user works for this originator company."""
    return originator is not None and user.originator_id == originator.pk


@rules.predicate
def is_staff_of_asset_owner(user, data_asset) -> bool:  # type: ignore[no-untyped-def]
    """The user works for the company that holds this data asset."""
    return data_asset is not None and user.originator_id == data_asset.originator_id


# An originator's own data (assets, rights): its staff, or the arranger acting as operator.
rules.add_rule("origination.manage_originator_data", is_arranger | (is_originator_staff & is_staff_of_originator))
# Revenue is uploaded by the company that collects it, and no one else.
rules.add_rule("origination.upload_revenue", is_originator_staff & is_staff_of_asset_owner)
# An import is undone by the company that uploaded it (any of its originator staff), and no one else.
rules.add_rule("origination.undo_revenue_import", is_originator_staff & is_staff_of_asset_owner)
