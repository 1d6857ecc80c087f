"""The three attacks on the audit log by someone who can write the database but does not hold the key.

(a) delete a deal's last events and reset its status; (b) delete a whole chain;
(c) edit an event and recompute the following hashes. Each is tried as a naive
attacker (who leaves the count and head on the deal) and a careful one (who
rewrites them too), and `verify_audit` must name it, with the defence that
catches it (docs/audit.md): the keyed chain, the head on the deal, or the
signed checkpoint.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from deals import workflow
from deals.choices import DealStatus
from deals.models import AuditEvent, Deal
from origination.errors import ConflictError
from tests.deals.audit_helpers import (
    delete_deal,
    delete_events,
    hmac_with,
    plain_sha256,
    rewrite_event,
    set_deal_row,
    start_deal,
    walk_deal,
)

pytestmark = pytest.mark.django_db
GENESIS = "0" * 64


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def walked_deal(user_a, compliance_user, arranger_user) -> Deal:
    """A published deal with 10 events."""
    return walk_deal(originator=user_a, officer=compliance_user, arranger=arranger_user)


@pytest.fixture
def second_deal(user_b, compliance_user) -> Deal:
    """Another company's deal in review (3 events), which no attack touches."""
    return start_deal(originator=user_b, officer=compliance_user)


@pytest.fixture
def checkpoint(tmp_path, walked_deal, second_deal):
    """The path of a checkpoint exported while both chains were intact."""
    path = tmp_path / "checkpoint.json"
    call_command("verify_audit", export=str(path), stdout=io.StringIO())
    return path


def verify(**options) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Run verify_audit; (stdout, stderr) if it passes."""
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def refused(**options) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Run verify_audit expecting it to fail; (its error message, every line it printed on stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", stdout=io.StringIO(), stderr=err, **options)
    return str(caught.value), err.getvalue()


def event(deal: Deal, sequence: int) -> AuditEvent:
    return AuditEvent.objects.get(deal=deal, sequence=sequence)


def truncate_to(deal: Deal, length: int, *, careful: bool) -> None:
    """Attack (a): delete the events after `length`, and put the deal back in the status the log now ends at."""
    last = event(deal, length)
    delete_events(deal, from_sequence=length + 1)
    columns: dict[str, object] = {"status": last.to_status}
    if careful:
        columns |= {"audit_event_count": length, "audit_head_hash": last.hash}
    set_deal_row(deal, **columns)


# --- (a) the last events deleted and the status reset ------------------------------------------------------------


def test_truncated_log_with_status_reset_is_named_by_the_count_on_the_deal(walked_deal, second_deal):
    truncate_to(walked_deal, 8, careful=False)
    assert Deal.objects.get(pk=walked_deal.pk).status == DealStatus.VALUING  # what event #8 moved it to

    message, lines = refused()

    assert f"deal {walked_deal.pk}" in message
    assert "the deal records 10 audit events but its log ends at #8: events #9-#10 are missing" in message
    assert f"deal {second_deal.pk}" not in lines


def test_careful_truncation_that_rewrites_the_deal_row_is_named_only_by_the_checkpoint(
    walked_deal, second_deal, checkpoint
):
    truncate_to(walked_deal, 8, careful=True)

    # The limit of what the database alone can prove: every prefix of a chain was once a valid chain.
    out, _err = verify()
    assert "Audit log intact: 11 events across 2 deals" in out

    message, lines = refused(checkpoint=str(checkpoint))
    exported_at = json.loads(checkpoint.read_text())["exported_at"]
    assert f"deal {walked_deal.pk}" in message
    assert f"8 audit events where the checkpoint of {exported_at} recorded 10: events #9-#10 are gone since" in message
    assert f"deal {second_deal.pk}" not in lines


# --- (b) a whole chain deleted -------------------------------------------------------------------------------------


def test_a_deleted_chain_under_a_remaining_deal_is_named_by_its_count(walked_deal, second_deal):
    delete_events(walked_deal)
    set_deal_row(walked_deal, status=DealStatus.DRAFT)

    message, _lines = refused()

    assert f"deal {walked_deal.pk}" in message
    assert "the deal records 10 audit events but none remain: its whole audit log was deleted" in message


def test_a_deleted_chain_with_the_deal_row_reset_is_named_twice(walked_deal, second_deal, checkpoint):
    delete_events(walked_deal)
    set_deal_row(walked_deal, status=DealStatus.DRAFT, audit_event_count=0, audit_head_hash=GENESIS)

    message, _lines = refused()
    assert f"deal {walked_deal.pk}" in message
    assert "has no audit event at all, though every deal's log begins when it is created" in message

    message, lines = refused(checkpoint=str(checkpoint))
    assert "0 audit events where the checkpoint of" in lines
    assert "recorded 10: events #1-#10 are gone since" in lines


def test_a_deal_deleted_with_its_chain_is_named_by_the_checkpoint_as_vanished(walked_deal, second_deal, checkpoint):
    walked_pk = walked_deal.pk
    delete_deal(walked_deal)
    assert not Deal.objects.filter(pk=walked_pk).exists()

    out, _err = verify()  # the database alone has nothing left to compare
    assert "Audit log intact: 3 events across 1 deals" in out

    message, _lines = refused(checkpoint=str(checkpoint))
    assert f"deal {walked_pk}, the checkpoint: the deal vanished" in message
    assert "recorded it with 10 audit events, and neither it nor its log exists now" in message


# --- (c) an event edited and the following hashes recomputed -------------------------------------------------------


@pytest.mark.parametrize("careful", [False, True])
def test_an_event_edited_and_rehashed_with_plain_sha256_fails_the_hmac(walked_deal, second_deal, careful):
    head = rewrite_event(walked_deal, 6, rehash=plain_sha256, reason="Approved after a full review.")
    if careful:
        set_deal_row(walked_deal, audit_head_hash=head)
    edited = event(walked_deal, 6)
    assert edited.reason == "Approved after a full review."
    assert event(walked_deal, 7).prev_hash == edited.hash  # the links are consistent

    message, _lines = refused()

    assert f"deal {walked_deal.pk}, event #6 (id {edited.pk})" in message
    assert "its hash is a plain SHA-256 of its contents, not the HMAC of the audit key" in message
    assert "someone who does not hold the key" in message


def test_an_event_rehashed_with_a_guessed_key_is_named_as_edited(walked_deal, settings):
    head = rewrite_event(walked_deal, 3, rehash=hmac_with(settings.SECRET_KEY.encode()), actor_label="Nobody")
    set_deal_row(walked_deal, audit_head_hash=head)

    message, _lines = refused()

    assert f"event #3 (id {event(walked_deal, 3).pk})" in message
    assert "its contents do not match its keyed hash (the event was edited)" in message


# --- the checkpoint itself -----------------------------------------------------------------------------------------


def test_a_checkpoint_holds_each_deals_count_and_head_and_is_signed(walked_deal, second_deal, checkpoint):
    document = json.loads(checkpoint.read_text())
    heads = {entry["deal_id"]: entry for entry in document["deals"]}
    assert set(heads) == {walked_deal.pk, second_deal.pk}
    assert heads[walked_deal.pk]["event_count"] == 10
    assert heads[walked_deal.pk]["head_hash"] == event(walked_deal, 10).hash
    assert heads[walked_deal.pk]["head_at"].startswith(event(walked_deal, 10).created_at.date().isoformat())
    assert len(document["signature"]) == 64
    out, _err = verify(checkpoint=str(checkpoint))
    assert f"nothing lost or changed since the checkpoint of {document['exported_at']}" in out


def test_a_log_that_grew_since_the_checkpoint_still_matches_it(walked_deal, second_deal, checkpoint, user_b):
    workflow.deal_withdraw(deal=second_deal, actor=user_b, reason="The pool changed.")
    out, _err = verify(checkpoint=str(checkpoint))
    assert "Audit log intact: 14 events across 2 deals" in out


def test_a_log_rewritten_under_the_checkpoints_count_is_named_by_the_checkpoint_too(walked_deal, checkpoint):
    rewrite_event(walked_deal, 9, rehash=plain_sha256, reason="Valued twice.")
    _message, lines = refused(checkpoint=str(checkpoint))
    assert "event #9" in lines  # the chain
    assert "event #10 is not the head the checkpoint of" in lines
    assert "the log up to #10 was rewritten since" in lines


def test_an_edited_checkpoint_is_refused(checkpoint):
    document = json.loads(checkpoint.read_text())
    document["deals"][0]["event_count"] -= 2  # hide the last two events from the comparison
    checkpoint.write_text(json.dumps(document))
    message, _lines = refused(checkpoint=str(checkpoint))
    assert "refused: its signature does not match its contents: the file was altered after it was exported" in message


def test_a_checkpoint_signed_with_another_key_is_refused(checkpoint, settings):
    settings.AUDIT_HMAC_KEY = "k" * 64
    message, _lines = refused(checkpoint=str(checkpoint))
    assert "it was signed with another audit key" in message


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path, walked_deal):
    path = tmp_path / "notes.json"
    path.write_text("not json at all")
    message, _lines = refused(checkpoint=str(path))
    assert f"Checkpoint {path} refused: it is not JSON" in message
    path.write_text(json.dumps({"deals": []}))
    message, _lines = refused(checkpoint=str(path))
    assert "not an audit checkpoint" in message


def test_no_checkpoint_is_taken_of_a_broken_log_and_none_is_overwritten(tmp_path, walked_deal, checkpoint):
    before = checkpoint.read_text()
    message, _lines = refused(export=str(checkpoint))
    assert "exists: a checkpoint is never overwritten" in message
    assert checkpoint.read_text() == before

    truncate_to(walked_deal, 8, careful=False)
    fresh = tmp_path / "fresh.json"
    message, _lines = refused(export=str(fresh))
    assert "No checkpoint was written." in message
    assert not fresh.exists()


def test_verify_against_the_last_checkpoint_and_export_the_next_in_one_run(tmp_path, walked_deal, checkpoint):
    tonight = tmp_path / "tonight.json"
    out, _err = verify(checkpoint=str(checkpoint), export=str(tonight))
    assert "nothing lost or changed since the checkpoint" in out
    assert f"Checkpoint of 2 deals at {json.loads(tonight.read_text())['exported_at']} written to {tonight}" in out


# --- the head on the deal is written by the log alone --------------------------------------------------------------


def test_appending_to_a_log_whose_tail_was_deleted_is_refused_and_changes_nothing(walked_deal, arranger_user):
    truncate_to(walked_deal, 9, careful=False)  # back to 'valued'
    with pytest.raises(ConflictError) as caught:
        workflow.deal_publish(deal=walked_deal, actor=arranger_user)
    assert caught.value.code == "audit_log_broken"
    assert caught.value.status_code == 409
    deal = Deal.objects.get(pk=walked_deal.pk)
    assert deal.status == DealStatus.VALUED
    assert (deal.audit_event_count, walked_deal.audit_events.count()) == (10, 9)  # the evidence stays


def test_the_deal_records_its_chains_count_and_head(walked_deal, second_deal):
    walked = Deal.objects.get(pk=walked_deal.pk)
    assert walked.audit_event_count == 10
    assert walked.audit_head_hash == event(walked_deal, 10).hash
    assert Deal.objects.get(pk=second_deal.pk).audit_event_count == 3


def test_saving_a_stale_copy_of_the_deal_does_not_roll_its_head_back(user_b, second_deal):
    stale = Deal.objects.get(pk=second_deal.pk)
    workflow.deal_withdraw(deal=second_deal, actor=user_b, reason="The pool changed.")
    stale.trustee = "CCB Trust"
    stale.save()
    saved = Deal.objects.get(pk=second_deal.pk)
    assert saved.trustee == "CCB Trust"
    assert saved.audit_event_count == 4
    assert saved.audit_head_hash == event(second_deal, 4).hash
