"""Benchmark the revenue import against saving the same rows one by one with Model.save().

    .venv/bin/python bench/revenue_import.py [--repeat 5] [--keep-db]

Runs on a throwaway SQLite file in a temporary directory (migrated on start,
deleted at the end), whatever DATABASE_URL says, so it never touches real
data. Each repetition imports tests/data/revenue_60m_20cp.csv (and the .xlsx)
into a fresh data asset through `revenue_import` (read, decode, parse, validate
every row, duplicate check, one transaction, bulk insert). The baselines save
the same already-parsed rows with one `RevenueRecord.save()` each: once inside
a single transaction (the fair baseline) and once in autocommit (what a naive
import loop does). The baselines do no parsing or validation at all, so the
ratios understate the difference.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSV_PATH = ROOT / "tests" / "data" / "revenue_60m_20cp.csv"
XLSX_PATH = ROOT / "tests" / "data" / "revenue_60m_20cp.xlsx"


def setup_django(db_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"  # this process only: a throwaway database
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def make_owner():
    from origination.choices import Role
    from origination.models import Originator, User
    from tests.factories import make_uscc

    originator = Originator.objects.create(
        name="Bench Data Co.", uscc=make_uscc(1), ownership_type="local_soe", industry="Data", region="Beijing"
    )
    user = User.objects.create(username="bench", role=Role.ORIGINATOR, originator=originator)
    return originator, user


def new_asset(originator, n: int):
    from origination.models import DataAsset

    score = Decimal("90")
    return DataAsset.objects.create(
        originator=originator,
        name=f"Bench asset {n}",
        category="transport",
        volume="1 TB",
        update_frequency="daily",
        source="bench",
        **dict.fromkeys(DataAsset.QUALITY_FIELDS, score),
    )


def parsed_rows() -> list[dict]:
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        return [
            {
                "period": dt.date.fromisoformat(row["period"] + "-01"),
                "amount": Decimal(row["amount"]),
                "revenue_type": row["revenue_type"],
                "counterparty": row["counterparty"],
                "contract_ref": row["contract"],
            }
            for row in csv.DictReader(handle)
        ]


def time_import(path: Path, *, user, originator, n: int) -> float:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from origination.revenue_import import revenue_import

    asset = new_asset(originator, n)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    start = time.perf_counter()
    result = revenue_import(actor=user, data_asset=asset, uploaded_file=upload)
    elapsed = time.perf_counter() - start
    assert result.row_count == 1200, result.row_count
    return elapsed


def time_save_loop(rows: list[dict], *, originator, n: int, atomic: bool) -> float:
    from django.db import transaction

    from origination.models import RevenueRecord

    asset = new_asset(originator, n)
    start = time.perf_counter()
    if atomic:
        with transaction.atomic():
            for row in rows:
                RevenueRecord(data_asset=asset, **row).save()
    else:
        for row in rows:
            RevenueRecord(data_asset=asset, **row).save()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep-db", action="store_true", help="keep the temporary database and print its path")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="dataabs-bench-")
    db_path = Path(tmp) / "bench.sqlite3"
    setup_django(db_path)
    originator, user = make_owner()
    rows = parsed_rows()
    counter = iter(range(10_000))

    # One warm-up of each path, then the timed repetitions; medians are reported.
    time_import(CSV_PATH, user=user, originator=originator, n=next(counter))
    time_save_loop(rows, originator=originator, n=next(counter), atomic=True)
    timings: dict[str, list[float]] = {"import csv": [], "import xlsx": [], "save() loop, one transaction": []}
    for _ in range(args.repeat):
        timings["import csv"].append(time_import(CSV_PATH, user=user, originator=originator, n=next(counter)))
        timings["import xlsx"].append(time_import(XLSX_PATH, user=user, originator=originator, n=next(counter)))
        timings["save() loop, one transaction"].append(
            time_save_loop(rows, originator=originator, n=next(counter), atomic=True)
        )
    # A commit per row costs seconds on a file database: measured once, not repeated.
    timings["save() loop, autocommit (1 run)"] = [
        time_save_loop(rows, originator=originator, n=next(counter), atomic=False)
    ]

    medians = {name: statistics.median(values) for name, values in timings.items()}
    baseline = medians["save() loop, one transaction"]
    print(f"revenue import, {len(rows)} rows (60 months x 20 counterparties), SQLite file, median of {args.repeat}")
    for name, seconds in medians.items():
        print(
            f"  {name:<30} {seconds * 1000:8.1f} ms  {len(rows) / seconds:>10,.0f} rows/s"
            f"  {baseline / seconds:5.2f}x vs one-transaction save() loop"
        )
    autocommit = medians["save() loop, autocommit (1 run)"]
    print(f"  csv import vs the autocommit save() loop: {autocommit / medians['import csv']:.1f}x faster")
    if args.keep_db:
        print(f"database kept at {db_path}")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
