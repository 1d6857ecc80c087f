"""Object rules (django-rules) of the compliance review: who answers, who assesses.

Reads are scoped by `selectors.py`; these rules guard the writes in `services.py`
and decide which forms the review page shows.
"""

from __future__ import annotations

import rules

from deals.rules import is_staff_of_deal_originator
from origination.rules import is_originator_staff


@rules.predicate
def is_compliance_officer(user) -> bool:  # type: ignore[no-untyped-def]
    return bool(getattr(user, "is_authenticated", False)) and user.role == "compliance"


# The originator's staff answer their own company's review and file its evidence (object: the deal).
rules.set_rule("compliance.answer_review", is_originator_staff & is_staff_of_deal_originator)
# Compliance officers record findings and decide; they never write the originator's answers or files.
rules.set_rule("compliance.assess_review", is_compliance_officer)
