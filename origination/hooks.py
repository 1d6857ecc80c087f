"""Hooks: how a lower app triggers a higher one without importing it (docs/architecture.md, "Hooks").

Arrows run one way (config and demo, then investors, then deals, then
origination). Where a lower app must set off something a higher app owns (the
deal's issue move allots the investors' book), the lower app declares a named
hook with `hook_declare` at import time of its own module, fires it with
`Hook.fire`, and the higher app registers its handler in its
`AppConfig.ready`, never as a side effect of importing a module. Every hook is
listed in `HOOKS`; a hook declared `required` (a regulatory check) that has no
handler once the apps are loaded is a system check error (`manage.py check`,
and at every start), so a gate cannot silently go missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core import checks


@dataclass
class Hook:
    """A named point where handlers registered by higher apps run, in registration order."""

    name: str
    doc: str
    required: bool = False
    handlers: list[Callable[..., Any]] = field(default_factory=list)

    def register(self, handler: Callable[..., Any]) -> None:
        """Add a handler (idempotent: registering the same function twice runs it once)."""
        if handler not in self.handlers:
            self.handlers.append(handler)

    def fire(self, *args: Any, **kwargs: Any) -> list[Any]:
        """Run every handler with these arguments; their results, in order."""
        return [handler(*args, **kwargs) for handler in self.handlers]

    @property
    def registered(self) -> bool:
        return bool(self.handlers)


# Every hook of the project, by name: the one place that lists them.
HOOKS: dict[str, Hook] = {}


def hook_declare(name: str, doc: str, *, required: bool = False) -> Hook:
    """Declare (once) the hook `name`; declaring it again returns the same hook."""
    hook = HOOKS.get(name)
    if hook is None:
        hook = HOOKS[name] = Hook(name=name, doc=doc, required=required)
    return hook


def hook_get(name: str) -> Hook:
    """The declared hook `name` (a KeyError names a hook nobody declared)."""
    return HOOKS[name]


@checks.register()
def required_hooks_registered(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A required hook (a regulatory check) with no handler is an error, not a silent gap."""
    return [
        checks.Error(
            f"The hook '{hook.name}' has no handler: {hook.doc}",
            hint="Register its handler in the owning app's AppConfig.ready (docs/architecture.md).",
            id="origination.E001",
        )
        for hook in HOOKS.values()
        if hook.required and not hook.registered
    ]
