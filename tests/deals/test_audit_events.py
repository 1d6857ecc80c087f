"""Every change to a deal's facts, its parts, pledges, orders and allotment is one event of the deal's chain.

Each change leaves exactly one event, with its action and actor, and the chain
still verifies; a refused change leaves none. The book's events are read only by
who may see the book, in the reader's language (docs/audit.md, "What is recorded").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from deals import services, workflow
from deals.audit import audit_action_label, audit_reason_text, audit_verify
from deals.models import AuditEvent, CreditEnhancement, Deal, Pledge, Tranche
from investors.models import Allocation, RiskProfile
from investors.orders import order_amend, order_place, order_withdraw
from origination.errors import DomainError
from origination.models import User
from origination.services import data_asset_update, data_right_create, data_right_revoke
from tests.factories import (
    DealFactory,
    InvestorFactory,
    RiskProfileFactory,
    investor_user,
    originator_user,
    submittable_deal,
)

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


def _events(deal: Deal) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(deal=deal).order_by("sequence"))


@dataclass
class Draft:
    """A draft deal of user_a's company with one of each part to change."""

    deal: Deal
    user: User

    @property
    def pool_asset(self) -> Any:
        return self.deal.pool_assets.get()

    @property
    def tranche(self) -> Tranche:
        return self.deal.tranches.get(name="A")

    @property
    def enhancement(self) -> CreditEnhancement:
        return self.deal.credit_enhancements.get()

    @property
    def asset(self) -> Any:
        return self.pool_asset.data_assets.get()


@pytest.fixture
def draft(user_a) -> Draft:
    return Draft(deal=submittable_deal(user_a), user=user_a)


def _pledged(d: Draft) -> Pledge:
    return services.pledge_create(actor=d.user, deal=d.deal, data_asset=d.asset)


# (action, the change, who acted) on a draft; the change is made through the service as a user would.
CHANGES: dict[str, Callable[[Draft], Any]] = {
    "terms_updated": lambda d: services.deal_update(actor=d.user, deal=d.deal, tenor_months=48, trustee="CCB Trust"),
    "pool_asset_added": lambda d: services.pool_asset_create(
        actor=d.user,
        deal=d.deal,
        data_assets=[d.asset],
        obligor="Guangdong Toll Co.",
        kind="licence_revenue",
        principal=Decimal("5000000"),
        maturity_date=dt.date(2029, 6, 30),
    ),  # fmt: skip
    "pool_asset_changed": lambda d: services.pool_asset_update(
        actor=d.user, pool_asset=d.pool_asset, obligor_city="Guangzhou"
    ),
    "pool_asset_removed": lambda d: services.pool_asset_delete(actor=d.user, pool_asset=d.pool_asset),
    "tranche_added": lambda d: services.tranche_create(
        actor=d.user, deal=d.deal, name="M", tranche_class="mezzanine", size=Decimal("1000000"), payment_priority=3
    ),
    "tranche_changed": lambda d: services.tranche_update(actor=d.user, tranche=d.tranche, coupon=Decimal("0.0250")),
    "tranche_removed": lambda d: services.tranche_delete(actor=d.user, tranche=d.tranche),
    "credit_enhancement_added": lambda d: services.credit_enhancement_create(
        actor=d.user, deal=d.deal, kind="reserve_account", provider="CCB Trust", amount=Decimal("1000000")
    ),
    "credit_enhancement_changed": lambda d: services.credit_enhancement_update(
        actor=d.user, credit_enhancement=d.enhancement, amount=Decimal("9000000")
    ),
    "credit_enhancement_removed": lambda d: services.credit_enhancement_delete(
        actor=d.user, credit_enhancement=d.enhancement
    ),
    "pledge_added": _pledged,
}
# Changes that need something first: (set-up, change).
PREPARED: dict[str, tuple[Callable[[Draft], Any], Callable[[Draft, Any], Any]]] = {
    "pledge_changed": (
        _pledged,
        lambda d, p: services.pledge_update(
            actor=d.user, pledge=p, registry_filing_no="PBOC-2026-1", filed_on=dt.date(2026, 11, 1)
        ),
    ),
    "pledge_released": (_pledged, lambda d, p: services.pledge_release(actor=d.user, pledge=p)),
}


def _assert_one_event(deal: Deal, before: list[AuditEvent], action: str, actor: User | None) -> AuditEvent:
    after = _events(deal)
    assert [e.pk for e in after[: len(before)]] == [e.pk for e in before]
    assert len(after) == len(before) + 1, [e.action for e in after[len(before) :]]
    event = after[-1]
    assert event.action == action
    assert event.actor_id == (actor.pk if actor else None)
    assert audit_verify(deal_ids=[deal.pk]).ok
    return event


@pytest.mark.parametrize("action", [*CHANGES, *PREPARED])
def test_each_change_to_the_application_is_one_event_with_its_action_and_actor(draft, action):
    if action in CHANGES:
        before = _events(draft.deal)
        CHANGES[action](draft)
    else:
        prepare, change = PREPARED[action]
        made = prepare(draft)
        before = _events(draft.deal)
        change(draft, made)
    event = _assert_one_event(draft.deal, before, action, draft.user)
    assert (event.from_status, event.to_status) == ("draft", "draft")
    assert isinstance(json.loads(event.reason), dict)  # language-neutral parameters
    assert audit_action_label(action) != action  # has words of its own
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert audit_reason_text(event.action, event.reason) != event.reason


# A change refused by its checks, by what is set up first (nothing, or a pledge): nothing is written, no event.
REFUSED: dict[str, tuple[Callable[[Draft], Any], Callable[[Draft, Any, User], Any]]] = {
    "terms": (lambda d: None, lambda d, _, u: services.deal_update(actor=d.user, deal=d.deal, dscr_trigger=Decimal("1.5"))),
    "another company's terms": (lambda d: None, lambda d, _, u: services.deal_update(actor=u, deal=d.deal, tenor_months=48)),
    "tranche": (lambda d: None, lambda d, _, u: services.tranche_update(actor=d.user, tranche=d.tranche, size=Decimal("-1"))),
    "another company's enhancement": (
        lambda d: None, lambda d, _, u: services.credit_enhancement_delete(actor=u, credit_enhancement=d.enhancement)
    ),
    "a second pledge of the asset": (_pledged, lambda d, _, u: _pledged(d)),
    "a release by another company": (_pledged, lambda d, p, u: services.pledge_release(actor=u, pledge=p)),
}  # fmt: skip


@pytest.mark.parametrize("what", REFUSED)
def test_a_refused_change_leaves_no_event(draft, user_b, what):
    prepare, change = REFUSED[what]
    made = prepare(draft)
    before = _events(draft.deal)
    with pytest.raises(DomainError):
        change(draft, made, user_b)
    assert [e.pk for e in _events(draft.deal)] == [e.pk for e in before]
    assert audit_verify(deal_ids=[draft.deal.pk]).ok


def test_a_change_to_a_submitted_deals_facts_is_one_event_on_it(draft, compliance_user):
    deal, user = draft.deal, draft.user
    workflow.deal_submit(deal=deal, actor=user)
    for action, change in (
        ("data_asset_changed", lambda: data_asset_update(actor=user, data_asset=draft.asset, has_personal_info=True)),
        (
            "data_right_added",
            lambda: data_right_create(
                actor=user,
                data_asset=draft.asset,
                right_type="processing_use",
                holder=user.originator.name,
                certificate_no="SZDE-DPU-2029-000777",
                registry="Shenzhen Data Exchange",
                registry_type="data_exchange",
                issued_on=dt.date(2029, 1, 1),
                expires_on=dt.date(2034, 12, 31),
            ),
        ),  # fmt: skip
        (
            "data_right_revoked",
            lambda: data_right_revoke(
                actor=user, data_right=draft.asset.rights.get(certificate_no="SZDE-DPU-2029-000777"), reason="Error."
            ),
        ),  # fmt: skip
    ):
        before = _events(deal)
        change()
        event = _assert_one_event(deal, before, action, user)
        assert (event.from_status, event.to_status) == ("submitted", "submitted")


# --- the book ---------------------------------------------------------------------------------------------------


@pytest.fixture
def book():
    """A deal in book building with one senior tranche of 10 m rated AAA."""
    deal = DealFactory(status="book_building", target_size=10 * M)
    tranche = Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=10 * M, coupon=Decimal("0.0220"), payment_priority=1,
        implied_rating="AAA",
    )  # fmt: skip
    return tranche


def _investor(name: str) -> User:
    investor = InvestorFactory(name=name)
    RiskProfileFactory(investor=investor, ticket_min=M, ticket_max=50 * M)
    return investor_user(investor)


def test_placing_amending_and_withdrawing_an_order_are_one_event_each(book):
    deal, buyer = book.deal, _investor("Ping An Asset Management")
    before = _events(deal)
    order = order_place(actor=buyer, tranche=book, amount=2 * M, yield_rate=Decimal("0.0205"))
    placed = _assert_one_event(deal, before, "order_placed", buyer)
    assert (placed.from_status, placed.to_status) == ("book_building", "book_building")
    assert audit_reason_text(placed.action, placed.reason) == (
        f"Ping An Asset Management ordered 2,000,000.00 CNY of tranche “A” at 2.05 % (order #{order.pk})."
    )
    before = _events(deal)
    amended = order_amend(actor=buyer, order=order, amount=3 * M, yield_rate=Decimal("0.0205"))
    event = _assert_one_event(deal, before, "order_amended", buyer)
    assert audit_reason_text(event.action, event.reason) == (
        f"Ping An Asset Management amended order #{order.pk} for tranche “A” as order #{amended.pk}: amount from "
        "2,000,000.00 to 3,000,000.00 CNY."
    )
    before = _events(deal)
    order_withdraw(actor=buyer, order=amended)
    event = _assert_one_event(deal, before, "order_withdrawn", buyer)
    with translation.override("zh-hans"):
        assert audit_action_label(event.action) != "Order withdrawn"
        assert "Ping An Asset Management" in audit_reason_text(event.action, event.reason)


def test_a_refused_order_leaves_no_event(book):
    deal, buyer = book.deal, _investor("Ping An Asset Management")
    before = _events(deal)
    with pytest.raises(DomainError):
        order_place(actor=buyer, tranche=book, amount=Decimal("250000"), yield_rate=Decimal("0.0205"))  # not in units
    order = order_place(actor=buyer, tranche=book, amount=2 * M, yield_rate=Decimal("0.0205"))
    before = _events(deal)
    with pytest.raises(DomainError):
        order_withdraw(actor=_investor("China Life"), order=order)  # another investor's order
    with pytest.raises(DomainError):
        order_amend(actor=buyer, order=order, amount=11 * M, yield_rate=Decimal("0.0205"))  # larger than the tranche
    assert [e.pk for e in _events(deal)] == [e.pk for e in before]
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_issue_records_each_allotment_and_each_held_order_then_the_issue(book, arranger_user):
    deal = book.deal
    ping_an, china_life, citic = _investor("Ping An"), _investor("China Life"), _investor("CITIC Wealth")
    first = order_place(actor=ping_an, tranche=book, amount=6 * M, yield_rate=Decimal("0.0200"))
    order_place(actor=china_life, tranche=book, amount=4 * M, yield_rate=Decimal("0.0210"))
    held = order_place(actor=citic, tranche=book, amount=2 * M, yield_rate=Decimal("0.0200"))
    RiskProfile.objects.filter(investor_id=citic.investor_id).update(ticket_min=5 * M)  # its mandate changed
    before = _events(deal)
    workflow.deal_issue(deal=deal, actor=arranger_user, issue_date=dt.date(2026, 12, 1))
    new = _events(deal)[len(before) :]
    assert [(e.action, e.actor_id, e.from_status, e.to_status) for e in new] == [
        ("order_held", None, "book_building", "book_building"),
        ("order_allotted", None, "book_building", "book_building"),
        ("order_allotted", None, "book_building", "book_building"),
        ("issue", arranger_user.pk, "book_building", "issued"),
    ]
    assert json.loads(new[0].reason)["id"] == held.pk
    allotted = {json.loads(e.reason)["investor"]: json.loads(e.reason)["amount"] for e in new[1:3]}
    assert allotted == {"Ping An": "6000000.00", "China Life": "4000000.00"}
    assert {a.amount for a in Allocation.objects.all()} == {6 * M, 4 * M}
    assert audit_reason_text(new[1].action, new[1].reason) == (
        f"Ping An was allotted 6,000,000.00 CNY of tranche “A” at the clearing yield 2.10 % (order #{first.pk})."
    )
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_a_book_event_is_read_only_by_who_may_see_the_book(book, client, api_client, arranger_user):
    deal = book.deal
    Deal.objects.filter(pk=deal.pk).update(status="published")  # a book is open on a published deal too
    buyer, other = _investor("Ping An Asset Management"), _investor("China Life")
    order_place(actor=buyer, tranche=book, amount=2 * M, yield_rate=Decimal("0.0205"))
    originator = originator_user(deal.originator)
    seen = {}
    for name, user in (("buyer", buyer), ("other", other), ("originator", originator), ("arranger", arranger_user)):
        api_client.force_authenticate(user)
        actions = [e["action"] for e in api_client.get(f"/api/deals/{deal.pk}/audit/").json()]
        client.force_login(user)
        page = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
        seen[name] = ("order_placed" in actions, "Ping An Asset Management ordered" in page)
    assert seen == {
        "buyer": (True, True),
        "other": (False, False),  # another investor never learns that anyone ordered
        "originator": (True, True),
        "arranger": (True, True),
    }
    assert audit_verify(deal_ids=[deal.pk]).ok


def test_the_arranger_releasing_a_pledge_is_one_event_naming_the_arranger(draft, arranger_user):
    pledge = _pledged(draft)
    before = _events(draft.deal)
    services.pledge_release(actor=arranger_user, pledge=pledge)
    _assert_one_event(draft.deal, before, "pledge_released", arranger_user)
    before = _events(draft.deal)
    services.pledge_release(actor=arranger_user, pledge=pledge)  # already released: nothing changes, no event
    assert _events(draft.deal) == before
