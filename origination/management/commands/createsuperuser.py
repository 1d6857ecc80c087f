"""Django's createsuperuser, which also holds a --noinput password to AUTH_PASSWORD_VALIDATORS.

Django validates the password it prompts for, but not the one taken from DJANGO_SUPERUSER_PASSWORD with
--noinput; a weak password must not reach an admin account that way either.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password:
            attributes = {}
            for name in (self.UserModel.USERNAME_FIELD, "email", "first_name", "last_name"):
                value = options.get(name) or os.environ.get(f"DJANGO_SUPERUSER_{name.upper()}")
                if value:
                    attributes[name] = value
            try:
                validate_password(password, self.UserModel(**attributes))
            except ValidationError as exc:
                raise CommandError("DJANGO_SUPERUSER_PASSWORD: " + " ".join(exc.messages)) from exc
        super().handle(*args, **options)
