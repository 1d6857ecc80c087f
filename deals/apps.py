"""App config of deals: applications, pools, tranches, workflow, valuation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    """Deal applications and their workflow."""

    name = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        # Registers what the valuation does on the workflow's moves (closing runs when a failure is recorded).
        # And what a change to a submitted deal's facts does on submit, approval and reopening (docs/frozen_facts.md).
        from origination.asset_hooks import data_asset_facts_changed

        from . import facts, valuation_jobs  # noqa: F401
        from .compliance import services as review_services
        from .workflow import register_transition_effect

        # The compliance findings follow the facts they check (deals/compliance/services.py, "keeping the findings
        # current"): a data asset, its rights or revenue changed, or a deal that held pledges withdrawn or rejected.
        data_asset_facts_changed.register(review_services.data_asset_facts_changed)
        register_transition_effect("withdraw", review_services.deal_pledges_freed)
        register_transition_effect("reject", review_services.deal_pledges_freed)
