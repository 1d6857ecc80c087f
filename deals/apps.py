"""App config of deals: applications, pools, tranches, workflow, valuation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    """Deal applications and their workflow."""

    name = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        # The handlers of the workflow's hooks (deals/workflow.py) that live in this app (docs/architecture.md,
        # "Hooks"): what a move does to the facts a submitted deal relies on (docs/frozen_facts.md), and to its
        # valuation runs.
        from origination.hooks import hook_get

        from . import asset_hooks, facts, valuation_jobs
        from .compliance import services as review_services

        hook_get("deal_submitted").register(facts.on_submit)
        hook_get("deal_approved").register(facts.on_approve)
        hook_get("deal_review_reopened").register(facts.on_reopen_review)
        hook_get("deal_valuation_started").register(valuation_jobs.on_start_valuation)
        hook_get("deal_valuation_failed").register(valuation_jobs.on_fail_valuation)

        # Answers what origination asks about a data asset: scoping, the facts and revenue deals rely on, its pages.
        asset_hooks.connect()

        # The compliance findings follow the facts they check (deals/compliance/services.py, "keeping the findings
        # current"): a data asset, its rights or its revenue changed.
        hook_get("data_asset_facts_changed").register(review_services.data_asset_facts_changed)
