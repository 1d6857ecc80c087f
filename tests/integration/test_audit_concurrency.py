"""Concurrent appends to one deal's audit chain on PostgreSQL: the deal's row lock serialises them, no fork."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from deals.audit import audit_append, audit_verify
from deals.models import AuditEvent, Deal
from tests.factories import submittable_deal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS, APPENDS = 6, 5


def test_concurrent_appends_to_one_deal_form_one_chain(user_a):
    deal = submittable_deal(user_a)  # its chain holds the creation event
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append_many(worker: int) -> None:
        try:
            barrier.wait(timeout=10)
            for n in range(APPENDS):
                # Each append is its own transaction, as each request is; nobody holds the deal's lock beforehand.
                with transaction.atomic():
                    audit_append(
                        deal=Deal(pk=deal.pk), actor=user_a, actor_label=f"worker {worker}", action="note",
                        from_status=deal.status, to_status=deal.status, reason=f"{worker}.{n}",
                    )  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - every failure is reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    events = list(AuditEvent.objects.filter(deal=deal).order_by("sequence"))
    assert [e.sequence for e in events] == list(range(1, 1 + THREADS * APPENDS + 1))
    assert sorted(e.reason for e in events[1:]) == sorted(f"{w}.{n}" for w in range(THREADS) for n in range(APPENDS))
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.audit_event_count, stored.audit_head_hash) == (len(events), events[-1].hash)
    assert audit_verify(deal_ids=[deal.pk]).ok
