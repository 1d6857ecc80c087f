"""Every route x method x role, on an object of another organisation: the answer is the one the policy states.

The routes come from the URL resolver (the API router's and the pages'); POLICY names, for each route and method,
the object it is tried on and the roles that may act. A route missing from POLICY fails the test, so a new page or
endpoint cannot ship without its entry. From the object's visibility (VISIBLE, written from docs/roles.md as
tests/test_scoping.py has it) the expected class of each cell follows:

- `S` sign in: anonymous callers get 401 from the API (403 `not_authenticated` while session authentication is
  first) and a redirect to the sign-in page from pages;
- `H` 404: a role that may not see the object learns nothing of it, not even that it exists;
- `A` allowed: a role that may act reaches the action (2xx, a redirect, or 400/409 for the empty body it is sent);
- `F` 403: a role that sees the object but may not act is refused; a page refuses by going back with an error
  message (the API's 403 is the page's redirect with `messages.error`). A page meant for one role (the products
  pages are the investors') refuses every other role so, whatever the object (`gate`).

A page answers a refused write by going back with an error message whether the role or the (empty) body was at
fault, so for page writes such an answer stands for either `A` or `F`; the checks that tell them apart are `H` and
`S`, which no page may blur.

Writes are sent with an empty body, so a role refused only after the body is checked answers 400: a cell that
expects `F` accepts that 400 (nothing can have changed). Each request runs in a savepoint rolled back after it, so
every cell starts from the same platform (tests/api/world.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from knox.models import AuthToken
from rest_framework.test import APIClient

from deals.compliance.models import ChecklistTemplate, ComplianceReview, Evidence, FactChange, ReviewItem
from deals.models import (
    ComparableTransaction,
    CreditEnhancement,
    MarketParameters,
    Pledge,
    PoolAsset,
    Tranche,
    ValuationRun,
)
from investors.models import IndicationOfInterest, RiskProfile
from origination.models import DataAsset, DataRight, RevenueImport, RevenueRecord
from tests.api.world import ROLES, World, build_world

pytestmark = pytest.mark.django_db

ORIGINATORS = ("originator_a", "originator_b")
INVESTORS = ("investor_a", "investor_b")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}

# Who may see each object the matrix is tried on (company B's, or investor B's).
VISIBLE: dict[str, frozenset[str]] = {
    "nothing": SIGNED_IN,  # lists and pages of no object: every signed-in role may open them
    "draft_b": frozenset({"originator_b", "arranger"}),
    "review_b": frozenset({"originator_b", "compliance", "arranger"}),
    "public_b": frozenset({"originator_b", "compliance", *INVESTORS, "arranger"}),
    "public_a": frozenset({"originator_a", "compliance", *INVESTORS, "arranger"}),
    # Investor B's order on company A's book: its investor, the deal's originator, the arranger.
    "order_b": frozenset({"originator_a", "investor_b", "arranger"}),
    "investor_b": frozenset({"investor_b", "arranger"}),
    # Company B has an issued deal, so investors see it as an issuer.
    "company_b": frozenset({"originator_b", "compliance", *INVESTORS, "arranger"}),
    "market": SIGNED_IN,
    "public": frozenset(ROLES),
}


@dataclass(frozen=True)
class Rule:
    """On `target`, roles in `may` act; others that see it get 403, unless listed in `hidden` (404 for them too).

    `gate`: the route is a page of the roles in `may` only, so the others get 403 before any object is looked up.
    `barred`: roles refused (403) before any object is looked up, whatever they may see.
    `refusal`: the class of the refusal when it is not 403 (Django's admin sends non-staff to its sign-in page).
    """

    target: str
    may: frozenset[str]
    hidden: frozenset[str] = field(default_factory=frozenset)
    gate: bool = False
    refusal: str = "F"
    barred: frozenset[str] = field(default_factory=frozenset)


# "owner": the staff of the company whose object it is (company A for its book and the orders on it).
_OWNER = {"public_a": "originator_a", "order_b": "originator_a"}


def rule(
    target: str, *may: str, hidden: tuple[str, ...] = (), gate: bool = False, refusal: str = "F",
    barred: tuple[str, ...] = (),
) -> Rule:  # fmt: skip
    roles = {_OWNER.get(target, "originator_b") if name == "owner" else name for name in may}
    return Rule(target, frozenset(roles), frozenset(hidden), gate, refusal, frozenset(barred))


EVERYONE = ("originator_a", "originator_b", "compliance", "investor_a", "investor_b", "arranger")
STAFF = ("compliance", "arranger")
READ = "GET"
WRITE = "POST"

# (route name, method) -> rule. Route names are the URL names; API names are the router's basename-action.
POLICY: dict[tuple[str, str], Rule] = {
    # --- pages without an object ---------------------------------------------------------------------------------
    ("home", READ): rule("nothing", *EVERYONE),
    ("login", READ): rule("public", *ROLES),
    ("logout", WRITE): rule("public", *ROLES),
    ("set_language", WRITE): rule("public", *ROLES),
    ("data_asset_list", READ): rule("nothing", *EVERYONE),
    ("deal_list", READ): rule("nothing", *EVERYONE),
    ("deal_create", READ): rule("nothing", *ORIGINATORS),
    ("deal_create", WRITE): rule("nothing", *ORIGINATORS),
    ("market", READ): rule("nothing", *EVERYONE),
    ("market_data", READ): rule("market", *EVERYONE),
    ("market_data_upload", WRITE): rule("market", "arranger"),
    ("market_data_comparables", READ): rule("market", *EVERYONE),
    ("market_data_comparable_add", WRITE): rule("market", "arranger"),
    ("market_data_comparables_upload", WRITE): rule("market", "arranger"),
    ("compliance_queue", READ): rule("nothing", *STAFF),
    ("investor_list", READ): rule("nothing", *EVERYONE),
    ("questionnaire", READ): rule("nothing", *INVESTORS),
    ("questionnaire", WRITE): rule("nothing", *INVESTORS),
    ("product_list", READ): rule("nothing", *INVESTORS, gate=True),
    ("password_change", READ): rule("nothing", *EVERYONE),
    ("password_change", WRITE): rule("nothing", *EVERYONE),
    ("password_change_done", READ): rule("nothing", *EVERYONE),
    # --- pages of company B's objects ----------------------------------------------------------------------------
    ("data_asset_detail", READ): rule("review_b", "owner", *STAFF),
    # Changing an asset is for its company and the arranger as operator; the officer reviews, never edits.
    ("data_asset_edit", READ): rule("review_b", "owner", "arranger", hidden=("compliance",)),
    ("data_asset_edit", WRITE): rule("review_b", "owner", "arranger", hidden=("compliance",)),
    ("data_right_remove", WRITE): rule("review_b", "owner", "arranger", hidden=("compliance",)),
    ("data_right_revoke", WRITE): rule("review_b", "owner", "arranger", hidden=("compliance",)),
    ("revenue_import_undo", WRITE): rule("review_b", "owner"),
    ("compliance_fact_change_resolve", WRITE): rule("public_b", "compliance", hidden=INVESTORS),
    # The upload page exists only for the company that collects the revenue: others do not learn of it.
    ("revenue_upload", WRITE): rule("review_b", "owner", hidden=STAFF),
    ("market_data_download", READ): rule("market", *EVERYONE),
    ("market_data_comparable_remove", WRITE): rule("market", "arranger"),
    ("deal_detail", READ): rule("review_b", "owner", *STAFF),
    ("deal_edit", READ): rule("draft_b", "owner"),
    ("deal_edit", WRITE): rule("draft_b", "owner"),
    ("deal_transition", WRITE): rule("review_b", "owner", *STAFF),
    ("deal_pool_asset_add", WRITE): rule("draft_b", "owner"),
    ("deal_pool_asset_edit", READ): rule("draft_b", "owner"),
    ("deal_pool_asset_edit", WRITE): rule("draft_b", "owner"),
    ("deal_pool_asset_remove", WRITE): rule("draft_b", "owner"),
    ("deal_tranche_add", WRITE): rule("draft_b", "owner"),
    ("deal_tranche_edit", READ): rule("draft_b", "owner"),
    ("deal_tranche_edit", WRITE): rule("draft_b", "owner"),
    ("deal_tranche_remove", WRITE): rule("draft_b", "owner"),
    ("deal_enhancement_add", WRITE): rule("draft_b", "owner"),
    ("deal_enhancement_edit", READ): rule("draft_b", "owner"),
    ("deal_enhancement_edit", WRITE): rule("draft_b", "owner"),
    ("deal_enhancement_remove", WRITE): rule("draft_b", "owner"),
    ("deal_pledge_add", WRITE): rule("draft_b", "owner"),
    ("deal_pledge_edit", READ): rule("draft_b", "owner"),
    ("deal_pledge_edit", WRITE): rule("draft_b", "owner"),
    ("deal_pledge_release", WRITE): rule("draft_b", "owner", "arranger"),
    ("deal_valuation", READ): rule("public_b", "owner", *STAFF, *INVESTORS),
    ("deal_valuation_start", WRITE): rule("public_b", "arranger"),
    ("deal_valuation_summary", READ): rule("public_b", "owner", *STAFF, *INVESTORS),
    ("deal_valuation_progress", READ): rule("public_b", "owner", *STAFF, *INVESTORS),
    ("deal_valuation_xlsx", READ): rule("public_b", "owner", *STAFF, *INVESTORS),
    ("deal_valuation_csv", READ): rule("public_b", "owner", *STAFF, *INVESTORS),
    ("compliance_review", READ): rule("review_b", "owner", *STAFF),
    ("compliance_review_decide", WRITE): rule("review_b", "compliance"),
    ("compliance_review_export", READ): rule("review_b", "owner", *STAFF),
    ("compliance_right_renew", WRITE): rule("review_b", "owner", hidden=STAFF),
    ("compliance_item_answer", WRITE): rule("review_b", "owner"),
    ("compliance_evidence_add", WRITE): rule("review_b", "owner"),
    ("compliance_item_assess", WRITE): rule("review_b", "compliance"),
    ("compliance_evidence_download", READ): rule("review_b", "owner", *STAFF),
    ("compliance_evidence_withdraw", WRITE): rule("review_b", "owner"),
    ("investor_detail", READ): rule("investor_b", "investor_b", "arranger"),
    ("deal_book", READ): rule("public_a", "owner", *INVESTORS, "arranger", hidden=("compliance",)),
    # Products are the tranches on offer: company A's book (B's deal is issued, no longer offered).
    ("product_detail", READ): rule("public_a", *INVESTORS, gate=True),
    ("product_confirm_warning", WRITE): rule("public_a", *INVESTORS, gate=True),
    ("order_submit", WRITE): rule("public_a", *INVESTORS),
    ("order_cancel", WRITE): rule("order_b", "investor_b"),
    # --- the API -------------------------------------------------------------------------------------------------
    ("api-root", READ): rule("nothing", *EVERYONE),
    ("schema", READ): rule("public", *ROLES),
    ("api-docs", READ): rule("public", *ROLES),
    ("api-redoc", READ): rule("public", *ROLES),
    ("api-token", "POST"): rule("public", *ROLES),
    ("api-market-summary", READ): rule("nothing", *EVERYONE),
    ("api-questionnaire", READ): rule("nothing", *EVERYONE),
    ("api-questionnaire", "POST"): rule("nothing", *INVESTORS),
    ("api-deal-book", READ): rule("public_a", "owner", *INVESTORS, "arranger", hidden=("compliance",)),
    ("originator-list", READ): rule("nothing", *EVERYONE),
    ("originator-list", "POST"): rule("nothing", "arranger"),
    ("originator-detail", READ): rule("company_b", "owner", *STAFF, *INVESTORS),
    ("data-asset-list", READ): rule("nothing", *EVERYONE),
    ("data-asset-list", "POST"): rule("nothing", *ORIGINATORS),
    ("data-asset-detail", READ): rule("review_b", "owner", *STAFF),
    # An originator's own data: its staff, or the arranger acting as operator (origination/rules.py).
    ("data-asset-detail", "PUT"): rule("review_b", "owner", "arranger"),
    ("data-asset-detail", "PATCH"): rule("review_b", "owner", "arranger"),
    ("data-asset-revenue-upload", "POST"): rule("review_b", "owner"),
    ("data-right-list", READ): rule("nothing", *EVERYONE),
    ("data-right-list", "POST"): rule("nothing", *ORIGINATORS),
    ("data-right-detail", READ): rule("review_b", "owner", *STAFF),
    ("data-right-detail", "DELETE"): rule("review_b", "owner", "arranger"),
    # Revenue rows name counterparties: investors are refused before any row is looked up (aggregates only).
    ("revenue-list", READ): rule("nothing", *ORIGINATORS, *STAFF, barred=INVESTORS),
    ("revenue-detail", READ): rule("review_b", "owner", *STAFF, barred=INVESTORS),
    ("data-asset-revenue-summary", READ): rule("review_b", "owner", *STAFF),
    ("data-right-revoke", "POST"): rule("review_b", "owner"),
    ("revenue-import-list", READ): rule("nothing", *EVERYONE),
    ("revenue-import-detail", READ): rule("review_b", "owner", *STAFF),
    ("revenue-import-undo", "POST"): rule("review_b", "owner"),
    ("api-logout", "POST"): rule("nothing", *EVERYONE),
    ("api-logout-all", "POST"): rule("nothing", *EVERYONE),
    # A fact of company B's issued deal changed after issue: the officer closes the finding it raised.
    ("compliance-review-resolve-fact-change", "POST"): rule("public_b", "compliance", hidden=INVESTORS),
    ("deal-list", READ): rule("nothing", *EVERYONE),
    ("deal-list", "POST"): rule("nothing", *ORIGINATORS),
    ("deal-detail", READ): rule("review_b", "owner", *STAFF),
    ("deal-detail", "PATCH"): rule("draft_b", "owner"),
    ("deal-audit", READ): rule("review_b", "owner", *STAFF),
    ("deal-transition", "POST"): rule("review_b", "owner", *STAFF),
    ("deal-pool-assets", "POST"): rule("draft_b", "owner"),
    ("deal-pool-asset-delete", "PATCH"): rule("draft_b", "owner"),
    ("deal-pool-asset-delete", "DELETE"): rule("draft_b", "owner"),
    ("deal-tranches", "POST"): rule("draft_b", "owner"),
    ("deal-tranche-delete", "PATCH"): rule("draft_b", "owner"),
    ("deal-tranche-delete", "DELETE"): rule("draft_b", "owner"),
    ("deal-credit-enhancements", "POST"): rule("draft_b", "owner"),
    ("deal-credit-enhancement-delete", "PATCH"): rule("draft_b", "owner"),
    ("deal-credit-enhancement-delete", "DELETE"): rule("draft_b", "owner"),
    ("deal-pledges", "POST"): rule("draft_b", "owner"),
    ("deal-pledge-release", "PATCH"): rule("draft_b", "owner"),
    ("deal-pledge-release", "DELETE"): rule("draft_b", "owner", "arranger"),
    ("valuation-run-list", READ): rule("nothing", *EVERYONE),
    ("valuation-run-list", "POST"): rule("nothing", "arranger"),
    ("valuation-run-latest", READ): rule("public_b", "owner", *STAFF, *INVESTORS),
    ("valuation-run-detail", READ): rule("public_b", "owner", *STAFF, *INVESTORS),
    ("market-parameters-list", READ): rule("market", *EVERYONE),
    ("market-parameters-upload", "POST"): rule("market", "arranger"),
    ("market-parameters-detail", READ): rule("market", *EVERYONE),
    ("market-parameters-csv", READ): rule("market", *EVERYONE),
    ("comparable-transaction-list", READ): rule("market", *EVERYONE),
    ("comparable-transaction-list", "POST"): rule("market", "arranger"),
    ("comparable-transaction-upload", "POST"): rule("market", "arranger"),
    ("comparable-transaction-detail", READ): rule("market", *EVERYONE),
    ("comparable-transaction-detail", "DELETE"): rule("market", "arranger"),
    ("investor-list", READ): rule("nothing", *EVERYONE),
    ("investor-detail", READ): rule("investor_b", "investor_b", "arranger"),
    ("risk-profile-list", READ): rule("nothing", *EVERYONE),
    ("risk-profile-detail", READ): rule("investor_b", "investor_b", "arranger"),
    ("risk-profile-detail", "PATCH"): rule("investor_b", "investor_b"),
    ("order-list", READ): rule("nothing", *EVERYONE),
    ("order-list", "POST"): rule("nothing", *INVESTORS),
    ("order-detail", READ): rule("order_b", "owner", "investor_b", "arranger"),
    ("order-amend", "POST"): rule("order_b", "investor_b"),
    ("order-withdraw", "POST"): rule("order_b", "investor_b"),
    ("checklist-template-list", READ): rule("nothing", *EVERYONE),
    ("checklist-template-detail", READ): rule("market", *EVERYONE),
    ("compliance-review-list", READ): rule("nothing", *EVERYONE),
    ("compliance-review-detail", READ): rule("review_b", "owner", *STAFF),
    ("compliance-review-decision", "POST"): rule("review_b", "compliance"),
    ("compliance-review-export", READ): rule("review_b", "owner", *STAFF),
    ("compliance-review-legal-risk", READ): rule("review_b", "owner", *STAFF),
    ("review-item-list", READ): rule("nothing", *EVERYONE),
    ("review-item-detail", READ): rule("review_b", "owner", *STAFF),
    ("review-item-answer", "POST"): rule("review_b", "owner"),
    ("review-item-assessment", "POST"): rule("review_b", "compliance"),
    ("review-item-evidence", "POST"): rule("review_b", "owner"),
    ("review-evidence-list", READ): rule("nothing", *EVERYONE),
    ("review-evidence-detail", READ): rule("review_b", "owner", *STAFF),
    ("review-evidence-detail", "DELETE"): rule("review_b", "owner"),
    ("review-evidence-download", READ): rule("review_b", "owner", *STAFF),
}
# Django's admin guards itself (staff only, then model permissions); the matrix tries its index page.
ADMIN_POLICY = {("admin:index", READ): rule("nothing", "arranger", refusal="S")}
# The PUT of risk profiles: the viewset limits its methods to GET and PATCH, the router still lists PUT.
NOT_ROUTED = {("risk-profile-detail", "PUT")}


# --- routes from the resolver --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: tuple[str, ...]
    methods: tuple[str, ...] | None  # None: a page (function view), whose methods POLICY names
    is_api: bool


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = f"{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), (namespace + entry.name) if entry.name else None, entry.callback


def routes() -> list[Route]:
    found = {}
    for pattern, name, callback in _walk(get_resolver().url_patterns):
        if name is None or "<format>" in pattern or "drf_format_suffix" in pattern:
            continue
        if name.startswith("admin:") and name != "admin:index":
            continue
        kwargs = tuple(_kwargs(pattern))
        actions = getattr(callback, "actions", None)
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        is_api = pattern.startswith("api/")
        if actions:
            # DRF adds 'head' to a viewset's action map the first time it serves a GET
            # (ViewSetMixin.as_view mutates that dict), so the listed methods would depend
            # on which tests ran before; HEAD is GET's answer without its body.
            methods = tuple(m.upper() for m in actions if m not in ("head", "options"))
        elif is_api and view_class is not None:
            methods = tuple(m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m))
        else:
            methods = None
        found[name] = Route(name, pattern, kwargs, methods, is_api)
    return sorted(found.values(), key=lambda r: r.name)


def _kwargs(pattern: str) -> list[str]:
    return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern) if (a or b) != "format"]


def cells() -> list[tuple[Route, str]]:
    policy = {**POLICY, **ADMIN_POLICY}
    out = []
    for route in routes():
        methods = route.methods or tuple(m for (name, m) in policy if name == route.name)
        out += [(route, m) for m in methods if (route.name, m) not in NOT_ROUTED]
    return out


def test_every_route_and_method_has_a_policy_entry():
    policy = {**POLICY, **ADMIN_POLICY}
    found = routes()
    missing = [(r.name, m) for r in found for m in (r.methods or ()) if (r.name, m) not in policy.keys() | NOT_ROUTED]
    pages_without_entry = [r.name for r in found if r.methods is None and not any(n == r.name for n, _ in policy)]
    stale = sorted({name for name, _ in policy} - {r.name for r in found})
    assert missing == []
    assert pages_without_entry == []
    assert stale == []


# --- the objects each cell is tried on -----------------------------------------------------------------------------


def _first(model, **filters) -> int:
    return model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True)[0]


def url_kwargs(world: World, route: Route, target: str) -> dict[str, int]:
    """The URL's ids, pointing at `target` (a deal of company B, investor B's order...) and its parts."""
    deals = world.deals
    deal = {"draft_b": deals["draft_b"], "review_b": deals["review_b"], "public_b": deals["public_b"],
            "public_a": deals["public_a"], "order_b": deals["public_a"]}.get(target)  # fmt: skip
    order_b = IndicationOfInterest.objects.get(investor=world.users["investor_b"].investor, status="active")
    values: dict[str, int] = {}
    for name in route.kwargs:
        values[name] = _id_for(world, route, target, name, deal, order_b)
    return values


def _id_for(world: World, route: Route, target: str, name: str, deal, order_b) -> int:
    by_route: dict[str, Callable[[], int]] = {
        "item_pk": lambda: _item_id(route, deal),
        "part_pk": lambda: _part_id(route, deal),
        "tranche_pk": lambda: _first(Tranche, deal=deal, payment_priority=1),
        "run_id": lambda: _first(ValuationRun, deal=deal),
        "order_pk": lambda: order_b.pk,
        "evidence_pk": lambda: _first(Evidence, item__review__deal=deal),
        "deal_id": lambda: deal.pk,
        "right_pk": lambda: _first(DataRight, data_asset=_asset_of(deal)),
        "import_pk": lambda: _first(RevenueImport, data_asset=_asset_of(deal)),
        "change_pk": lambda: _first(FactChange, deal=deal),
    }
    if name in by_route:
        return by_route[name]()
    # `pk`: the route's own object.
    base = route.name
    owner_b = world.users["originator_b"]
    if target == "order_b":
        return deal.pk if route.name in ("order_cancel",) else order_b.pk
    if target == "investor_b":
        investor = world.users["investor_b"].investor
        return RiskProfile.objects.get(investor=investor).pk if base.startswith("risk-profile") else investor.pk
    if target == "company_b":
        return owner_b.originator_id
    if target == "market":
        if base.startswith("market-parameters") or base == "market_data_download":
            model = MarketParameters
        elif base.startswith("checklist-template"):
            model = ChecklistTemplate
        else:
            model = ComparableTransaction
        return _first(model)
    asset = _asset_of(deal)
    objects: dict[str, Callable[[], int]] = {
        "data-asset": lambda: asset.pk,
        "data_asset": lambda: asset.pk,
        "data_right": lambda: asset.pk,  # data-assets/<pk>/rights/<right_pk>/...: the pk is the asset's
        "revenue_upload": lambda: asset.pk,
        "data-right": lambda: _first(DataRight, data_asset=asset),
        "revenue-import": lambda: _first(RevenueImport, data_asset=asset),
        "revenue_import_undo": lambda: asset.pk,
        "revenue": lambda: _first(RevenueRecord, data_asset=asset),
        "compliance-review": lambda: ComplianceReview.objects.get(deal=deal).pk,
        "review-item": lambda: _first(ReviewItem, review__deal=deal),
        "review-evidence": lambda: _first(Evidence, item__review__deal=deal),
        "valuation-run": lambda: _first(ValuationRun, deal=deal),
    }
    for prefix, get in objects.items():
        if base.startswith(prefix):
            return get()
    return deal.pk


def _asset_of(deal) -> DataAsset:
    return deal.pool_assets.order_by("pk").first().data_assets.order_by("pk").first()


def _item_id(route: Route, deal) -> int:
    part = route.pattern.split("(?P<item_pk>")[0].rstrip("/").rsplit("/", 1)[-1]
    models = {"pool-assets": PoolAsset, "tranches": Tranche, "credit-enhancements": CreditEnhancement,
              "pledges": Pledge}  # fmt: skip
    if part in models:
        return _first(models[part], deal=deal)
    return _first(ReviewItem, review__deal=deal)


def _part_id(route: Route, deal) -> int:
    models = {"pool_asset": PoolAsset, "tranche": Tranche, "enhancement": CreditEnhancement, "pledge": Pledge}
    for key, model in models.items():
        if f"_{key}_" in route.name:
            return _first(model, deal=deal)
    raise AssertionError(route.name)


# --- one cell ------------------------------------------------------------------------------------------------------


def expected_class(rule_: Rule, role: str) -> str:
    if role == "anonymous" and rule_.target != "public":
        return "S"
    if rule_.gate and role not in rule_.may:
        return rule_.refusal
    if role in rule_.barred:
        return "F"
    if role not in VISIBLE[rule_.target] or role in rule_.hidden:
        return "H"
    return "A" if role in rule_.may else rule_.refusal


def observed_class(route: Route, response) -> str:
    status = response.status_code
    if status == 401:
        return "S"
    if status in (301, 302) and "/login/" in response.get("Location", "") and "next=" in response.get("Location", ""):
        return "S"
    if status == 403 and route.is_api and _code(response) == "not_authenticated":
        return "S"
    if status == 404:
        return "H"
    if status == 403:
        return "F"
    if status in (301, 302) and not route.is_api:
        levels = {message.level for message in get_messages(response.wsgi_request)}
        if messages.ERROR in levels:
            return "R"
    return "A"


def _code(response) -> str | None:
    try:
        return response.json().get("code")
    except (ValueError, AttributeError):
        return None


TOKEN_ROUTES = ("api-logout", "api-logout-all")


def _client(world: World, role: str, route: Route):
    user = world.users.get(role)
    if route.is_api and route.name not in ("schema", "api-docs", "api-redoc"):
        client = APIClient()
        if user is not None and route.name in TOKEN_ROUTES:
            # Signing out revokes the token the request carries: only a real one will do.
            client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
        elif user is not None:
            client.force_authenticate(user=user)
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _url(route: Route, kwargs: dict[str, int]) -> str:
    from django.urls import reverse

    return reverse(route.name, kwargs=kwargs)


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def test_every_route_answers_each_role_as_the_policy_states(world):
    policy = {**POLICY, **ADMIN_POLICY}
    mismatches = []
    tried = 0
    matrix = cells()
    for route, method in matrix:
        rule_ = policy[route.name, method]
        url = _url(route, url_kwargs(world, route, rule_.target))
        for role in ROLES:
            client = _client(world, role, route)
            with transaction.atomic():
                response = getattr(client, method.lower())(url)
                transaction.set_rollback(True)
            tried += 1
            expected, observed = expected_class(rule_, role), observed_class(route, response)
            if expected == "F" and observed == "A" and response.status_code == 400 and method != READ:
                observed = "F"  # refused while checking the empty body: nothing changed
            if observed == "R" and expected in ("A", "F"):
                observed = expected  # the page went back with an error: the empty body, or the role, was refused
            if expected != observed:
                mismatches.append(f"{method} {url} ({route.name}) as {role}: expected {expected}, got "
                                  f"{observed} ({response.status_code})")  # fmt: skip
    print(f"route matrix: {len(matrix)} route x method cells x {len(ROLES)} roles = {tried} requests")
    assert mismatches == [], "\n".join(mismatches)
