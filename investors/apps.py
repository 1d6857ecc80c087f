"""App config of investors: institutions, risk profiles, matching, indications of interest."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestorsConfig(AppConfig):
    """Investors and their risk profiles."""

    name = "investors"
    verbose_name = _("Investors")

    def ready(self) -> None:
        # The handlers of the deal workflow's hooks (deals/workflow.py) that live in this app (docs/architecture.md,
        # "Hooks"): the allotment at issue, with every order checked again for suitability, and matching on publish.
        from origination.hooks import hook_get

        from . import hooks

        hook_get("deal_issued").register(hooks.on_issue)
        hook_get("deal_published").register(hooks.on_publish)
