"""Shared fixtures: a user of each role in two organisations, API clients, and service gating.

Tests marked `postgres` or `redis` need the real services. Without them they
skip with a reason, unless REQUIRE_SERVICES=1 (as in CI), when they fail.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import time
from collections import Counter

import pytest
import time_machine
from django.apps import apps
from rest_framework.test import APIClient

from origination.choices import Role

from .factories import (
    InvestorFactory,
    OriginatorFactory,
    RiskProfileFactory,
    UserFactory,
    investor_user,
    originator_user,
)

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Tests with transaction=True commit for real (a worker in another process must see the rows), so each flushes
# the tables after it, rows of data migrations included; they are loaded again, by the migrations' own
# functions, before each such test that lacks them.
DATA_MIGRATIONS = (
    ("deals.migrations.0004_default_market_parameters", "create", "deals.MarketParameters"),
    ("deals.migrations.0006_checklist_template_v1", "load_v1", "deals.ChecklistTemplate"),
)


@pytest.fixture(autouse=True)
def _data_from_migrations(request):  # noqa: PT004
    if "transactional_db" not in request.fixturenames and not any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db")
    ):
        return
    request.getfixturevalue("transactional_db")
    for module, function, model in DATA_MIGRATIONS:
        if not apps.get_model(model).objects.exists():
            getattr(importlib.import_module(module), function)(apps, None)


def _redis_problem() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "needs Redis: REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return f"needs Redis: cannot reach {url} ({exc})"
    return None


def _postgres_problem() -> str | None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: DATABASE_URL does not point at PostgreSQL"
    return None


_SESSION_STARTED = time.time()
SERVICE_MARKERS = ("postgres", "redis", "worker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist (`--dist loadgroup`), the tests that use the shared PostgreSQL/Redis services run one at a time."""
    for item in items:
        if any(item.get_closest_marker(marker) for marker in SERVICE_MARKERS):
            item.add_marker(pytest.mark.xdist_group("services"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    """The figures the notes quote: schemathesis cases per operation, and the fault harness's table.

    Here, in the root conftest, because the xdist controller loads only this one; the cases come back from the
    workers in each report's user properties, the fault rows as files (tests/faults/report.py).
    """
    cases: Counter[str] = Counter()
    for key in ("passed", "failed"):
        for report in terminalreporter.stats.get(key, []):
            cases.update(value for name, value in getattr(report, "user_properties", ()) if name == "schemathesis_case")
    if cases:
        terminalreporter.write_sep("=", "schemathesis (tests/api/test_schemathesis.py)")
        terminalreporter.write_line(
            f"{sum(cases.values())} generated cases over {len(cases)} operations x roles; "
            f"fewest for one operation and role: {min(cases.values())}"
        )
        # Hypothesis stops before 100 when it finds no further distinct input (no parameters, small enums).
        few = sorted((count, label) for label, count in cases.items() if count < 100)
        if few:
            terminalreporter.write_line(
                f"{len(few)} with fewer than 100 (no further distinct input to draw): "
                + "; ".join(f"{label} {count}" for count, label in few)
            )
    from .faults.report import load, table

    rows = load(since=_SESSION_STARTED)
    if rows:
        terminalreporter.write_sep("=", "fault harness: jobs sent, completed, duplicated, recovery (tests/faults)")
        terminalreporter.write_line(table(rows))


def pytest_runtest_setup(item: pytest.Item) -> None:
    problems = []
    if item.get_closest_marker("postgres") or item.get_closest_marker("worker"):
        problems.append(_postgres_problem())
    if item.get_closest_marker("redis") or item.get_closest_marker("worker"):
        problems.append(_redis_problem())
    problems = [p for p in problems if p]
    if problems:
        reason = "; ".join(problems)
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)


# Every test runs on the same day, whatever the calendar says: dates a page or a check derives from "today"
# (a deal's maturity without an issue date, the month an import may not go beyond) stay the same from run to run.
FROZEN_NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock(request):
    """Time starts at FROZEN_NOW and ticks on; tests with a real worker or browser process keep the real clock."""
    if request.node.get_closest_marker("worker") or request.node.get_closest_marker("e2e"):
        yield
        return
    with time_machine.travel(FROZEN_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _jobs_run_in_process():
    """Jobs run in-process unless a test starts a real worker (tests/integration)."""
    from config.celery import app

    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The default PBKDF2 hasher costs ~100 ms a user; tests create thousands of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English: a request in Chinese activates it for the whole thread."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def originator_a(db):
    return OriginatorFactory(name="Alpha Transport Data Co.")


@pytest.fixture
def originator_b(db):
    return OriginatorFactory(name="Beta Energy Data Co.")


@pytest.fixture
def user_a(originator_a):
    """Originator staff of company A."""
    return originator_user(originator_a, username="alice")


@pytest.fixture
def user_b(originator_b):
    """Originator staff of company B."""
    return originator_user(originator_b, username="bob")


@pytest.fixture
def compliance_user(db):
    return UserFactory(role=Role.COMPLIANCE, username="carol")


@pytest.fixture
def arranger_user(db):
    return UserFactory(role=Role.ARRANGER, username="arthur", is_staff=True)


@pytest.fixture
def investor(db):
    inv = InvestorFactory(name="Prudent Life Insurance")
    RiskProfileFactory(investor=inv)
    return inv


@pytest.fixture
def investor_staff(investor):
    return investor_user(investor, username="ivy")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """`api_as(user)` returns an API client signed in as that user."""

    def _login(user):
        api_client.force_authenticate(user=user)
        return api_client

    return _login
