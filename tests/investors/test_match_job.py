"""The matching job end to end on the database: stored pairs, scope replacement, and the investor's pages."""

import datetime
import struct
import threading
from decimal import Decimal

import numpy as np
import pytest
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from deals.models import Tranche
from investors import match_jobs
from investors.matching_rules import RULE_BITS
from investors.models import Match, MatchRun
from origination.jobs import JobStatus
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


@pytest.fixture
def match_request(django_capture_on_commit_callbacks):
    """Queue a run and let its after-commit enqueue fire (jobs run in-process in tests)."""

    def _run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return match_jobs.match_request(**kwargs)

    return _run


def _published_deal(*, rating="AAA", risk="R2", stability=85.0, coupon="0.0210", tenor=36):
    deal = DealFactory(status="published", target_size=100 * M, tenor_months=tenor)
    tranche = Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=90 * M, coupon=Decimal(coupon), target_rating=rating,
        payment_priority=1, product_risk_level=risk,
        product_risk_factors={"inputs": {"rating": rating, "stability_score": stability, "data_share": 0.9,
                                         "guarantee_dependence": 0.1, "suggested_coupon": float(coupon)}},
    )  # fmt: skip
    return deal, tranche


def _investor(name, **limits):
    investor = InvestorFactory(name=name)
    defaults = {"risk_tolerance": "C3", "min_rating": "AA", "max_tenor_months": 60, "min_coupon": Decimal("0.018"),
                "ticket_min": M, "ticket_max": 500 * M, "max_guarantee_dependence": Decimal("0.5")}  # fmt: skip
    RiskProfileFactory(investor=investor, **{**defaults, **limits})
    return investor


def test_full_run_stores_eligible_pairs_and_warnings_but_not_near_misses(match_request):
    _deal, tranche = _published_deal()
    fits = _investor("Fits")
    cautious = _investor("Cautious", risk_tolerance="C1")  # R2 > C1: fails only on risk level
    strict = _investor("Strict", min_rating="AAA", max_tenor_months=24)  # tenor 36 > 24: one rule, a near miss
    far = _investor("Far", max_tenor_months=12, min_coupon=Decimal("0.05"))  # two rules
    before = timezone.now()
    run = match_request()
    after = timezone.now()
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, run.error
    assert run.result["pairs_scored"] == 4
    assert (run.result["stored"], run.result["eligible"]) == (2, 1)
    stored = {m.investor_id: m for m in Match.objects.filter(tranche=tranche)}
    assert set(stored) == {fits.pk, cautious.pk}
    assert strict.pk not in stored  # a near miss: shown live on the investor's page, not stored
    assert far.pk not in stored
    assert stored[fits.pk].eligible
    assert stored[fits.pk].failed_rules == 0
    assert not stored[cautious.pk].eligible
    assert stored[cautious.pk].failed_rules == RULE_BITS["risk_level"]
    # By hand, in points: yield (2.10 % - 1.80 %) / 1 % x 25 = 7.5; rating AAA two notches over AA, 2/3 x 20;
    # tenor 36/60 x 10 = 6; stability 85 % of 20 = 17; data 0.9 x (1 - 0.1) x 15 = 12.15; size 90/500 x 10 = 1.8.
    assert stored[fits.pk].score == pytest.approx(7.5 + 40 / 3 + 6 + 17 + 12.15 + 1.8, abs=1e-3)
    assert stored[fits.pk].run_id == run.pk
    assert before <= stored[fits.pk].computed_at <= after


def test_deal_scope_replaces_only_that_deals_matches(match_request):
    _deal_one, tranche_one = _published_deal()
    deal_two, tranche_two = _published_deal()
    investor = _investor("Fits")
    match_request()
    first_two = Match.objects.get(tranche=tranche_two)
    assert Match.objects.get(tranche=tranche_one, investor=investor).eligible
    Tranche.objects.filter(pk=tranche_one.pk).update(coupon=Decimal("0.0100"))  # now below the 1.80 % minimum
    match_request(scope=MatchRun.Scope.DEAL, scope_id=tranche_one.deal_id)
    assert not Match.objects.filter(tranche=tranche_one, investor=investor).exists()  # now a near miss: not stored
    assert Match.objects.get(tranche=tranche_two).pk == first_two.pk  # untouched


def test_unpublished_deals_are_never_matched(match_request):
    deal, tranche = _published_deal()
    deal.status = "valued"
    deal.save()
    _investor("Fits")
    match_request()
    assert not Match.objects.exists()


def test_investor_sees_reasons_and_the_change_that_would_make_a_near_miss_eligible(client, match_request):
    deal, _tranche = _published_deal()
    strict = _investor("Strict", max_tenor_months=24)
    match_request()
    assert not Match.objects.filter(investor=strict).exists()
    client.force_login(investor_user(strict))
    page = client.get(reverse("product_list")).content.decode()
    assert deal.name in page
    assert "Near misses" in page
    assert "Eligible if your maximum tenor were 36 months." in page
    product = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert "Eligible if your maximum tenor were 36 months." in product
    assert "Register interest" not in product


def test_a_product_failing_two_rules_or_a_privacy_rule_is_no_near_miss(client, match_request):
    _published_deal()
    far = _investor("Far", max_tenor_months=12, min_coupon=Decimal("0.05"))
    match_request()
    client.force_login(investor_user(far))
    page = client.get(reverse("product_list")).content.decode()
    assert "Near misses" not in page
    assert "No product on the market fits every rule of your mandate yet." in page


def test_a_near_miss_appears_on_the_page_as_soon_as_the_product_is_published(client):
    deal, _tranche = _published_deal()
    strict = _investor("Strict", max_tenor_months=24)  # no matching run yet: the near miss is computed live
    client.force_login(investor_user(strict))
    page = client.get(reverse("product_list")).content.decode()
    assert deal.name in page
    assert "Eligible if your maximum tenor were 36 months." in page


def test_a_product_above_the_investors_level_shows_the_warning_until_confirmed(client, match_request):
    deal, tranche = _published_deal(risk="R3")
    user = investor_user(_investor("Cautious", risk_tolerance="C2"))
    match_request()
    client.force_login(user)
    page = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert "Special risk warning" in page
    assert "Register interest" not in page
    client.post(reverse("product_confirm_warning", args=[deal.pk, tranche.pk]), {"confirm": "yes"})
    page = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert "Special risk warning" not in page
    assert "Register interest" in page


def test_publishing_a_deal_and_changing_a_profile_trigger_matching(django_capture_on_commit_callbacks, arranger_user):
    from deals.workflow import deal_publish
    from investors.services import risk_profile_update_limits

    deal, tranche = _published_deal()
    deal.status = "valued"
    deal.save()
    investor = _investor("Fits")
    with django_capture_on_commit_callbacks(execute=True):
        deal_publish(deal=deal, actor=arranger_user)
    run = MatchRun.objects.get()
    assert (run.scope, run.scope_id, run.status) == ("deal", deal.pk, "succeeded")
    assert Match.objects.get(tranche=tranche, investor=investor).eligible

    with django_capture_on_commit_callbacks(execute=True):
        risk_profile_update_limits(
            actor=investor_user(investor), risk_profile=investor.risk_profile, max_tenor_months=24
        )
    run = MatchRun.objects.latest("pk")
    assert (run.scope, run.scope_id, run.status) == ("investor", investor.pk, "succeeded")
    assert not Match.objects.filter(tranche=tranche, investor=investor).exists()  # a near miss now: not stored


def test_binary_copy_rows_follow_postgresqls_binary_format():
    pairs = match_jobs.KeptPairs(
        investor_id=np.array([7, 9]), tranche_id=np.array([11, 12]), deal_id=np.array([3, 3]),
        score=np.array([87.5, 61.25]), failed_rules=np.array([0, RULE_BITS["risk_level"]], dtype=np.uint16),
    )  # fmt: skip
    at = datetime.datetime(2000, 1, 1, 0, 0, 1, 500_000, tzinfo=datetime.UTC)
    stamp = match_jobs.pg_timestamp(at)
    assert stamp == 1_500_000  # microseconds since 2000-01-01 UTC

    def row(investor, tranche, deal, score, failed, eligible):  # each field: int32 length, then the value
        return (struct.pack(">h", 8) + struct.pack(">iq", 8, investor) + struct.pack(">iq", 8, tranche)
                + struct.pack(">iq", 8, deal) + struct.pack(">id", 8, score) + struct.pack(">ih", 2, failed)
                + struct.pack(">iB", 1, eligible) + struct.pack(">iq", 8, 42) + struct.pack(">iq", 8, 1_500_000))  # fmt: skip

    expected = row(7, 11, 3, 87.5, 0, 1) + row(9, 12, 3, 61.25, 1, 0)
    assert match_jobs.copy_binary_rows(pairs, run_id=42, computed_at=stamp) == expected
    assert b"PGCOPY\n\xff\r\n\x00" + bytes(8) == match_jobs.COPY_HEADER
    assert match_jobs.COPY_TRAILER == b"\xff\xff"


def _fail_after_first_block(monkeypatch):
    real = match_jobs.iter_kept_pairs

    def failing(**kwargs):
        yield next(real(block_investors=1, **kwargs))  # one investor a block: the first is written, then it fails
        raise RuntimeError("worker lost mid-write")

    monkeypatch.setattr(match_jobs, "iter_kept_pairs", failing)


def test_a_full_run_that_fails_midway_leaves_the_previous_matches_whole(match_request, monkeypatch):
    _deal, tranche = _published_deal()
    investors = [_investor(f"Fits {i}") for i in range(3)]
    match_request()
    before = set(Match.objects.values_list("pk", "investor_id", "score"))
    assert len(before) == 3
    Tranche.objects.filter(pk=tranche.pk).update(coupon=Decimal("0.0300"))  # every score would change
    _fail_after_first_block(monkeypatch)
    with pytest.raises(RuntimeError):
        match_request()
    assert MatchRun.objects.latest("pk").status == JobStatus.FAILED
    assert set(Match.objects.values_list("pk", "investor_id", "score")) == before
    assert {m.investor_id for m in Match.objects.all()} == {i.pk for i in investors}


def _match_table_schema():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'investors_match'")
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'investors_match'::regclass"
        )
        return indexes, set(cursor.fetchall())


@pytest.mark.postgres
def test_a_full_run_on_postgresql_rebuilds_exactly_the_indexes_and_constraints_it_had(match_request, monkeypatch):
    _published_deal()
    _investor("Fits")
    schema = _match_table_schema()
    assert any("UNIQUE (tranche_id, investor_id)" in definition for _name, definition in schema[1])
    match_request()
    assert _match_table_schema() == schema
    _fail_after_first_block(monkeypatch)
    with pytest.raises(RuntimeError):
        match_request()
    assert _match_table_schema() == schema  # the dropped indexes come back with the rollback
    assert Match.objects.count() == 1


def _pause_once_after_first_block(monkeypatch, halfway, resume):
    real, calls = match_jobs.iter_kept_pairs, []

    def pausing(**kwargs):
        calls.append(1)
        blocks = real(block_investors=2, **kwargs)
        if len(calls) > 1:  # only the first run pauses
            yield from blocks
            return
        yield next(blocks)
        halfway.set()
        assert resume.wait(timeout=20)
        yield from blocks

    monkeypatch.setattr(match_jobs, "iter_kept_pairs", pausing)


def _count_within(timeout_ms: int) -> int | None:
    """The number of matches a reader sees now, or None when it would have to wait for the running job."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{timeout_ms}ms'")
            return Match.objects.count()
    except OperationalError:
        return None


def _two_tranche_deal():
    deal, _tranche = _published_deal()
    Tranche.objects.create(
        deal=deal, name="B", tranche_class="senior", size=5 * M, coupon=Decimal("0.0210"), target_rating="AAA",
        payment_priority=2, product_risk_level="R2",
        product_risk_factors={"inputs": {"rating": "AAA", "stability_score": 85.0, "data_share": 0.9,
                                         "guarantee_dependence": 0.1, "suggested_coupon": 0.021}},
    )  # fmt: skip
    return deal


def _in_thread(run_id, errors):
    def job():
        try:
            match_jobs.match_execute(run_id=run_id)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=job)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("scope", "seen_meanwhile"), [("all", None), ("deal", 2)])
def test_a_reader_sees_the_old_matches_or_the_new_ones_never_half(monkeypatch, scope, seen_meanwhile):
    """Scope all: TRUNCATE makes readers wait for the commit. Scope deal: readers see the old set meanwhile."""
    deal = _two_tranche_deal()
    _investor("Fits")
    match_jobs.match_execute(run_id=MatchRun.objects.create(scope=scope, scope_id=deal.pk).pk)
    assert Match.objects.count() == 2
    for i in range(5):
        _investor(f"Newcomer {i}")  # the next run stores 2 x 6 = 12 rows, in blocks of 2 investors
    halfway, resume = threading.Event(), threading.Event()
    _pause_once_after_first_block(monkeypatch, halfway, resume)
    errors = []
    worker = _in_thread(MatchRun.objects.create(scope=scope, scope_id=deal.pk).pk, errors)
    try:
        assert halfway.wait(timeout=20)
        assert _count_within(300) == seen_meanwhile
    finally:
        resume.set()
        worker.join(timeout=30)
    assert not errors
    assert Match.objects.count() == 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deals_run_and_an_investors_run_at_once_both_succeed(monkeypatch):
    deal = _two_tranche_deal()
    fits = _investor("Fits")
    for i in range(3):
        _investor(f"Other {i}")
    match_jobs.match_execute(run_id=MatchRun.objects.create(scope="all").pk)
    halfway, resume = threading.Event(), threading.Event()
    _pause_once_after_first_block(monkeypatch, halfway, resume)
    errors = []
    deal_run = MatchRun.objects.create(scope="deal", scope_id=deal.pk)
    investor_run = MatchRun.objects.create(scope="investor", scope_id=fits.pk)
    first = _in_thread(deal_run.pk, errors)
    try:
        assert halfway.wait(timeout=20)  # the deal's run has deleted and is rewriting the pairs, Fits's among them
        second = _in_thread(investor_run.pk, errors)
        for _ in range(200):  # until the investor's run waits for the deal's
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
            threading.Event().wait(0.05)
    finally:
        resume.set()
        first.join(timeout=30)
    second.join(timeout=30)
    assert not errors
    deal_run.refresh_from_db()
    investor_run.refresh_from_db()
    assert (deal_run.status, investor_run.status) == (JobStatus.SUCCEEDED, JobStatus.SUCCEEDED)
    assert Match.objects.filter(investor=fits).count() == 2
    assert Match.objects.count() == 8


def test_no_warning_opens_a_product_that_also_fails_the_mandate(client, match_request):
    deal, _tranche = _published_deal(risk="R4", rating="A")
    user = investor_user(_investor("Cautious", risk_tolerance="C2", min_rating="AA"))
    match_request()
    client.force_login(user)
    page = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert "Special risk warning" not in page
    assert "Register interest" not in page
    assert "Rated A, below your minimum AA." in page
