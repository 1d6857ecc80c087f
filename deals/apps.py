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
        from . import asset_hooks, facts, valuation_jobs  # noqa: F401

        # Answers what origination asks about a data asset: scoping, the facts and revenue deals rely on, its pages.
        asset_hooks.connect()
