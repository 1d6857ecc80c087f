"""App config of the originator side."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OriginationConfig(AppConfig):
    """Originators, data assets, rights and revenue."""

    name = "origination"
    verbose_name = _("Origination")

    def ready(self) -> None:
        from . import hooks, signals  # noqa: F401 - the hooks system check; connects the receivers
