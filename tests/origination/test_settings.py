"""Settings come from the environment: production refuses to start without a secret, Redis brings real queues."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _settings_probe(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    code = f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    unset = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "AUDIT_HMAC_KEY", "AUDIT_HMAC_PREVIOUS_KEYS"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    result = _settings_probe({"DEBUG": "0"}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_start_with_a_secret_key_and_an_audit_key():
    result = _settings_probe(
        {"DEBUG": "0", "SECRET_KEY": "x" * 50, "AUDIT_HMAC_KEY": "a" * 64, "ALLOWED_HOSTS": "abs.example"},
        "s.DEBUG, s.AUDIT_HMAC_KEY == 'a' * 64",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"


@pytest.mark.parametrize(
    ("audit_key", "message"),
    [
        (None, "AUDIT_HMAC_KEY must be set"),
        ("too-short", "AUDIT_HMAC_KEY must be at least 32 characters"),
        ("x" * 50, "AUDIT_HMAC_KEY must differ from SECRET_KEY"),
    ],
)
def test_production_settings_refuse_to_start_without_a_proper_audit_key(audit_key, message):
    env = {"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "abs.example"}
    if audit_key is not None:
        env["AUDIT_HMAC_KEY"] = audit_key
    result = _settings_probe(env, "s.AUDIT_HMAC_KEY")
    assert result.returncode != 0
    assert message in result.stderr


def test_a_development_audit_key_is_derived_from_the_secret_key_and_is_not_it():
    one = _settings_probe({"SECRET_KEY": "dev-one"}, "s.AUDIT_HMAC_KEY").stdout.strip()
    again = _settings_probe({"SECRET_KEY": "dev-one"}, "s.AUDIT_HMAC_KEY").stdout.strip()
    other = _settings_probe({"SECRET_KEY": "dev-two"}, "s.AUDIT_HMAC_KEY").stdout.strip()
    assert len(one) == 64
    assert one == again
    assert one != other
    assert "dev-one" not in one


def test_nothing_set_means_sqlite_and_in_process_jobs():
    result = _settings_probe({}, "s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG")
    assert result.stdout.strip() == "django.db.backends.sqlite3 True True"


def test_database_and_redis_urls_select_postgres_and_a_broker_with_separate_queues():
    result = _settings_probe(
        {"DATABASE_URL": "postgres://u:p@db:5432/abs", "REDIS_URL": "redis://cache:6379/0"},
        "s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, "
        "sorted(q.name for q in s.CELERY_TASK_QUEUES), s.CELERY_TASK_ROUTES['deals.tasks.*']['queue'], "
        "s.CELERY_TASK_ROUTES['investors.tasks.*']['queue']",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "django.db.backends.postgresql redis://cache:6379/0 False ['default', 'matching', 'valuation'] "
        "valuation matching"
    )
