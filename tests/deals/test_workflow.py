"""The deal workflow: every move, from every state, by every role, through the one move function.

The expected answers come from TRANSITIONS, written out here by hand from the product's rules (README.md's roles
and walk-through, docs/frozen_facts.md's reopening), not read from deals/choices.py: a change to the workflow has
to change this table too, and deals/choices.py must say exactly the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import translation

from deals import workflow
from deals.audit import audit_append, audit_verify
from deals.choices import ALLOWED_TRANSITIONS, DealStatus, PledgeStatus, PoolAssetKind, TrancheClass
from deals.models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche, ValuationRun
from deals.services import pledge_create
from origination.errors import DomainError
from origination.models import User
from tests.deals.compliance.helpers import pass_review
from tests.factories import DataAssetFactory, DealFactory, add_monthly_revenue, register_rights, submittable_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; another test may leave a different language active."""
    with translation.override("en"):
        yield


REASON = "The PIPIA does not cover the third-party provision."

# Who acts, by the fixture that builds them; "system" is a worker (actor=None).
ROLES = ["own_originator", "other_originator", "compliance", "investor", "arranger", "system"]
ROLE_FIXTURES = {
    "own_originator": "user_a",
    "other_originator": "user_b",
    "compliance": "compliance_user",
    "investor": "investor_staff",
    "arranger": "arranger_user",
}
# The workflow role each actor holds (what ALLOWED_TRANSITIONS lists in `roles`).
WORKFLOW_ROLE = {
    "own_originator": "originator",
    "other_originator": "originator",
    "compliance": "compliance",
    "investor": "investor",
    "arranger": "arranger",
    "system": "system",
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made by the hundred here; the production hasher would make this file take minutes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def actor_for(request):
    """`actor_for(role)`: the user who acts in that role (None for the system)."""

    def _actor(role: str) -> User | None:
        return None if role == "system" else request.getfixturevalue(ROLE_FIXTURES[role])

    return _actor


def deal_in(status: str, owner: User) -> Deal:
    """A deal of `owner`'s company standing in `status`, complete enough to submit, with its creation event."""
    deal = DealFactory(originator=owner.originator, created_by=owner, status=status, target_size=Decimal("1000000.00"))
    audit_append(
        deal=deal, actor=owner, actor_label="alice", action="create", from_status="", to_status=status, reason=""
    )
    asset = DataAssetFactory(originator=owner.originator)
    register_rights(asset)
    add_monthly_revenue(asset, 12)
    pool_asset = PoolAsset.objects.create(
        deal=deal,
        obligor=owner.originator.name,
        kind=PoolAssetKind.LICENCE_REVENUE,
        principal=Decimal("1000000.00"),
        maturity_date=dt.date(2029, 12, 31),
    )
    pool_asset.data_assets.add(asset)
    Tranche.objects.create(
        deal=deal, name="A", tranche_class=TrancheClass.SENIOR, size=Decimal("1000000.00"), payment_priority=1
    )
    return deal


STATUSES = {
    "draft", "submitted", "in_review", "changes_requested", "rejected", "compliance_approved", "valuing", "valued",
    "published", "book_building", "issued", "withdrawn",
}  # fmt: skip
# Before issue, a deal that was neither rejected nor withdrawn may still be withdrawn by its originator.
BEFORE_ISSUE = {
    "draft", "submitted", "in_review", "changes_requested", "compliance_approved", "valuing", "valued", "published",
    "book_building",
}  # fmt: skip


@dataclass(frozen=True)
class Expected:
    """One move as the product describes it."""

    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    reason_required: bool


def move(sources: set[str], target: str, roles: set[str], *, reason: bool = False) -> Expected:
    return Expected(frozenset(sources), target, frozenset(roles), reason)


# Every move: from which states, to which, who may make it ("system" is a worker or the platform), and whether the
# actor must say why.
TRANSITIONS: dict[str, Expected] = {
    # The originator files a complete application, first or after changes were asked for.
    "submit": move({"draft", "changes_requested"}, "submitted", {"originator"}),
    # The compliance officer takes it into review, then asks for changes, rejects or approves it.
    "start_review": move({"submitted"}, "in_review", {"compliance"}),
    "request_changes": move({"in_review"}, "changes_requested", {"compliance"}, reason=True),
    "reject": move({"in_review"}, "rejected", {"compliance"}, reason=True),
    "approve": move({"in_review"}, "compliance_approved", {"compliance"}),
    # The arranger starts the valuation (or the platform does); only the worker records it done; a failure, recorded
    # by the worker or the arranger with its reason, sends the deal back to approved for a retry.
    "start_valuation": move({"compliance_approved"}, "valuing", {"arranger", "system"}),
    "complete_valuation": move({"valuing"}, "valued", {"system"}),
    "fail_valuation": move({"valuing"}, "compliance_approved", {"arranger", "system"}, reason=True),
    # The arranger takes the valued deal to investors, opens the book and issues.
    "publish": move({"valued"}, "published", {"arranger"}),
    "open_book": move({"published"}, "book_building", {"arranger"}),
    "issue": move({"book_building"}, "issued", {"arranger"}),
    # The originator may withdraw its deal at any point before issue, saying why.
    "withdraw": move(BEFORE_ISSUE, "withdrawn", {"originator"}, reason=True),
    # A fact the deal relies on changed after compliance took it up: the platform alone sends it back to the review
    # queue, naming the change (docs/frozen_facts.md).
    "reopen_review": move(
        {"in_review", "compliance_approved", "valuing", "valued", "published", "book_building"},
        "submitted",
        {"system"},
        reason=True,
    ),
}


def test_the_workflow_is_the_products_table():
    assert set(DealStatus.values) == STATUSES
    assert {
        action: Expected(frozenset(t.sources), t.target, frozenset(t.roles), t.reason_required)
        for action, t in ALLOWED_TRANSITIONS.items()
    } == TRANSITIONS
    assert all(action == t.action for action, t in ALLOWED_TRANSITIONS.items())


def expected_outcome(action: str, status: str, role: str) -> str:
    """What the table says should happen: 'ok', 'forbidden' (wrong role or company) or 'invalid_transition'."""
    expected = TRANSITIONS[action]
    if WORKFLOW_ROLE[role] not in expected.roles or role == "other_originator":
        return "forbidden"
    if status not in expected.sources:
        return "invalid_transition"
    return "ok"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", sorted(STATUSES))
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_move_from_every_state_by_every_role(action, status, role, user_a, actor_for):
    deal = deal_in(status, user_a)
    actor = actor_for(role)
    events_before = list(deal.audit_events.order_by("sequence").values_list("pk", "hash"))
    expected = expected_outcome(action, status, role)
    target = TRANSITIONS[action].target

    offered = {t.action for t in workflow.available_transitions(deal=deal, actor=actor)}
    assert (action in offered) == (expected == "ok")

    if expected == "ok":
        if action == "approve":
            pass_review(deal, officer=actor)  # approval needs every condition precedent closed
        moved = workflow.deal_move(deal=deal, action=action, actor=actor, reason=REASON)
        deal.refresh_from_db()
        assert moved.status == target
        assert deal.status == target
        events = list(deal.audit_events.order_by("sequence"))
        assert [(e.pk, e.hash) for e in events[:-1]] == events_before
        assert len(events) == len(events_before) + 1
        last = events[-1]
        assert (last.action, last.from_status, last.to_status, last.reason) == (action, status, target, REASON)
        assert last.actor == actor
        assert audit_verify(deal_ids=[deal.pk]).ok
        # A deal is never valuing without the run that values it.
        queued = ValuationRun.objects.filter(deal=deal, status="queued")
        assert queued.count() == (1 if target == "valuing" else 0)
    else:
        with pytest.raises(DomainError) as caught:
            workflow.deal_move(deal=deal, action=action, actor=actor, reason=REASON)
        assert caught.value.code == expected
        assert caught.value.status_code == (403 if expected == "forbidden" else 409)
        deal.refresh_from_db()
        assert deal.status == status
        assert list(deal.audit_events.order_by("sequence").values_list("pk", "hash")) == events_before
        assert not ValuationRun.objects.filter(deal=deal).exists()


def test_system_actor_is_recorded_as_system(arranger_user, user_a):
    deal = deal_in(DealStatus.VALUING, user_a)
    workflow.deal_complete_valuation(deal=deal)
    event = deal.audit_events.order_by("-sequence").first()
    assert event.actor is None
    assert event.actor_label == "system"


def test_unknown_action_is_refused_and_changes_nothing(user_a):
    deal = deal_in(DealStatus.DRAFT, user_a)
    with pytest.raises(DomainError) as caught:
        workflow.deal_move(deal=deal, action="teleport", actor=user_a)
    assert caught.value.code == "unknown_action"
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT
    assert deal.audit_events.count() == 1


# --- submit preconditions -------------------------------------------------------------------------


def _assert_submit_refused(deal: Deal, actor: User, field: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        workflow.deal_submit(deal=deal, actor=actor)
    assert caught.value.code == "preconditions_not_met"
    assert field in caught.value.fields
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT
    assert deal.audit_events.count() == 1
    return caught.value


def test_submit_refused_when_the_pool_has_no_data_asset(user_a):
    deal = submittable_deal(user_a)
    for pool_asset in deal.pool_assets.all():
        pool_asset.data_assets.clear()
    error = _assert_submit_refused(deal, user_a, "pool")
    assert set(error.fields) == {"pool"}


def test_submit_refused_with_eleven_months_of_revenue(user_a):
    deal = submittable_deal(user_a, months=11)
    error = _assert_submit_refused(deal, user_a, "revenue")
    assert set(error.fields) == {"revenue"}
    assert "11" in error.fields["revenue"]


def test_submit_accepted_with_twelve_months_of_revenue(user_a):
    deal = submittable_deal(user_a, months=12)
    deal = workflow.deal_submit(deal=deal, actor=user_a)
    assert deal.status == DealStatus.SUBMITTED


def test_revenue_months_count_distinct_periods_across_the_pool(user_a):
    """Two assets with the same six months are six months of history, not twelve."""
    deal = submittable_deal(user_a, months=0)
    pool_asset = deal.pool_assets.get()
    first = pool_asset.data_assets.get()
    second = DataAssetFactory(originator=user_a.originator)
    pool_asset.data_assets.add(second)
    add_monthly_revenue(first, 6)
    add_monthly_revenue(second, 6)
    _assert_submit_refused(deal, user_a, "revenue")
    add_monthly_revenue(second, 6, start=dt.date(2023, 7, 1))
    assert workflow.deal_submit(deal=deal, actor=user_a).status == DealStatus.SUBMITTED


def test_submit_refused_when_tranches_do_not_add_up_to_the_deal_size(user_a):
    deal = submittable_deal(user_a, size=Decimal("100000000.00"))
    Tranche.objects.filter(deal=deal, name="Sub").update(size=Decimal("9999999.99"))
    error = _assert_submit_refused(deal, user_a, "tranches")
    assert set(error.fields) == {"tranches"}


def test_submit_refused_without_tranches(user_a):
    deal = submittable_deal(user_a)
    Tranche.objects.filter(deal=deal).delete()
    _assert_submit_refused(deal, user_a, "tranches")


def test_submit_names_every_missing_precondition_at_once(user_a):
    deal = submittable_deal(user_a)
    deal.pool_assets.all().delete()
    Tranche.objects.filter(deal=deal).delete()
    error = _assert_submit_refused(deal, user_a, "pool")
    assert set(error.fields) == {"pool", "tranches"}


def test_resubmission_after_changes_requested_checks_preconditions_again(user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason=REASON)
    Tranche.objects.filter(deal=deal, name="Sub").delete()
    with pytest.raises(DomainError) as caught:
        workflow.deal_submit(deal=deal, actor=user_a)
    assert caught.value.code == "preconditions_not_met"
    assert "tranches" in caught.value.fields
    deal.refresh_from_db()
    assert deal.status == DealStatus.CHANGES_REQUESTED


# --- impossible deals are stopped at submission ---------------------------------------------------------------


def _refused(deal: Deal, actor: User) -> dict[str, str]:
    """Submit, expect a refusal that moves nothing and records nothing; the problems by key."""
    events = deal.audit_events.count()
    with pytest.raises(DomainError) as caught:
        workflow.deal_submit(deal=deal, actor=actor)
    assert caught.value.code == "preconditions_not_met"
    assert all(message in caught.value.detail for message in caught.value.fields.values())
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT
    assert deal.audit_events.count() == events
    return caught.value.fields


def _dated(deal: Deal, *, issue: dt.date | None, legal: dt.date | None) -> Deal:
    Deal.objects.filter(pk=deal.pk).update(expected_issue_date=issue, legal_maturity_date=legal)
    deal.refresh_from_db()
    return deal


@pytest.mark.parametrize("deal_type", ["licence_revenue", "data_pledge", "empowerment"])
def test_the_test_deal_of_each_type_is_submittable_and_raises_no_automatic_finding(user_a, deal_type):
    deal = workflow.deal_submit(deal=submittable_deal(user_a, deal_type=deal_type), actor=user_a)
    assert deal.status == DealStatus.SUBMITTED
    assert not deal.compliance_review.automatic_findings.exists()


def test_submit_refused_when_the_legal_maturity_is_before_the_expected_issue_date(user_a):
    deal = _dated(submittable_deal(user_a), issue=dt.date(2027, 3, 31), legal=dt.date(2027, 3, 1))
    problems = _refused(deal, user_a)
    assert set(problems) == {"legal_maturity_date", "pool_maturity"}
    assert problems["legal_maturity_date"] == (
        "The legal maturity date (2027-03-01) is before the expected issue date (2027-03-31)."
    )


def test_submit_refused_when_the_legal_maturity_is_before_the_expected_maturity(user_a):
    # Issued 2027-01-15 with a 36-month tenor, the notes are expected to mature on 2030-01-15.
    deal = _dated(submittable_deal(user_a), issue=dt.date(2027, 1, 15), legal=dt.date(2030, 1, 14))
    problems = _refused(deal, user_a)
    assert set(problems) == {"legal_maturity_date"}
    assert "2030-01-14" in problems["legal_maturity_date"]
    assert "expected maturity (2030-01-15" in problems["legal_maturity_date"]
    assert "36-month tenor" in problems["legal_maturity_date"]
    # A legal final on the expected maturity itself is possible.
    deal = _dated(deal, issue=dt.date(2027, 1, 15), legal=dt.date(2030, 1, 15))
    assert workflow.deal_submit(deal=deal, actor=user_a).status == DealStatus.SUBMITTED


def test_submit_refused_when_a_pool_asset_matures_before_issue_or_after_the_legal_maturity(user_a):
    deal = _dated(submittable_deal(user_a), issue=dt.date(2027, 1, 15), legal=dt.date(2031, 6, 30))
    stream = deal.pool_assets.get()
    early = PoolAsset.objects.create(
        deal=deal, obligor="Expired Licensee Co.", kind=PoolAssetKind.LICENCE_REVENUE, principal=Decimal("1"),
        maturity_date=dt.date(2026, 12, 31), cash_source="data_generated",
    )  # fmt: skip
    PoolAsset.objects.filter(pk=stream.pk).update(maturity_date=dt.date(2031, 7, 1))
    problems = _refused(deal, user_a)
    assert set(problems) == {"pool_maturity"}
    message = problems["pool_maturity"]
    assert f"“Expired Licensee Co.” (#{early.pk}) matures on 2026-12-31, before the expected issue date" in message
    assert f"(#{stream.pk}) matures on 2031-07-01, after the legal maturity date (2031-06-30)" in message


def test_submit_refused_when_the_pool_is_smaller_than_the_notes(user_a):
    deal = submittable_deal(user_a, size=Decimal("100000000.00"))
    PoolAsset.objects.filter(deal=deal).update(principal=Decimal("99999999.99"))
    problems = _refused(deal, user_a)
    assert problems == {
        "pool_principal": "The pool's principal (99,999,999.99 CNY) is smaller than the notes "
        "(100,000,000.00 CNY, the sum of the tranches)."
    }
    PoolAsset.objects.filter(deal=deal).update(principal=Decimal("100000000.00"))  # exactly covered: fine
    assert workflow.deal_submit(deal=deal, actor=user_a).status == DealStatus.SUBMITTED


def test_submit_refused_when_the_subordinated_class_is_not_paid_last(user_a):
    deal = submittable_deal(user_a)
    Tranche.objects.filter(deal=deal, name="A").update(payment_priority=3)
    Tranche.objects.filter(deal=deal, name="Sub").update(payment_priority=1)
    problems = _refused(deal, user_a)
    assert set(problems) == {"payment_priority"}
    assert "“Sub” (payment priority 1) is paid before “A” (priority 3)" in problems["payment_priority"]


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("external_guarantee", {"guarantor_type": "guarantee_company", "provider": "Fujian Guarantee"}),
        ("shortfall_undertaking", {"guarantor_type": "parent_company", "provider": "Alpha Group"}),
        ("reserve_account", {}),
    ],
)
def test_submit_refused_when_a_guarantee_undertaking_or_reserve_has_no_amount(user_a, kind, extra):
    deal = submittable_deal(user_a)
    empty = CreditEnhancement.objects.create(deal=deal, kind=kind, amount=Decimal("0"), **extra)
    problems = _refused(deal, user_a)
    assert set(problems) == {"enhancement_amount"}
    assert f"(#{empty.pk})" in problems["enhancement_amount"]
    assert extra.get("provider", "") in problems["enhancement_amount"]
    CreditEnhancement.objects.filter(pk=empty.pk).update(amount=Decimal("1000000"))
    assert workflow.deal_submit(deal=deal, actor=user_a).status == DealStatus.SUBMITTED


def test_licence_streams_belong_only_in_a_licence_revenue_deal(user_a):
    pledge_deal = submittable_deal(user_a, deal_type="data_pledge")
    stream = PoolAsset.objects.create(
        deal=pledge_deal, obligor="A licensee", kind=PoolAssetKind.LICENCE_REVENUE, principal=Decimal("1"),
        maturity_date=dt.date(2029, 1, 1), cash_source="data_generated",
    )  # fmt: skip
    problems = _refused(pledge_deal, user_a)
    assert set(problems) == {"pool_kind"}
    assert f"“A licensee” (#{stream.pk})" in problems["pool_kind"]
    assert "Data asset ABS: data-pledge loans and receivables" in problems["pool_kind"]

    licence_deal = submittable_deal(user_a)
    loan = PoolAsset.objects.create(
        deal=licence_deal, obligor="A borrower", kind=PoolAssetKind.LOAN, principal=Decimal("1"),
        maturity_date=dt.date(2029, 1, 1), cash_source="other",
    )  # fmt: skip
    problems = _refused(licence_deal, user_a)
    assert set(problems) == {"pool_kind"}
    assert f"“A borrower” (#{loan.pk})" in problems["pool_kind"]


def test_submit_refused_when_support_covers_a_class_the_deal_does_not_have(user_a):
    deal = submittable_deal(user_a)  # senior and subordinated only
    guarantee = CreditEnhancement.objects.create(
        deal=deal, kind="external_guarantee", guarantor_type="guarantee_company", provider="Fujian Guarantee",
        amount=Decimal("50000000"), covered_classes=["senior", "mezzanine"],
    )  # fmt: skip
    problems = _refused(deal, user_a)
    assert problems == {
        "covered_classes": f"External guarantee by “Fujian Guarantee” (#{guarantee.pk}) covers Mezzanine B, "
        "which the deal has no tranche of."
    }


def test_every_impossibility_is_named_at_once_in_the_order_of_the_checklist(user_a):
    deal = _dated(submittable_deal(user_a), issue=dt.date(2027, 1, 15), legal=dt.date(2028, 1, 1))
    PoolAsset.objects.filter(deal=deal).update(principal=Decimal("1"))
    Tranche.objects.filter(deal=deal, name="A").update(payment_priority=3)  # behind the subordinated class (2)
    CreditEnhancement.objects.create(deal=deal, kind="reserve_account", amount=Decimal("0"))
    problems = _refused(deal, user_a)
    assert list(problems) == [
        "legal_maturity_date",
        "pool_maturity",
        "pool_principal",
        "payment_priority",
        "enhancement_amount",
    ]


# --- reasons ---------------------------------------------------------------------------------------

REASON_REQUIRED = [(a, t) for a, t in TRANSITIONS.items() if t.reason_required]


def test_request_changes_reject_and_withdraw_need_a_reason():
    assert {"request_changes", "reject", "withdraw"} <= {a for a, _ in REASON_REQUIRED}


@pytest.mark.parametrize("blank", ["", "   \n"])
@pytest.mark.parametrize(("action", "transition"), REASON_REQUIRED, ids=[a for a, _ in REASON_REQUIRED])
def test_moves_that_need_a_reason_refuse_a_blank_one(action, transition, blank, user_a, actor_for):
    source = sorted(transition.sources)[0]
    role = next(r for r in ROLES if r != "other_originator" and WORKFLOW_ROLE[r] in transition.roles)
    deal = deal_in(source, user_a)
    with pytest.raises(DomainError) as caught:
        workflow.deal_move(deal=deal, action=action, actor=actor_for(role), reason=blank)
    assert caught.value.code == "reason_required"
    assert "reason" in caught.value.fields
    deal.refresh_from_db()
    assert deal.status == source
    assert deal.audit_events.count() == 1


def test_reason_is_recorded_without_surrounding_whitespace(user_a):
    deal = deal_in(DealStatus.DRAFT, user_a)
    workflow.deal_withdraw(deal=deal, actor=user_a, reason="  Deal postponed to 2026.  ")
    assert deal.audit_events.order_by("-sequence").first().reason == "Deal postponed to 2026."


# --- side effects of moves ---------------------------------------------------------------------------


def test_withdraw_releases_the_deals_active_pledges_only(user_a):
    deal = deal_in(DealStatus.DRAFT, user_a)
    other_deal = deal_in(DealStatus.DRAFT, user_a)
    pledged = pledge_create(actor=user_a, deal=deal, data_asset=DataAssetFactory(originator=user_a.originator))
    elsewhere = pledge_create(actor=user_a, deal=other_deal, data_asset=DataAssetFactory(originator=user_a.originator))
    workflow.deal_withdraw(deal=deal, actor=user_a, reason="Financing no longer needed.")
    pledged.refresh_from_db()
    elsewhere.refresh_from_db()
    assert pledged.status == PledgeStatus.RELEASED
    assert elsewhere.status == PledgeStatus.ACTIVE


def test_a_pledge_freed_by_withdrawal_can_back_another_deal(user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    first = deal_in(DealStatus.DRAFT, user_a)
    second = deal_in(DealStatus.DRAFT, user_a)
    pledge_create(actor=user_a, deal=first, data_asset=asset)
    workflow.deal_withdraw(deal=first, actor=user_a, reason="Replaced by a larger deal.")
    pledge = pledge_create(actor=user_a, deal=second, data_asset=asset)
    assert pledge.status == PledgeStatus.ACTIVE
    assert Pledge.objects.filter(data_asset=asset, status=PledgeStatus.ACTIVE).get() == pledge


def test_refused_withdrawal_keeps_the_pledges(user_a, user_b):
    deal = deal_in(DealStatus.DRAFT, user_a)
    pledge = pledge_create(actor=user_a, deal=deal, data_asset=DataAssetFactory(originator=user_a.originator))
    with pytest.raises(DomainError):
        workflow.deal_withdraw(deal=deal, actor=user_b, reason="Not mine to withdraw.")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.ACTIVE


def test_issue_records_the_issue_date_given(user_a, arranger_user):
    deal = deal_in(DealStatus.BOOK_BUILDING, user_a)
    assert deal.issue_date is None
    workflow.deal_issue(deal=deal, actor=arranger_user, issue_date=dt.date(2025, 11, 20))
    deal.refresh_from_db()
    assert deal.status == DealStatus.ISSUED
    assert deal.issue_date == dt.date(2025, 11, 20)


def test_issue_without_a_date_records_today(user_a, arranger_user):
    from django.utils import timezone

    deal = deal_in(DealStatus.BOOK_BUILDING, user_a)
    workflow.deal_issue(deal=deal, actor=arranger_user)
    deal.refresh_from_db()
    assert deal.issue_date == timezone.localdate()


def test_moves_other_than_issue_leave_the_issue_date_empty(user_a, arranger_user):
    deal = deal_in(DealStatus.VALUED, user_a)
    workflow.deal_publish(deal=deal, actor=arranger_user)
    workflow.deal_open_book(deal=deal, actor=arranger_user)
    deal.refresh_from_db()
    assert deal.issue_date is None


# --- walking the workflow -----------------------------------------------------------------------------


def test_walk_with_a_round_of_changes_records_every_move_in_order(user_a, compliance_user, arranger_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Add the law firm's opinion.")
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    pass_review(deal, officer=compliance_user)
    workflow.deal_approve(deal=deal, actor=compliance_user)
    workflow.deal_start_valuation(deal=deal, actor=None)
    workflow.deal_fail_valuation(deal=deal, reason="Benchmark curve missing.")
    workflow.deal_start_valuation(deal=deal, actor=arranger_user)
    workflow.deal_complete_valuation(deal=deal)
    workflow.deal_publish(deal=deal, actor=arranger_user)
    workflow.deal_open_book(deal=deal, actor=arranger_user)
    workflow.deal_issue(deal=deal, actor=arranger_user, issue_date=dt.date(2025, 12, 1))
    deal.refresh_from_db()
    assert deal.status == DealStatus.ISSUED
    steps = list(deal.audit_events.order_by("sequence").values_list("from_status", "to_status"))
    assert steps == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "changes_requested"),
        ("changes_requested", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "compliance_approved"),
        ("compliance_approved", "valuing"),
        ("valuing", "compliance_approved"),
        ("compliance_approved", "valuing"),
        ("valuing", "valued"),
        ("valued", "published"),
        ("published", "book_building"),
        ("book_building", "issued"),
    ]
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_an_issued_deal_can_no_longer_be_withdrawn(user_a):
    deal = deal_in(DealStatus.ISSUED, user_a)
    with pytest.raises(DomainError) as caught:
        workflow.deal_withdraw(deal=deal, actor=user_a, reason="Too late.")
    assert caught.value.code == "invalid_transition"


def test_the_returned_deal_and_the_database_agree(user_a):
    deal = submittable_deal(user_a)
    returned = workflow.deal_submit(deal=deal, actor=user_a)
    assert returned.status == Deal.objects.get(pk=deal.pk).status == DealStatus.SUBMITTED
    assert returned.status_changed_at is not None
