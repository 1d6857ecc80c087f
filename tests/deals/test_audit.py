"""The hash-chained audit log: it verifies when intact and names the first event that was tampered with."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from deals import services, workflow
from deals.audit import audit_reason_text, audit_verify
from deals.audit_hash import audit_key, event_hash
from deals.choices import DealStatus
from deals.models import AuditEvent, Deal
from origination.errors import DomainError
from tests.deals.audit_helpers import plain_sha256, rewrite_event, set_deal_row, start_deal, walk_deal
from tests.factories import DataAssetFactory, submittable_deal

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
    return walk_deal(originator=user_a, officer=compliance_user, arranger=arranger_user)


@pytest.fixture
def second_deal(user_b, compliance_user) -> Deal:
    """An untouched deal of another company: tampering with the first must not implicate it."""
    return start_deal(originator=user_b, officer=compliance_user)


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
    """Even with the key, rewriting one event's hash to match its new contents breaks the link from the next event."""
    tampered = event(walked_deal, 4)
    tampered.reason = "Nothing to see here."
    AuditEvent.objects.filter(pk=tampered.pk).update(reason=tampered.reason, hash=event_hash(tampered, key=audit_key()))
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


# --- changes to an editable application ------------------------------------------------------------------------


@pytest.fixture
def edited_deal(user_a, compliance_user) -> Deal:
    """A deal returned for changes on which the originator then changes every kind of part once."""
    deal = submittable_deal(user_a)
    services.deal_update(actor=user_a, deal=deal, tenor_months=48, dscr_trigger=Decimal("1.10"))
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Raise the senior coupon.")
    senior = deal.tranches.get(name="A")
    services.tranche_update(actor=user_a, tranche=senior, coupon=Decimal("0.0250"))
    asset = DataAssetFactory(originator=user_a.originator, name="Toll gantry data")
    stream = services.pool_asset_create(
        actor=user_a, deal=deal, data_assets=[asset], obligor="Guangdong Toll Co.", kind="licence_revenue",
        principal=Decimal("5000000"), maturity_date=dt.date(2029, 6, 30),
    )  # fmt: skip
    services.pool_asset_update(actor=user_a, pool_asset=stream, obligor_city="Guangzhou")
    services.pool_asset_delete(actor=user_a, pool_asset=stream)
    reserve = services.credit_enhancement_create(
        actor=user_a, deal=deal, kind="reserve_account", provider="CCB Trust", amount=Decimal("1000000")
    )
    services.credit_enhancement_update(actor=user_a, credit_enhancement=reserve, amount=Decimal("1500000"))
    pledge = services.pledge_create(actor=user_a, deal=deal, data_asset=asset)
    services.pledge_update(actor=user_a, pledge=pledge, registry_filing_no="PBOC-2026-1", filed_on=dt.date(2026, 11, 1))
    services.pledge_release(actor=user_a, pledge=pledge)
    deal.refresh_from_db()
    return deal


def test_each_change_is_an_event_of_its_own_kind_that_leaves_the_status_where_it_was(edited_deal):
    events = list(edited_deal.audit_events.order_by("sequence"))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", "", "draft"),
        ("terms_updated", "draft", "draft"),
        ("submit", "draft", "submitted"),
        ("start_review", "submitted", "in_review"),
        ("request_changes", "in_review", "changes_requested"),
        ("tranche_changed", "changes_requested", "changes_requested"),
        ("pool_asset_added", "changes_requested", "changes_requested"),
        ("pool_asset_changed", "changes_requested", "changes_requested"),
        ("pool_asset_removed", "changes_requested", "changes_requested"),
        ("credit_enhancement_added", "changes_requested", "changes_requested"),
        ("credit_enhancement_changed", "changes_requested", "changes_requested"),
        ("pledge_added", "changes_requested", "changes_requested"),
        ("pledge_changed", "changes_requested", "changes_requested"),
        ("pledge_released", "changes_requested", "changes_requested"),
    ]
    changes = [e for e in events if e.action not in ("create", "submit", "start_review", "request_changes")]
    assert {e.actor_id for e in changes} == {edited_deal.created_by_id}


def test_changes_keep_the_chain_intact_and_verify_audit_passes(edited_deal, second_deal):
    assert audit_verify().ok
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
    assert f"{14 + 3} events" in out.getvalue()


def test_a_change_is_stored_as_language_neutral_parameters_whatever_the_editors_language(user_a):
    deal = submittable_deal(user_a)
    with translation.override("zh-hans"):
        services.deal_update(actor=user_a, deal=deal, tenor_months=48, trustee="CCB Trust")
    stored = deal.audit_events.get(action="terms_updated").reason
    assert json.loads(stored) == {"changes": {"tenor_months": [36, 48], "trustee": ["", "CCB Trust"]}}
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in stored)  # no Chinese text in the hashed record


def test_a_change_is_rendered_in_the_readers_language(user_a):
    deal = submittable_deal(user_a)
    services.deal_update(actor=user_a, deal=deal, tenor_months=48)
    senior = deal.tranches.get(name="A")
    services.tranche_update(actor=user_a, tranche=senior, target_rating="AA+")
    terms, tranche = deal.audit_events.filter(action__in=["terms_updated", "tranche_changed"]).order_by("sequence")
    assert audit_reason_text(terms.action, terms.reason) == "Changed the terms: Tenor (months) from 36 to 48."
    assert audit_reason_text(tranche.action, tranche.reason) == (
        f"Changed tranche “A” (#{senior.pk}): Target rating from AAA to AA+."
    )
    with translation.override("zh-hans"):
        # The field's name comes from the model's translated verbose name.
        assert "期限（月）" in audit_reason_text(terms.action, terms.reason)


def test_a_refused_change_appends_no_event(user_a):
    deal = submittable_deal(user_a)
    before = list(deal.audit_events.values_list("hash", flat=True))
    with pytest.raises(DomainError):
        services.deal_update(actor=user_a, deal=deal, dscr_trigger=Decimal("1.50"))  # not below the 1.2 ratio
    with pytest.raises(DomainError):
        services.tranche_update(actor=user_a, tranche=deal.tranches.get(name="A"), size=Decimal("-1"))
    assert list(deal.audit_events.values_list("hash", flat=True)) == before
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_a_reason_that_is_not_json_is_shown_as_it_was_stored():
    assert audit_reason_text("tranche_changed", "edited by hand before 2027") == "edited by hand before 2027"
    assert audit_reason_text("request_changes", '{"looks": "like json"}') == '{"looks": "like json"}'


# --- the key: the upgrade that keyed the chains, and rotation ------------------------------------------------------


def test_the_upgrade_keys_every_intact_unkeyed_chain_and_leaves_a_broken_one_named(walked_deal, second_deal):
    """Migration 0011 on chains written before the key: plain SHA-256 chains, no count or head on the deals."""
    for deal in (walked_deal, second_deal):
        rewrite_event(deal, 1, rehash=plain_sha256)
        set_deal_row(deal, audit_event_count=0, audit_head_hash=GENESIS)
    AuditEvent.objects.filter(pk=event(second_deal, 2).pk).update(reason="broken before the upgrade")
    assert not audit_verify(deal_ids=[walked_deal.pk]).ok

    importlib.import_module("deals.migrations.0012_audit_chain_keyed").key_chains(django_apps, None)

    result = audit_verify()
    # The broken chain keeps its plain hashes: re-signing it would have hidden the break.
    assert [(p["deal_id"], p["sequence"]) for p in result.problems] == [(second_deal.pk, 1)]
    assert "plain SHA-256" in result.problems[0]["problem"]
    walked = Deal.objects.get(pk=walked_deal.pk)
    assert (walked.audit_event_count, walked.audit_head_hash) == (10, event(walked_deal, 10).hash)
    assert event(walked_deal, 10).hash == event_hash(event(walked_deal, 10), key=audit_key())


def test_the_upgrade_can_be_reversed_to_plain_sha256(walked_deal):
    importlib.import_module("deals.migrations.0012_audit_chain_keyed").unkey_chains(django_apps, None)
    events = list(walked_deal.audit_events.order_by("sequence"))
    previous = GENESIS
    for stored in events:
        assert stored.hash == plain_sha256(stored, previous)
        previous = stored.hash


def test_rekey_re_signs_the_chains_of_a_previous_key_and_refuses_a_broken_one(walked_deal, second_deal, settings):
    old_key = settings.AUDIT_HMAC_KEY
    AuditEvent.objects.filter(pk=event(second_deal, 2).pk).update(reason="edited under the old key")
    settings.AUDIT_HMAC_KEY = "n" * 64
    assert {p["deal_id"] for p in audit_verify().problems} == {walked_deal.pk, second_deal.pk}

    settings.AUDIT_HMAC_PREVIOUS_KEYS = [old_key]
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=f"first at deal {second_deal.pk}"):
        call_command("verify_audit", rekey=True, stdout=out, stderr=err)

    assert "Re-signed 1 chain(s) (10 events) with the current key; 0 already under it." in out.getvalue()
    assert f"deal {second_deal.pk} not re-signed" in err.getvalue()
    assert audit_verify(deal_ids=[walked_deal.pk]).ok
    assert Deal.objects.get(pk=walked_deal.pk).audit_head_hash == event(walked_deal, 10).hash
    settings.AUDIT_HMAC_KEY = old_key
    assert not audit_verify(deal_ids=[walked_deal.pk]).ok  # the old key no longer signs it
