"""A 10,000-path valuation of a demo deal end to end through a real Celery worker on PostgreSQL and Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/valuation_worker.py [--strict]

Creates a scratch database (dropped at the end), loads the demo, starts one
worker process, asks for a valuation of the demo's compliance-approved deal and
times it from the request to the stored result. The baseline, measured in the
same run, is the engine alone on the same deal in this process. Prints the
seconds, the ratio to the baseline and the worker's peak memory (VmHWM of its
processes). Targets: under 10 s and under 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_SECONDS, TARGET_MIB = 10.0, 1024.0


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _peak_mib(pid: int) -> float:
    """Largest VmHWM among the worker's processes (the parent and its pool child)."""
    peaks = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            stat = (proc / "stat").read_text().split()
        except OSError:
            continue
        if int(proc.name) == pid or int(stat[3]) == pid:
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not redis_url:
        print("valuation_worker: skipped (set DATABASE_URL=postgres://... and REDIS_URL to run it)")
        return 0
    name = "dataabs_bench_valuation"
    _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(url, f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = _with_db(url, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    worker = None
    try:
        import django

        django.setup()
        import redis
        from django.core.management import call_command

        redis.Redis.from_url(redis_url).flushdb()
        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        redis.Redis.from_url(redis_url).flushdb()  # the seed's own after-commit jobs are not this bench's
        from deals.models import Deal, MarketParameters, ValuationRun
        from deals.valuation import value_deal
        from deals.valuation_inputs import valuation_inputs_for
        from deals.valuation_jobs import valuation_request
        from origination.models import User

        deal = Deal.objects.filter(status="compliance_approved").order_by("pk").first()
        inputs, _extra = valuation_inputs_for(deal=deal, market=MarketParameters.objects.first(), legal_haircut=0.0,
                                              legal_stop_life=0.02, open_findings=0)  # fmt: skip
        started = time.perf_counter()
        value_deal(inputs, n_paths=10_000)
        baseline = time.perf_counter() - started

        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues=valuation", "--concurrency=1",
             "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=os.environ.copy(), start_new_session=True,
        )  # fmt: skip
        time.sleep(4)  # the worker boots (imports Django, NumPy, SciPy) before the clock starts
        arthur = User.objects.get(username="arthur")
        started = time.perf_counter()
        run = valuation_request(actor=arthur, deal=deal, n_paths=10_000)
        while True:
            run.refresh_from_db()
            if run.is_finished:
                break
            if time.perf_counter() - started > 120:
                raise TimeoutError("the worker did not finish in 120 s")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        peak = _peak_mib(worker.pid)
        assert run.status == "succeeded", run.error
        deal.refresh_from_db()
        print(f"10,000-path valuation of '{deal.name}' through a real worker on PostgreSQL: {seconds:.2f} s "
              f"(deal now '{deal.status}', {ValuationRun.objects.filter(deal=deal).count()} run)")  # fmt: skip
        print(f"baseline (the engine alone, same deal, in this process): {baseline:.2f} s; "
              f"end to end / baseline = {seconds / baseline:.2f}x")  # fmt: skip
        print(f"worker peak memory: {peak:.0f} MiB")
        ok = seconds < TARGET_SECONDS and peak < TARGET_MIB
        print(f"targets (< {TARGET_SECONDS:.0f} s, < {TARGET_MIB:.0f} MiB): {'met' if ok else 'MISSED'}")
        return 0 if ok or not args.strict else 1
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
