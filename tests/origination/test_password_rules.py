"""Weak passwords are refused wherever a password is set: the password page, the admin, createsuperuser."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from origination.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WEAK = ["12345678", "password", "1234567890", "qwertyuiop"]
STRONG = "a-much-longer-passphrase-2026"


@pytest.mark.parametrize("weak", WEAK)
def test_the_password_page_refuses_a_weak_password_and_keeps_the_old_one(user_a, weak):
    client = Client()
    client.force_login(user_a)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


def test_the_password_page_names_each_broken_rule(user_a):
    client = Client()
    client.force_login(user_a)
    page = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    ).content.decode()
    assert "This password is too short. It must contain at least 10 characters." in page
    assert "This password is too common." in page
    assert "This password is entirely numeric." in page


def test_the_password_page_accepts_a_strong_password(user_a):
    client = Client()
    client.force_login(user_a)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG}
    )
    assert response.status_code == 302
    user_a.refresh_from_db()
    assert user_a.check_password(STRONG)


def test_the_admin_refuses_a_weak_password_for_a_new_user():
    admin = Client()
    admin.force_login(UserFactory(role="arranger", username="root", is_staff=True, is_superuser=True))
    response = admin.post(
        reverse("admin:origination_user_add"),
        {"username": "dave", "password1": "password", "password2": "password", "usable_password": "true",
         "role": "compliance"},
    )  # fmt: skip
    assert response.status_code == 200
    assert not User.objects.filter(username="dave").exists()
    assert "This password is too common." in response.content.decode()


def test_the_admin_refuses_a_weak_new_password_for_an_existing_user(user_a):
    admin = Client()
    admin.force_login(UserFactory(role="arranger", username="root", is_staff=True, is_superuser=True))
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[user_a.pk]),
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )
    assert response.status_code == 200
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


def test_createsuperuser_without_input_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="too common"):
        call_command("createsuperuser", "--noinput", username="root", email="root@example.org", role="arranger")
    assert not User.objects.filter(username="root").exists()


def test_createsuperuser_without_input_refuses_a_password_like_the_username(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "administrator1")
    with pytest.raises(CommandError, match="too similar"):
        call_command("createsuperuser", "--noinput", username="administrator", email="a@example.org", role="arranger")


def test_createsuperuser_creates_an_arranger_with_a_strong_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STRONG)
    call_command("createsuperuser", "--noinput", username="root", email="root@example.org", role="arranger")
    root = User.objects.get(username="root")
    assert root.is_superuser
    assert root.check_password(STRONG)


def test_the_test_password_satisfies_the_rules(user_a):
    validate_password(PASSWORD, user_a)


def test_the_rules_refuse_what_the_issue_saw_accepted(user_a):
    for weak in ("12345678", "password"):
        with pytest.raises(ValidationError):
            validate_password(weak, user_a)
