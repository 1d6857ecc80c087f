"""The matching job: load profiles and published tranches, run the engine, replace the stored matches.

A run's scope is everything (nightly), one deal (on publish) or one investor
(on a profile change). The matches of that scope are deleted and rewritten in
one transaction, so a reader sees the old set or the new one, never half of
each. Stored: eligible pairs and pairs failing only on risk level (opened after
the special warning); near misses are computed live for the investor's page
(investors/match_candidates.py). The rules are described in docs/matching.md.

On PostgreSQL the rows go in by binary COPY, built block by block with NumPy
(no Python object per row); a full run empties the table with TRUNCATE and
rebuilds its indexes after the load. On SQLite (the embedded default) they go
in by bulk_create.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Tranche
from origination.errors import DomainError
from origination.jobs import ClaimLost, job_enqueue, job_finish, job_progress, job_run
from origination.models import User

from .match_rows import investor_rows, market_tranches
from .matching import (
    InvestorArrays,
    TrancheArrays,
    build_vocabulary,
    encode_investors,
    encode_tranches,
    iter_match_blocks,
)
from .matching_rules import RISK_LEVEL_ONLY
from .models import Match, MatchRun

INSERT_BATCH = 5_000
WRITE_LOCK_KEY = 0x4D41_5443  # "MATC": the PostgreSQL advisory lock the runs take to write matches one at a time


def match_request(
    *, scope: str = MatchRun.Scope.ALL, scope_id: int | None = None, actor: User | None = None
) -> MatchRun:
    """Queue a matching run after commit (arranger, the publish move, a profile change, or the nightly beat)."""
    if actor is not None and not actor.is_arranger:
        raise DomainError("forbidden", _("Only the arranger starts a full matching run."), status=403)
    from .tasks import run_matching

    with transaction.atomic():
        run = MatchRun.objects.create(scope=scope, scope_id=scope_id, requested_by=actor, inputs={"scope": scope})
        transaction.on_commit(lambda: job_enqueue(run_matching, run.pk))
    return run


@dataclass(frozen=True)
class KeptPairs:
    """The pairs of one engine block that are stored, as aligned columns (ids, score, failed rules)."""

    investor_id: np.ndarray  # int64
    tranche_id: np.ndarray  # int64
    deal_id: np.ndarray  # int64
    score: np.ndarray  # float64, rounded to 4 decimals
    failed_rules: np.ndarray  # uint16: 0 (eligible) or RISK_LEVEL_ONLY

    def __len__(self) -> int:
        return int(self.investor_id.shape[0])


def iter_kept_pairs(
    *,
    investors: InvestorArrays,
    tranches: TrancheArrays,
    investor_ids: Any,
    tranche_list: list[Tranche],
    block_investors: int | None = None,
) -> Iterator[KeptPairs]:
    """Block by block, the pairs to store: eligible ones and those failing only on risk level (the warning flow).

    Near misses are not stored: the investor's page computes them live for that one investor.
    """
    tranche_ids = np.array([t.pk for t in tranche_list], dtype=np.int64)
    deal_ids = np.array([t.deal_id for t in tranche_list], dtype=np.int64)
    inv_ids = np.asarray(investor_ids, dtype=np.int64)
    for block in iter_match_blocks(investors=investors, tranches=tranches, block_investors=block_investors):
        failed = block.failed_rules
        rows, cols = np.nonzero((failed == 0) | (failed == RISK_LEVEL_ONLY))
        if rows.size == 0:
            continue
        tr = cols + block.tranche_slice.start
        yield KeptPairs(
            investor_id=inv_ids[rows + block.investor_slice.start],
            tranche_id=tranche_ids[tr],
            deal_id=deal_ids[tr],
            score=np.round(block.score[rows, cols].astype(np.float64), 4),
            failed_rules=failed[rows, cols],
        )


@dataclass(frozen=True)
class ScopeInputs:
    """A run's scope as the engine reads it: the investors and the valued tranches on the market, encoded."""

    investor_ids: list[int]
    tranche_list: list[Tranche]
    investors: InvestorArrays
    tranches: TrancheArrays
    unvalued: int  # tranches of the scope on the market left out: not valued yet

    def kept_pairs(self) -> Iterator[KeptPairs]:
        """The pairs to store, block by block (none when either side is empty)."""
        if not (self.investor_ids and self.tranche_list):
            return iter(())
        return iter_kept_pairs(
            investors=self.investors, tranches=self.tranches, investor_ids=self.investor_ids,
            tranche_list=self.tranche_list,
        )  # fmt: skip


def load_scope(scope: str, scope_id: int | None) -> ScopeInputs:
    """Read and encode a run's scope: every investor and the market (all), one deal's tranches, or one investor."""
    investor_ids, profiles = investor_rows(investor_id=scope_id if scope == MatchRun.Scope.INVESTOR else None)
    market = market_tranches(deal_id=scope_id if scope == MatchRun.Scope.DEAL else None)
    vocabulary = build_vocabulary(investor_rows=profiles)
    return ScopeInputs(
        investor_ids=investor_ids,
        tranche_list=market.tranches,
        investors=encode_investors(rows=profiles, vocabulary=vocabulary),
        tranches=encode_tranches(rows=market.rows, vocabulary=vocabulary),
        unvalued=market.unvalued,
    )


# PostgreSQL's binary COPY format (docs: sql-copy.html, "Binary Format"): a header, then per row an int16
# field count and, per field, an int32 byte length and the value in network byte order; an int16 -1 ends it.
# Each column with its binary type as NumPy spells it; the types must be the table's exactly.
COPY_FIELDS: tuple[tuple[str, str], ...] = (
    ("investor_id", ">i8"),  # bigint
    ("tranche_id", ">i8"),
    ("deal_id", ">i8"),
    ("score", ">f8"),  # double precision
    ("failed_rules", ">i2"),  # smallint
    ("eligible", "u1"),  # boolean: one byte, 0 or 1
    ("run_id", ">i8"),
    ("computed_at", ">i8"),  # timestamptz: microseconds since 2000-01-01 UTC
)
COPY_COLUMNS = tuple(name for name, _kind in COPY_FIELDS)
COPY_ROW = np.dtype(
    [("n_fields", ">i2")] + [item for name, kind in COPY_FIELDS for item in ((f"{name}_len", ">i4"), (name, kind))]
)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")  # signature, flags, extension
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
PG_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def pg_timestamp(value: datetime.datetime) -> int:
    """A timestamptz as PostgreSQL stores it: microseconds since 2000-01-01 UTC."""
    return (value - PG_EPOCH) // datetime.timedelta(microseconds=1)


def copy_binary_rows(pairs: KeptPairs, *, run_id: int, computed_at: int) -> bytes:
    """The binary COPY tuples of one block's pairs, built column by column (no Python loop per row)."""
    rows = np.empty(len(pairs), dtype=COPY_ROW)
    rows["n_fields"] = len(COPY_FIELDS)
    for name, kind in COPY_FIELDS:
        rows[f"{name}_len"] = np.dtype(kind).itemsize
    rows["investor_id"] = pairs.investor_id
    rows["tranche_id"] = pairs.tranche_id
    rows["deal_id"] = pairs.deal_id
    rows["score"] = pairs.score
    rows["failed_rules"] = pairs.failed_rules
    rows["eligible"] = pairs.failed_rules == 0
    rows["run_id"] = run_id
    rows["computed_at"] = computed_at
    return rows.tobytes()


def _timed(blocks: Iterator[KeptPairs], seconds: dict[str, float]) -> Iterator[KeptPairs]:
    """The blocks, adding the time spent producing them (the engine and the selection) to seconds["scoring"]."""
    iterator = iter(blocks)
    while True:
        started = time.perf_counter()
        pairs = next(iterator, None)
        seconds["scoring"] += time.perf_counter() - started
        if pairs is None:
            return
        yield pairs


def _copy_postgres(blocks: Iterator[KeptPairs], *, run_id: int, now: datetime.datetime) -> tuple[int, int]:
    table = connection.ops.quote_name(Match._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COPY_COLUMNS)
    stamp = pg_timestamp(now)
    stored = eligible = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)") as copy,  # noqa: S608 - fixed names
    ):
        copy.write(COPY_HEADER)
        for pairs in blocks:
            copy.write(copy_binary_rows(pairs, run_id=run_id, computed_at=stamp))
            stored += len(pairs)
            eligible += int(np.count_nonzero(pairs.failed_rules == 0))
        copy.write(COPY_TRAILER)
    return stored, eligible


def _bulk_create(blocks: Iterator[KeptPairs], *, run_id: int, now: datetime.datetime) -> tuple[int, int]:
    stored = eligible = 0
    for pairs in blocks:
        columns = (pairs.investor_id, pairs.tranche_id, pairs.deal_id, pairs.score, pairs.failed_rules)
        Match.objects.bulk_create(
            (
                Match(investor_id=i, tranche_id=t, deal_id=d, score=s, failed_rules=f, eligible=f == 0, run_id=run_id,
                      computed_at=now)
                for i, t, d, s, f in zip(*(c.tolist() for c in columns), strict=True)
            ),
            batch_size=INSERT_BATCH,
        )  # fmt: skip
        stored += len(pairs)
        eligible += int(np.count_nonzero(pairs.failed_rules == 0))
    return stored, eligible


def _empty_for_full_run() -> list[str]:
    """Empty the matches table and drop its indexes; returns the statements that rebuild them (PostgreSQL).

    TRUNCATE takes an ACCESS EXCLUSIVE lock until commit: readers of matches wait
    for the nightly run to finish (about 12 s at 10,000 x 2,000) and then see the
    new set. With the lock held, building each index once over the loaded table is
    several times faster than maintaining it row by row during the COPY. The
    definitions are read from the catalog, so the rebuilt indexes and constraints
    are exactly the ones the migrations made.
    """
    table = Match._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted}")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY contype, conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass"
            " AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY 1",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")  # regclass text: already quoted where needed
    return [
        f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        for name, definition in constraints
    ] + [definition for _name, definition in indexes]


def _replace_matches(run: MatchRun, blocks: Iterator[KeptPairs], now: datetime.datetime) -> dict[str, Any]:
    """Delete the run's scope and write the blocks, in the caller's transaction; counts and seconds."""
    seconds = {"scoring": 0.0, "writing": 0.0, "indexing": 0.0}
    started = time.perf_counter()
    rebuild: list[str] = []
    postgres = connection.vendor == "postgresql"
    if postgres:
        # One writer at a time: a deal's run and an investor's run share pairs, and the second would otherwise
        # insert a pair the first has just written (unique violation) instead of replacing it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
    if postgres and run.scope == MatchRun.Scope.ALL:
        rebuild = _empty_for_full_run()
    else:
        stale = Match.objects.all()
        if run.scope == MatchRun.Scope.DEAL:
            stale = stale.filter(deal_id=run.scope_id)
        elif run.scope == MatchRun.Scope.INVESTOR:
            stale = stale.filter(investor_id=run.scope_id)
        stale._raw_delete(stale.db)
    write = _copy_postgres if postgres else _bulk_create
    stored, eligible = write(_timed(blocks, seconds), run_id=run.pk, now=now)
    written = time.perf_counter()
    seconds["writing"] = written - started - seconds["scoring"]
    with connection.cursor() as cursor:
        for statement in rebuild:
            cursor.execute(statement)
    seconds["indexing"] = time.perf_counter() - written
    return {"stored": stored, "eligible": eligible, "seconds": seconds}


def match_execute(*, run_id: int, retries_done: int = 0) -> None:
    """Claim the run, score its scope with the engine and replace the scope's matches in one transaction.

    The result is stored in that same transaction, only while the run holds its claim: a run taken over by
    another (its heartbeat had stopped) rolls its matches back instead of writing them twice.
    """

    def work(token: uuid.UUID) -> None:
        run = MatchRun.objects.get(pk=run_id)
        started = time.perf_counter()
        inputs = load_scope(run.scope, run.scope_id)
        if not job_progress(model=MatchRun, job_id=run_id, token=token, progress=20.0):
            raise ClaimLost
        loaded = time.perf_counter()
        blocks = inputs.kept_pairs()
        with transaction.atomic():
            outcome = _replace_matches(run, blocks, timezone.now())
            seconds = outcome["seconds"]
            result = {
                "investors": len(inputs.investor_ids),
                "tranches": len(inputs.tranche_list),
                "tranches_not_valued": inputs.unvalued,
                "pairs_scored": len(inputs.investor_ids) * len(inputs.tranche_list),
                "stored": outcome["stored"],
                "eligible": outcome["eligible"],
                "seconds_loading": round(loaded - started, 3),
                "seconds_scoring": round(seconds["scoring"], 3),
                "seconds_writing": round(seconds["writing"], 3),
                "seconds_indexing": round(seconds["indexing"], 3),
            }
            if not job_finish(model=MatchRun, job_id=run_id, token=token, result=result):
                raise ClaimLost

    job_run(model=MatchRun, job_id=run_id, work=work, retries_done=retries_done)
