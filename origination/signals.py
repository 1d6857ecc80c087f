"""Receivers that keep API tokens in step with the account: a new password or a deactivation revokes them.

Passwords are set by Django's own forms and commands (admin, the password page, `changepassword`), which call
`set_password()` and `save()`; there is no service of ours to hook, so the receiver watches the save and calls
the one service that revokes (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import User
from .services import user_tokens_revoke


@receiver(post_save, sender=User, dispatch_uid="origination.revoke_tokens_on_credential_change")
def revoke_tokens_on_credential_change(sender: type[User], instance: User, raw: bool = False, **kwargs: Any) -> None:
    """A password just set (`_password` holds it until the save ends), an unusable one, or an inactive account."""
    if raw:
        return
    # set_password() keeps the raw password in `_password` until save() has run; a hash upgrade at sign-in
    # clears it before saving, so re-hashing the same password does not revoke anything.
    password_changed = getattr(instance, "_password", None) is not None
    if password_changed or not instance.is_active or not instance.has_usable_password():
        user_tokens_revoke(user=instance)
