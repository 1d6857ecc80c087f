"""Concurrent requests on the embedded SQLite default: served without errors, or 409/503 with a retry hint.

Issue 9, point 7: concurrent requests answered 500 ("database is locked") with the debug page. The first tests
run the real thing: `manage.py runserver` (DEBUG on, as `make run` serves it) over a file database migrated and
seeded with the demo, hit by a dozen threads at once. The others check how a lost race is answered, in-process.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.db import IntegrityError, OperationalError

from deals import services as deal_services
from demo.seed import DEMO_PASSWORD
from origination.concurrency import RETRY_AFTER_SECONDS
from tests.deals.test_pages import STRUCTURE_AS_POSTED
from tests.factories import originator_user

ROOT = Path(__file__).resolve().parents[2]
ORIGINATORS = ("alice", "bob", "chen.jing", "li.lei", "liu.yang", "wang.fang", "zhao.min")
DEAL = {
    "name": "Concurrent freight data ABS",
    "deal_type": "licence_revenue",
    "target_size": "300000000.00",
    "tenor_months": 36,
    "payment_frequency": "quarterly",
    "exchange": "SSE",
    "manager": "CITIC Securities",
}


def _env(database: Path, **extra: str) -> dict[str, str]:
    unset = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "AUDIT_HMAC_KEY", "DJANGO_SETTINGS_MODULE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return {**clean, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "1", **extra}


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory) -> Path:
    """The demo platform in a SQLite file, as `make run` leaves it (migrated and seeded once per module)."""
    database = tmp_path_factory.mktemp("sqlite") / "demo.sqlite3"
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=_env(database), check=True, capture_output=True
        )
    return database


class Server:
    """`manage.py runserver` (threaded, no reloader) on a free port over a copy of the seeded database."""

    def __init__(self, database: Path, **extra_env: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.database = database
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=_env(database, **extra_env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                assert self.process.poll() is None, self.process.stderr.read()
                time.sleep(0.2)
        raise AssertionError("runserver did not start")

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http://127.0.0.1 only
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, stderr = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return stderr


@pytest.fixture
def database_copy(seeded_database, tmp_path) -> Path:
    copy = tmp_path / "demo.sqlite3"
    shutil.copyfile(seeded_database, copy)
    return copy


def _deal_count(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT COUNT(*) FROM deals_deal").fetchone()[0]


def test_the_embedded_default_serves_a_burst_of_concurrent_writers_without_an_error(database_copy):
    """Seven companies, two threads each, sign in at once and file, edit and list deals: every answer is 2xx."""
    before = _deal_count(database_copy)
    server = Server(database_copy)
    statuses: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    rounds = 6

    def worker(username: str, index: int) -> None:
        def record(step: str, answer) -> dict:
            status, _, body = answer
            with lock:
                statuses[(step, status)] += 1
                if status >= 300:
                    failures.append(f"{username} {step} {status} {body[:200]!r}")
            return json.loads(body) if body and status < 300 else {}

        token = record(
            "sign-in", server.call("POST", "/api/auth/token/", {"username": username, "password": DEMO_PASSWORD})
        ).get("token")
        if not token:
            return
        for round_ in range(rounds):
            deal = record(
                "file", server.call("POST", "/api/deals/", {**DEAL, "name": f"{username} {index}.{round_}"}, token)
            )
            if deal:
                record("edit", server.call("PATCH", f"/api/deals/{deal['id']}/", {"tenor_months": 48}, token))
            record("list", server.call("GET", "/api/deals/", token=token))

    threads = [threading.Thread(target=worker, args=(name, i)) for name in ORIGINATORS for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        log = server.stop()
    assert not failures, failures[:5]
    assert "database is locked" not in log
    filed = len(ORIGINATORS) * 2 * rounds
    assert statuses[("file", 201)] == filed
    assert statuses[("edit", 200)] == filed
    assert statuses[("sign-in", 200)] == len(ORIGINATORS) * 2
    assert _deal_count(database_copy) == before + filed


def test_a_writer_that_waits_out_the_busy_timeout_gets_503_with_retry_after_and_nothing_is_saved(database_copy):
    """Another process holds the write lock past the timeout: the write answers 503 (JSON, Retry-After), reads go on."""
    server = Server(database_copy, SQLITE_BUSY_TIMEOUT="0.3")
    try:
        status, _, body = server.call("POST", "/api/auth/token/", {"username": "alice", "password": DEMO_PASSWORD})
        assert status == 200, body
        token = json.loads(body)["token"]
        before = _deal_count(database_copy)
        holder = sqlite3.connect(database_copy, timeout=5, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            status, headers, body = server.call("POST", "/api/deals/", DEAL, token)
            assert status == 503, body
            assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            answer = json.loads(body)
            assert answer["code"] == "busy"
            assert "nothing was saved" in answer["detail"]
            assert server.call("GET", "/api/deals/", token=token)[0] == 200  # WAL: readers are not blocked
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert _deal_count(database_copy) == before
        status, _, body = server.call("POST", "/api/deals/", DEAL, token)
        assert status == 201, body
    finally:
        server.stop()


# --- how a lost race is answered, in-process -------------------------------------------------------------------


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _raising(exc: Exception):
    def _raise(*args, **kwargs):
        raise exc

    return _raise


def _locked() -> OperationalError:
    return OperationalError("database is locked")


def _deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = _PgError("40P01")
    return error


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(
    ("make_error", "status", "code"),
    [
        (_locked, 503, "busy"),
        (_deadlock, 503, "busy"),
        (lambda: IntegrityError("UNIQUE constraint failed"), 409, "conflict"),
    ],
    ids=["sqlite-locked", "postgres-deadlock", "unique-race"],
)
def test_a_lost_race_answers_in_the_api_format_with_a_retry_hint(
    client, settings, monkeypatch, debug, make_error, status, code
):
    settings.DEBUG = debug
    user = originator_user()
    client.force_login(user)
    monkeypatch.setattr(deal_services, "deal_create", _raising(make_error()))
    response = client.post("/api/deals/", DEAL, content_type="application/json")
    assert response.status_code == status
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json()["code"] == code


@pytest.mark.django_db
def test_a_page_that_lost_a_race_says_so_in_the_readers_language(client, monkeypatch):
    user = originator_user()
    client.force_login(user)
    monkeypatch.setattr(deal_services, "deal_create", _raising(_locked()))
    form = {**DEAL, "trustee": "", "expected_issue_date": "", "legal_maturity_date": "", **STRUCTURE_AS_POSTED}
    response = client.post("/deals/new/", form, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "未保存任何内容" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        OperationalError("no such table: deals_deal"),
        IntegrityError("CHECK constraint failed: deals_deal_tenor_months_range"),
        IntegrityError("NOT NULL constraint failed: deals_deal.name"),
    ],
    ids=["missing-table", "check", "not-null"],
)
def test_any_other_database_error_is_not_disguised_as_a_race(client, monkeypatch, error):
    """A value that slipped past validation is a bug to see in the log, not a 409 telling the user to retry."""
    user = originator_user()
    client.force_login(user)
    monkeypatch.setattr(deal_services, "deal_create", _raising(error))
    client.raise_request_exception = False
    response = client.post("/api/deals/", DEAL, content_type="application/json")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"  # still the API's body, with no debug page


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_a_json_400_under_the_api(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    client.force_login(originator_user())
    client.raise_request_exception = False
    response = client.post("/api/deals/", {**DEAL, "manager": "x" * 5_000}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
