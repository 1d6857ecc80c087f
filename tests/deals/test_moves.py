"""One function moves a deal; what a move sets off in other modules are hooks that cannot silently go missing.

Every entry (the deal page's buttons, the API, the valuation page, the named
wrappers) goes through `deals.workflow.deal_move` with the move's own data as
arguments, and each move leaves its audit event. A regulatory check a move
relies on (the suitability of every order at issue) is a required hook: without
its handler `manage.py check` fails (origination.E001), and the handlers are
registered by the apps' `AppConfig.ready`, never as a side effect of an import.
"""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from deals import workflow
from deals.models import Deal, Tranche, ValuationRun
from investors.models import Allocation, IndicationStatus, RiskProfile
from investors.orders import order_place
from origination.errors import ConflictError, DomainError
from origination.hooks import HOOKS
from tests.deals.valuation_page_fixtures import approved
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
M = Decimal("1000000")

# The hooks the workflow relies on: without each, a move would do only half of what the product promises.
REQUIRED_HOOKS = {
    "deal_submitted": "deals",  # the facts recorded for the review (docs/frozen_facts.md)
    "deal_approved": "deals",  # the facts changed during the review taken into the approval
    "deal_review_reopened": "deals",  # a valuation of facts that no longer hold is closed
    "deal_valuation_started": "deals",  # no deal is valuing without its run
    "deal_valuation_failed": "deals",  # the runs of a failed valuation are closed
    "deal_issued": "investors",  # the book allotted, every order checked again for suitability
}


def _missing_hooks() -> list[str]:
    return [e.msg for e in run_checks() if e.id == "origination.E001"]


# --- the hooks ------------------------------------------------------------------------------------------------


def test_every_hook_a_move_relies_on_is_required_and_has_its_handler():
    for name in REQUIRED_HOOKS:
        assert HOOKS[name].required, name
        assert HOOKS[name].handlers, name
    assert _missing_hooks() == []


@pytest.mark.parametrize("name", sorted(REQUIRED_HOOKS))
def test_a_required_hook_without_its_handler_fails_the_system_check(name, monkeypatch):
    monkeypatch.setattr(HOOKS[name], "handlers", [])
    missing = _missing_hooks()
    assert len(missing) == 1
    assert f"'{name}'" in missing[0]
    with pytest.raises(SystemCheckError, match=name.replace(".", r"\.")):
        call_command("check")


@pytest.mark.parametrize(("name", "app"), sorted(REQUIRED_HOOKS.items()))
def test_the_owning_apps_ready_registers_the_handler(name, app, monkeypatch):
    monkeypatch.setattr(HOOKS[name], "handlers", [])
    apps.get_app_config(app).ready()
    assert len(HOOKS[name].handlers) == 1
    apps.get_app_config(app).ready()  # registering again runs each handler once
    assert len(HOOKS[name].handlers) == 1


def _workflow_hook_mentions(path: Path) -> list[int]:
    """Lines where a module names one of the workflow's hooks (by its name, or MOVE_HOOKS / COMMITTED_HOOKS)."""
    names = {hook.name for hook in (*workflow.MOVE_HOOKS.values(), *workflow.COMMITTED_HOOKS.values())}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Constant) and node.value in names) or (
            isinstance(node, ast.Name | ast.Attribute)
            and getattr(node, "id", getattr(node, "attr", "")) in {"MOVE_HOOKS", "COMMITTED_HOOKS"}
        ):
            found.append(node.lineno)
    return found


def test_the_workflows_hooks_get_their_handlers_only_in_an_app_config():
    naming = {
        str(path.relative_to(ROOT))
        for app in ("origination", "deals", "investors", "demo", "config")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and _workflow_hook_mentions(path)
    }
    assert naming == {"deals/workflow.py", "deals/apps.py", "investors/apps.py"}


# --- the suitability gate ------------------------------------------------------------------------------------


@pytest.fixture
def r2_tranche():
    """A 50 m AAA senior tranche of product risk R2, its licence deal in book building."""
    deal = DealFactory(status="book_building", target_size=50 * M, tenor_months=36, deal_type="licence_revenue")
    return Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=50 * M, payment_priority=1, coupon=Decimal("0.0210"),
        implied_rating="AAA", product_risk_level="R2",
    )  # fmt: skip


def _investor_at(level: str):  # type: ignore[no-untyped-def]
    user = investor_user(InvestorFactory())
    RiskProfileFactory(investor=user.investor, risk_tolerance=level, ticket_min=M, ticket_max=100 * M)
    return user


def test_an_order_above_the_investors_level_is_refused_without_the_confirmed_warning(r2_tranche):
    c1 = _investor_at("C1")
    with pytest.raises(ConflictError) as refused:
        order_place(actor=c1, tranche=r2_tranche, amount=10 * M, yield_rate=Decimal("0.0210"))
    assert refused.value.code == "suitability_warning_required"
    assert not c1.investor.orders.exists()


def test_the_issue_move_holds_an_order_its_investor_no_longer_suits(r2_tranche, arranger_user):
    fallen = _investor_at("C4")
    order = order_place(actor=fallen, tranche=r2_tranche, amount=10 * M, yield_rate=Decimal("0.0210"))
    RiskProfile.objects.filter(investor=fallen.investor).update(risk_tolerance="C1")

    workflow.deal_move(deal=r2_tranche.deal, action="issue", actor=arranger_user, issue_date=dt.date(2025, 11, 20))

    order.refresh_from_db()
    assert order.status == IndicationStatus.HELD
    assert not Allocation.objects.filter(order=order).exists()


# --- start_valuation: the move queues its run, from every entry -----------------------------------------------


def _assert_valuing_with_its_run(deal: Deal, actor, n_paths: int = 10_000) -> None:  # type: ignore[no-untyped-def]
    deal.refresh_from_db()
    assert deal.status == "valuing"
    (run,) = ValuationRun.objects.filter(deal=deal)
    assert (run.status, run.requested_by, run.n_paths) == ("queued", actor, n_paths)
    last = deal.audit_events.order_by("-sequence").first()
    assert (last.action, last.from_status, last.to_status, last.actor) == (
        "start_valuation",
        "compliance_approved",
        "valuing",
        actor,
    )


def test_start_valuation_by_name_queues_its_run_and_records_the_move(user_a, compliance_user, arranger_user):
    deal = approved(user_a, compliance_user)
    workflow.deal_move(deal=deal, action="start_valuation", actor=arranger_user, n_paths=2_000)
    _assert_valuing_with_its_run(deal, arranger_user, n_paths=2_000)


def test_start_valuation_from_the_deal_page_queues_its_run(client, user_a, compliance_user, arranger_user):
    deal = approved(user_a, compliance_user)
    client.force_login(arranger_user)
    client.post(reverse("deal_transition", args=[deal.pk]), {"action": "start_valuation"})
    _assert_valuing_with_its_run(deal, arranger_user)


def test_start_valuation_through_the_api_queues_its_run(api_as, user_a, compliance_user, arranger_user):
    deal = approved(user_a, compliance_user)
    response = api_as(arranger_user).post(f"/api/deals/{deal.pk}/transition/", {"action": "start_valuation"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "valuing"
    _assert_valuing_with_its_run(deal, arranger_user)


def test_a_refused_valuation_request_leaves_the_deal_approved_with_no_run_and_no_event(
    user_a, compliance_user, arranger_user
):
    deal = approved(user_a, compliance_user)
    events = deal.audit_events.count()
    with pytest.raises(DomainError) as refused:
        workflow.deal_move(deal=deal, action="start_valuation", actor=arranger_user, n_paths=50)
    assert "n_paths" in refused.value.fields
    deal.refresh_from_db()
    assert deal.status == "compliance_approved"
    assert not ValuationRun.objects.filter(deal=deal).exists()
    assert deal.audit_events.count() == events


# --- the move's own data --------------------------------------------------------------------------------------


def test_the_issue_date_is_the_issue_moves_and_other_moves_ignore_it(user_a, arranger_user):
    deal = DealFactory(originator=user_a.originator, created_by=user_a, status="valued")
    workflow.deal_move(deal=deal, action="publish", actor=arranger_user, issue_date=dt.date(2025, 1, 2))
    deal.refresh_from_db()
    assert (deal.status, deal.issue_date) == ("published", None)
    workflow.deal_move(deal=deal, action="open_book", actor=arranger_user)
    workflow.deal_move(deal=deal, action="issue", actor=arranger_user, issue_date=dt.date(2025, 11, 20))
    deal.refresh_from_db()
    assert (deal.status, deal.issue_date) == ("issued", dt.date(2025, 11, 20))
