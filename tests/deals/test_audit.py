"""The hash-chained audit log: it verifies when intact and names the first event that was tampered with."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from deals import workflow
from deals.audit import audit_verify
from deals.choices import DealStatus
from deals.models import AuditEvent, Deal
from origination.errors import DomainError
from tests.deals.compliance.helpers import pass_review
from tests.factories import submittable_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; another test may leave a different language active."""
    with translation.override("en"):
        yield


GENESIS = "0" * 64


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def walked_deal(user_a, compliance_user, arranger_user) -> Deal:
    """A deal taken through a round of changes to publication: 10 events (create + 9 moves)."""
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Attach the PIPIA report.")
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    pass_review(deal, officer=compliance_user)
    workflow.deal_approve(deal=deal, actor=compliance_user)
    workflow.deal_start_valuation(deal=deal, actor=arranger_user)
    workflow.deal_complete_valuation(deal=deal)
    workflow.deal_publish(deal=deal, actor=arranger_user)
    deal.refresh_from_db()
    return deal


@pytest.fixture
def second_deal(user_b, compliance_user) -> Deal:
    """An untouched deal of another company: tampering with the first must not implicate it."""
    deal = submittable_deal(user_b)
    workflow.deal_submit(deal=deal, actor=user_b)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    return deal


def event(deal: Deal, sequence: int) -> AuditEvent:
    return AuditEvent.objects.get(deal=deal, sequence=sequence)


def test_walked_deal_has_an_intact_chain(walked_deal, second_deal):
    result = audit_verify()
    assert result.ok
    assert result.problems == []
    assert result.deals_checked == 2
    assert result.events_checked == 10 + 3


def test_hashes_chain_from_sixty_four_zeros(walked_deal):
    events = list(walked_deal.audit_events.order_by("sequence"))
    assert [e.sequence for e in events] == list(range(1, 11))
    assert events[0].prev_hash == GENESIS
    for previous, current in zip(events, events[1:], strict=False):
        assert current.prev_hash == previous.hash
    assert all(len(e.hash) == 64 and int(e.hash, 16) >= 0 for e in events)
    assert len({e.hash for e in events}) == len(events)


def test_each_deal_has_its_own_chain_starting_at_genesis(walked_deal, second_deal):
    firsts = AuditEvent.objects.filter(sequence=1, deal__in=[walked_deal, second_deal])
    assert sorted(firsts.values_list("prev_hash", flat=True)) == [GENESIS, GENESIS]


@pytest.mark.parametrize(
    ("field", "value"),
    [("reason", "No reason at all."), ("to_status", DealStatus.REJECTED), ("actor_label", "someone else")],
)
def test_editing_an_event_breaks_the_chain_at_that_event(walked_deal, second_deal, field, value):
    tampered = event(walked_deal, 4)
    AuditEvent.objects.filter(pk=tampered.pk).update(**{field: value})
    result = audit_verify()
    assert not result.ok
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem["deal_id"], problem["event_id"], problem["sequence"]) == (walked_deal.pk, tampered.pk, 4)


def test_editing_an_event_and_its_hash_is_caught_by_the_next_link(walked_deal):
    """Rewriting an event's hash to match its new contents still breaks the link from the next event."""
    from deals.audit import _hash_of

    tampered = event(walked_deal, 4)
    tampered.reason = "Nothing to see here."
    AuditEvent.objects.filter(pk=tampered.pk).update(reason=tampered.reason, hash=_hash_of(tampered))
    problem = audit_verify().problems[0]
    assert problem["sequence"] == 5
    assert problem["event_id"] == event(walked_deal, 5).pk


def test_deleting_an_event_with_raw_sql_names_the_gap(walked_deal, second_deal):
    removed = event(walked_deal, 3)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [removed.pk])  # noqa: S608
    result = audit_verify()
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem["deal_id"] == walked_deal.pk
    assert problem["sequence"] == 4
    assert problem["event_id"] == event(walked_deal, 4).pk
    assert "3" in problem["problem"]
    assert "missing" in problem["problem"]


def test_deleting_the_first_event_is_found(walked_deal):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [event(walked_deal, 1).pk])  # noqa: S608
    problem = audit_verify().problems[0]
    assert problem["sequence"] == 2


def test_status_changed_without_an_event_is_reported(walked_deal, second_deal):
    Deal.objects.filter(pk=walked_deal.pk).update(status=DealStatus.ISSUED)
    result = audit_verify()
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem["deal_id"] == walked_deal.pk
    assert problem["event_id"] is None
    assert "issued" in problem["problem"]
    assert "published" in problem["problem"]


def test_verification_of_one_deal_ignores_the_others(walked_deal, second_deal):
    Deal.objects.filter(pk=second_deal.pk).update(status=DealStatus.ISSUED)
    assert audit_verify(deal_ids=[walked_deal.pk]).ok
    assert not audit_verify(deal_ids=[second_deal.pk]).ok


def test_verify_audit_command_reports_an_intact_log(walked_deal, second_deal):
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
    assert "13 events" in out.getvalue()


def test_verify_audit_command_fails_naming_the_first_broken_event(walked_deal, second_deal):
    tampered = event(walked_deal, 6)
    AuditEvent.objects.filter(pk=tampered.pk).update(reason="Approved without review.")
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    message = str(caught.value)
    assert f"deal {walked_deal.pk}" in message
    assert "#6" in message
    assert f"id {tampered.pk}" in message


def test_verify_audit_command_fails_on_a_status_changed_behind_its_back(walked_deal):
    Deal.objects.filter(pk=walked_deal.pk).update(status=DealStatus.DRAFT)
    with pytest.raises(CommandError, match=f"deal {walked_deal.pk}"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())


def test_saving_an_existing_event_is_refused(walked_deal):
    stored = event(walked_deal, 2)
    stored.reason = "rewritten"
    with pytest.raises(RuntimeError):
        stored.save()
    assert event(walked_deal, 2).reason == ""
    assert audit_verify().ok


def test_deleting_an_event_is_refused(walked_deal):
    with pytest.raises(RuntimeError):
        event(walked_deal, 2).delete()
    assert walked_deal.audit_events.count() == 10
    assert audit_verify().ok


def test_refused_moves_leave_no_trace_in_the_log(walked_deal, user_a):
    before = list(walked_deal.audit_events.values_list("hash", flat=True))
    with pytest.raises(DomainError) as caught:
        workflow.deal_submit(deal=walked_deal, actor=user_a)
    assert caught.value.code == "invalid_transition"
    assert list(walked_deal.audit_events.values_list("hash", flat=True)) == before
