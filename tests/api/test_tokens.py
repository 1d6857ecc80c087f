"""API tokens expire, can be revoked, and die with a password change or a deactivation (django-rest-knox)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-2026"


def token_for(username: str = "alice", password: str = PASSWORD) -> str:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def call_with(token: str, path: str = "/api/originators/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(path)


def test_the_token_answer_says_when_it_expires(user_a):
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    expiry = dt.datetime.fromisoformat(response.json()["expiry"])
    hours = (expiry - dt.datetime.now(tz=dt.UTC)).total_seconds() / 3600
    assert 9.9 < hours <= 10


def test_a_token_stops_working_when_it_expires(user_a):
    token = token_for()
    assert call_with(token).status_code == 200
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=10, minutes=1)):
        assert_error(call_with(token), 401, "authentication_failed")


def test_the_token_is_stored_only_as_a_hash(user_a):
    token = token_for()
    stored = AuthToken.objects.get(user=user_a)
    assert token not in stored.digest
    assert stored.digest != token


def test_logout_revokes_the_token_it_is_called_with_and_no_other(user_a):
    laptop, script = token_for(), token_for()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {laptop}")
    assert client.post("/api/auth/logout/").status_code == 204
    assert call_with(laptop).status_code == 401
    assert call_with(script).status_code == 200


def test_logout_all_revokes_every_token_of_the_account(user_a, user_b):
    laptop, script, other = token_for(), token_for(), token_for("bob")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {laptop}")
    assert client.post("/api/auth/logout-all/").status_code == 204
    assert call_with(laptop).status_code == 401
    assert call_with(script).status_code == 401
    assert call_with(other).status_code == 200


def test_changing_the_password_on_the_page_revokes_the_tokens(user_a):
    token = token_for()
    client = Client()
    client.force_login(user_a)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert_error(call_with(token), 401, "authentication_failed")
    assert call_with(token_for(password=NEW_PASSWORD)).status_code == 200


def test_the_arranger_setting_a_password_in_the_admin_revokes_the_tokens(user_a):
    token = token_for()
    admin = Client()
    admin.force_login(UserFactory(role="arranger", username="root", is_staff=True, is_superuser=True))
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[user_a.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert call_with(token).status_code == 401


def test_set_password_in_code_revokes_the_tokens(user_a):
    token = token_for()
    user_a.set_password(NEW_PASSWORD)
    user_a.save()
    assert call_with(token).status_code == 401


def test_deactivating_the_account_revokes_the_tokens(user_a):
    token = token_for()
    user_a.is_active = False
    user_a.save()
    assert not AuthToken.objects.filter(user=user_a).exists()
    user_a.is_active = True
    user_a.save()
    assert call_with(token).status_code == 401


def test_saving_other_fields_keeps_the_tokens(user_a):
    token = token_for()
    user_a.first_name = "Alice"
    user_a.save()
    user_a.password = make_password(PASSWORD)  # the same password re-hashed, as a hasher upgrade does
    user_a.save(update_fields=["password"])
    assert call_with(token).status_code == 200


def test_the_schema_describes_token_sign_in_and_logout():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["knoxApiToken"]["in"] == "header"
    assert schemes["knoxApiToken"]["name"] == "Authorization"
    assert '"Token"' in schemes["knoxApiToken"]["description"]
    token = schema["paths"]["/api/auth/token/"]["post"]
    assert {"200", "400", "429"} <= set(token["responses"])
    answer = token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][answer]["properties"]) == {"token", "expiry"}
    assert "security" not in token  # the sign-in itself needs no token
    assert {"204", "401"} <= set(schema["paths"]["/api/auth/logout/"]["post"]["responses"])
    assert {"204", "401"} <= set(schema["paths"]["/api/auth/logout-all/"]["post"]["responses"])
    # Every other operation accepts the token.
    deals = schema["paths"]["/api/deals/"]["get"]
    assert {"knoxApiToken": []} in deals["security"]
