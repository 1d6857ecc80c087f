"""Password guessing is throttled per account and per address (django-axes), on the sign-in page and the API.

The limit is AXES_FAILURE_LIMIT (5) failed sign-ins within AXES_COOLOFF_TIME (15 minutes); then even the right
password is refused with HTTP 429 and a message, until the cool-off ends or the arranger lifts the lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def page_sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def api_sign_in(username: str, password: str, address: str = "10.0.0.1"):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in_on_the_page(user_a):
    client = Client()
    for _ in range(40):
        page_sign_in(client, "alice", "wrong-password")
    response = page_sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    text = response.content.decode()
    assert "Too many failed sign-in attempts" in text
    assert "15 minutes" in text
    assert response["Retry-After"] == "900"


def test_the_attempt_that_reaches_the_limit_is_told_about_the_lock(user_a):
    client = Client()
    for _ in range(LIMIT - 1):
        assert page_sign_in(client, "alice", "wrong-password").status_code == 200  # the form with its error
    assert page_sign_in(client, "alice", "wrong-password").status_code == 429


def test_fewer_failures_than_the_limit_still_let_the_user_in(user_a):
    client = Client()
    for _ in range(LIMIT - 1):
        page_sign_in(client, "alice", "wrong-password")
    response = page_sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_api_token_endpoint_is_throttled_with_the_api_error_body(user_a):
    for _ in range(LIMIT - 1):
        assert api_sign_in("alice", "wrong-password").status_code == 400
    assert api_sign_in("alice", "wrong-password").status_code == 429
    response = api_sign_in("alice", PASSWORD)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert body["fields"] == {}
    assert "Too many failed sign-in attempts" in body["detail"]
    assert "token" not in body


def test_page_and_api_count_against_the_same_account(user_a):
    client = Client()
    for _ in range(LIMIT - 2):
        page_sign_in(client, "alice", "wrong-password")
    api_sign_in("alice", "wrong-password")
    api_sign_in("alice", "wrong-password")
    assert api_sign_in("alice", PASSWORD).status_code == 429


def test_the_account_stays_locked_from_another_address(user_a):
    for _ in range(LIMIT):
        api_sign_in("alice", "wrong-password", address="10.0.0.1")
    assert api_sign_in("alice", PASSWORD, address="10.9.9.9").status_code == 429


def test_one_address_guessing_many_accounts_is_locked_out_of_all(originator_a):
    users = [UserFactory(role="compliance", username=f"officer{n}") for n in range(LIMIT + 1)]
    for user in users[:LIMIT]:
        api_sign_in(user.username, "wrong-password", address="10.0.0.66")
    # The next account was never guessed at, but the address is locked; from elsewhere its owner signs in.
    assert api_sign_in(users[LIMIT].username, PASSWORD, address="10.0.0.66").status_code == 429
    assert api_sign_in(users[LIMIT].username, PASSWORD, address="10.0.0.7").status_code == 200


def test_the_lock_ends_after_the_cool_off(user_a):
    client = Client()
    for _ in range(LIMIT):
        page_sign_in(client, "alice", "wrong-password")
    assert page_sign_in(client, "alice", PASSWORD).status_code == 429
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=16)):
        assert page_sign_in(client, "alice", PASSWORD).status_code == 302


def test_the_lock_out_message_is_in_chinese_for_a_chinese_user(user_a):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for _ in range(LIMIT):
        page_sign_in(client, "alice", "wrong-password")
    page = page_sign_in(client, "alice", PASSWORD).content.decode()
    assert "登录失败次数过多" in page
    assert "15 分钟" in page
    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.0.1"
    )
    assert "登录失败次数过多" in api.json()["detail"]


def test_the_arranger_lifts_the_lock_with_the_axes_command(user_a):
    for _ in range(LIMIT):
        api_sign_in("alice", "wrong-password")
    assert api_sign_in("alice", PASSWORD).status_code == 429
    call_command("axes_reset_username", "alice")
    assert api_sign_in("alice", PASSWORD).status_code == 200


def test_the_arranger_lifts_the_lock_in_the_admin(user_a):
    for _ in range(LIMIT):
        api_sign_in("alice", "wrong-password")
    arranger = UserFactory(role="arranger", username="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(arranger)
    attempts = AccessAttempt.objects.filter(username="alice")
    response = admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert api_sign_in("alice", PASSWORD).status_code == 200


def test_the_admin_sign_in_is_throttled_too(db):
    UserFactory(role="arranger", username="root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(LIMIT):
        client.post(reverse("admin:login"), {"username": "root", "password": "wrong-password"}, REMOTE_ADDR="10.0.0.1")
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert not signed_in(client)


PARALLEL = 50


def _in_parallel(attempt, count: int) -> list[int]:
    """Run `attempt()` in `count` threads released at once; the status codes they got."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            statuses.append(attempt())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_guesses_get_exactly_the_limit_and_then_the_right_password_is_refused(user_a, monkeypatch):
    """The lock-out check, the password check and the count happen one attempt at a time per account.

    SQLite cannot run this: the test database is in memory with a shared cache, where a second connection
    writing at the same time fails at once ("database table is locked") instead of waiting; so it is marked
    postgres (docs/security.md says what SQLite does and does not guarantee).
    """
    checked = Counter()
    check_password = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked[password] += 1
        return check_password(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)

    guesses = _in_parallel(lambda: api_sign_in("alice", "wrong-password").status_code, PARALLEL)
    # However many arrive at once, exactly LIMIT passwords are checked; the attempt that reaches the limit
    # and every later one are told about the lock.
    assert checked["wrong-password"] == LIMIT
    assert Counter(guesses) == {400: LIMIT - 1, 429: PARALLEL - LIMIT + 1}

    right = _in_parallel(lambda: api_sign_in("alice", PASSWORD).status_code, PARALLEL)
    assert Counter(right) == {429: PARALLEL}
    assert checked[PASSWORD] == 0
    assert not user_a.auth_token_set.exists()
