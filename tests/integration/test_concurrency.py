"""Two workflow moves of one deal racing on PostgreSQL: exactly one applies, with one audit event."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from deals import workflow
from deals.choices import DealStatus
from deals.models import AuditEvent, Deal
from origination.errors import DomainError
from tests.deals.compliance.helpers import pass_review
from tests.factories import submittable_deal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(moves):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(moves))
    outcomes: list[object] = [None] * len(moves)

    def run(i, move):  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=10)
            outcomes[i] = move()
        except DomainError as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(moves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("attempt", range(3))
def test_approve_and_request_changes_race_applies_exactly_one(attempt, user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    pass_review(deal, officer=compliance_user)  # so that approval, too, can win the race
    events_before = AuditEvent.objects.filter(deal=deal).count()

    outcomes = _race(
        [
            lambda: workflow.deal_approve(deal=deal, actor=compliance_user),
            lambda: workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="PIPIA missing"),
        ]
    )
    won = [o for o in outcomes if isinstance(o, Deal)]
    lost = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(won) == 1, outcomes
    assert len(lost) == 1, outcomes
    assert lost[0].code == "invalid_transition"
    deal.refresh_from_db()
    assert deal.status in {DealStatus.COMPLIANCE_APPROVED, DealStatus.CHANGES_REQUESTED}
    assert deal.status == won[0].status
    events = AuditEvent.objects.filter(deal=deal).order_by("sequence")
    assert events.count() == events_before + 1
    assert events.last().to_status == deal.status


def test_same_move_twice_at_once_applies_once(user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    outcomes = _race([lambda: workflow.deal_start_review(deal=deal, actor=compliance_user)] * 2)
    assert sum(isinstance(o, Deal) for o in outcomes) == 1
    assert AuditEvent.objects.filter(deal=deal, action="start_review").count() == 1
