"""App config of investors: institutions, risk profiles, matching, indications of interest."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestorsConfig(AppConfig):
    """Investors and their risk profiles."""

    name = "investors"
    verbose_name = _("Investors")

    def ready(self) -> None:
        # Registers the matching triggers and the allotment at issue.
        from . import hooks

        hooks.connect()
