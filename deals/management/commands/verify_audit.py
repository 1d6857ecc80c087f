"""`python manage.py verify_audit`: check every deal's keyed hash chain and recorded head, and signed checkpoints.

    verify_audit                          every chain, and the count and head each deal records
    verify_audit --checkpoint OLD.json    ... and that no deal lost or changed events since OLD was exported
    verify_audit --export NEW.json        ... then, if all holds, write a signed checkpoint of every head
    verify_audit --rekey                  re-sign chains of a previous key (AUDIT_HMAC_PREVIOUS_KEYS), then verify

Exit status 1 names every problem found; docs/audit.md says which attack each defence catches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from deals.audit_verify import CheckpointError, audit_rekey, audit_verify, checkpoint_document, checkpoint_load


def _where(problem: dict[str, Any]) -> str:
    if problem["event_id"] is not None:
        return f"event #{problem['sequence']} (id {problem['event_id']})"
    return {"head": "its recorded count and head", "status": "its status", "checkpoint": "the checkpoint"}.get(
        problem.get("kind", ""), "its log"
    )


class Command(BaseCommand):
    help = (
        "Verify every deal's keyed audit chain and the head its deal records (or of --deal ID); --checkpoint FILE "
        "also compares with a signed checkpoint, --export FILE writes one when all holds; exit 1 on any problem."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--deal", type=int, action="append", help="only this deal id (repeatable)")
        parser.add_argument("--checkpoint", metavar="FILE", help="a checkpoint written by --export to verify against")
        parser.add_argument("--export", metavar="FILE", help="write a signed checkpoint here if everything verifies")
        parser.add_argument(
            "--rekey", action="store_true", help="first re-sign chains signed with a key of AUDIT_HMAC_PREVIOUS_KEYS"
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        deal_ids = options.get("deal")
        if options["rekey"]:
            if deal_ids:
                raise CommandError("--rekey re-signs every chain; it takes no --deal.")
            self._rekey()
        checkpoint = self._load(options["checkpoint"]) if options["checkpoint"] else None
        export = Path(options["export"]) if options["export"] else None
        if export is not None and export.exists():
            raise CommandError(f"{export} exists: a checkpoint is never overwritten; give a new file name.")
        result = audit_verify(deal_ids=deal_ids, checkpoint=checkpoint)
        if not result.ok:
            for problem in result.problems:
                where = f", {_where(problem)}" if problem["event_id"] is not None else ""
                self.stderr.write(f"deal {problem['deal_id']}{where}: {problem['problem']}")
            first = result.problems[0]
            affected = len({p["deal_id"] for p in result.problems})
            raise CommandError(
                f"Audit log broken: first at deal {first['deal_id']}, {_where(first)}: {first['problem']}. "
                f"{len(result.problems)} problem(s) in {affected} deal(s)."
                + (" No checkpoint was written." if export is not None else "")
            )
        message = f"Audit log intact: {result.events_checked} events across {result.deals_checked} deals"
        if checkpoint is not None:
            message += f"; nothing lost or changed since the checkpoint of {checkpoint.exported_at}"
        self.stdout.write(self.style.SUCCESS(message + "."))
        if export is not None:
            self._export(export, checkpoint_document(result))

    def _rekey(self) -> None:
        rekey = audit_rekey()
        self.stdout.write(
            f"Re-signed {rekey.rekeyed} chain(s) ({rekey.events_rekeyed} events) with the current key; "
            f"{rekey.current} already under it."
        )
        for problem in rekey.refused:
            self.stderr.write(f"deal {problem['deal_id']} not re-signed: {problem['problem']}")

    def _load(self, path: str):  # type: ignore[no-untyped-def]
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read the checkpoint {path}: {exc.strerror or exc}.") from exc
        except ValueError as exc:
            raise CommandError(f"Checkpoint {path} refused: it is not JSON ({exc}).") from exc
        try:
            return checkpoint_load(document)
        except CheckpointError as exc:
            raise CommandError(f"Checkpoint {path} refused: {exc}.") from exc

    def _export(self, path: Path, document: dict[str, Any]) -> None:
        try:
            with path.open("x", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1)
                handle.write("\n")
        except OSError as exc:
            raise CommandError(f"Cannot write the checkpoint {path}: {exc.strerror or exc}.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint of {len(document['deals'])} deals at {document['exported_at']} written to {path} "
                f"(signed with key id {document['key_id']}). Keep it outside the database's reach."
            )
        )
