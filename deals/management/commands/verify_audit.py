"""`python manage.py verify_audit`: check every deal's hash chain and name the first broken event."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from deals.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash-chained audit log of every deal (or of --deal ID); exit 1 on the first break."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--deal", type=int, action="append", help="only this deal id (repeatable)")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        result = audit_verify(deal_ids=options.get("deal"))
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Audit log intact: {result.events_checked} events across {result.deals_checked} deals."
                )
            )
            return
        first = result.problems[0]
        where = f"event #{first['sequence']} (id {first['event_id']})" if first["event_id"] else "its status"
        for problem in result.problems:
            self.stderr.write(f"deal {problem['deal_id']}: {problem['problem']}")
        raise CommandError(
            f"Audit log broken: first at deal {first['deal_id']}, {where}: {first['problem']}. "
            f"{len(result.problems)} deal(s) affected."
        )
