"""App config of the demo: it only provides the `seed_demo` command."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo market and its loader."""

    name = "demo"
    verbose_name = "Demo"
