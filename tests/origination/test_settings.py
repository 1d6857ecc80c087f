"""Settings come from the environment: production refuses to start without a secret, Redis brings real queues."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings_probe(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    code = f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "origination.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    result = _settings_probe({"DEBUG": "0"}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_start_with_a_secret_key():
    result = _settings_probe({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "abs.example"}, "s.DEBUG")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


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
