"""App config of deals: applications, pools, tranches, workflow, valuation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    """Deal applications and their workflow."""

    name = "deals"
    verbose_name = _("Deals")
