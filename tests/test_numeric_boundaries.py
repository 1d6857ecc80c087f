"""Every money, rate, score, ratio and count field has a documented range, enforced everywhere (docs/limits.md).

Issue 9: one book value of 9999999999999999.99 answered 200, was stored on SQLite as a float that no longer fit
the column, and every page that loaded the row answered 500, other companies' included. Here:

- every numeric field of every model has a range (validators or a CHECK constraint), or is listed as the server's;
- every numeric field the API lets a user write is covered by a boundary case (taken from the OpenAPI schema, so a
  new field fails until it has one); each case sends the maximum (stored, read back exactly, and every list,
  detail and admin page that loads the row still answers, for every role), and just past it, below the minimum,
  NaN, 1e309 and -1.3e+209 (each a 400 naming the field, with nothing stored);
- the same through the pages' forms, and the database refuses out-of-range rows that skip validation;
- a deal and its audit event are written together or not at all.

They run on SQLite by default and on PostgreSQL when DATABASE_URL points at it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin import site as admin_site
from django.db import DataError, IntegrityError, models, transaction
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from deals import services as deal_services
from deals.models import AuditEvent, ComparableTransaction, CreditEnhancement, Deal, PoolAsset, Tranche
from investors.models import IndicationOfInterest, RiskProfile
from origination.choices import Role
from origination.limits import MONEY_MAX
from origination.models import DataAsset

from .api.test_mass_assignment import json_writes
from .api.world import ROLES, World, build_world
from .factories import UserFactory

pytestmark = pytest.mark.django_db

MAX = str(MONEY_MAX)  # 9999999999999.99
OVER = "10000000000000.00"
# What the issue sent: 18 digits, stored by SQLite as a float that no longer fit the column.
ISSUE_VALUE = "9999999999999999.99"

# --- every model field has a range ------------------------------------------------------------------------------

# Numeric fields the server alone writes, each with why it needs no range of its own.
SERVER_FIELDS = {
    "deals.Deal.audit_event_count": "moved only by audit_append, one per event, under the deal's lock",
    "deals.AuditEvent.sequence": "the audit chain's position, set by audit_append (count + 1)",
    "deals.ChecklistTemplate.version": "a checklist version number, loaded by data migrations",
    "deals.ChecklistTemplateItem.position": "an item's position in its checklist, loaded by data migrations",
    "deals.ComplianceReview.submissions": "counted by the workflow, one per submission",
    "deals.ItemAnswer.version": "the answer's version, counted by the compliance service",
    "deals.FactChange.version": "a data asset history version number (django-simple-history)",
    "deals.Evidence.size": "the stored file's size in bytes, measured by the server (the upload limit bounds it)",
    "investors.MatchRun.scope_id": "the id of the deal or investor the run covers (a key, not a quantity)",
}


def _numeric_fields():
    for model in apps.get_models():
        if model._meta.app_label not in ("origination", "deals", "investors"):
            continue
        for model_field in model._meta.concrete_fields:
            numeric = isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField)
            if numeric and not model_field.primary_key and not model_field.is_relation:
                yield model, model_field


def _check_bounds(model: type[models.Model], name: str) -> tuple[Any, Any] | None:
    """The (low, high) of the field's own CHECK, the one named `..._<field>_range`, or None if it has none."""

    def leaves(node: Any) -> list[tuple[str, Any]]:
        if isinstance(node, Q):
            return [leaf for child in node.children for leaf in leaves(child)]
        return [node] if isinstance(node, tuple) else []

    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint) and constraint.name.endswith(f"_{name}_range"):
            bounds = dict(leaves(constraint.condition))
            return bounds.get(f"{name}__gte"), bounds.get(f"{name}__lte")
    return None


def _validator_bounds(model_field: models.Field) -> tuple[Any, Any]:
    limits = {type(v).__name__: v.limit_value for v in model_field._validators}
    return limits.get("MinValueValidator"), limits.get("MaxValueValidator")


def _has_validators(model_field: models.Field) -> bool:
    kinds = {type(v).__name__ for v in model_field._validators}
    return {"MinValueValidator", "MaxValueValidator"} <= kinds


def test_every_numeric_field_has_a_documented_range():
    """A bound on both sides, in the field's validators; and, for a concrete table, a CHECK constraint too."""
    missing = []
    for model, model_field in _numeric_fields():
        label = f"{model._meta.label}.{model_field.name}"
        if label in SERVER_FIELDS:
            continue
        if model._meta.label.split(".")[1].startswith("Historical"):
            # django-simple-history copies the field (validators included), never the constraints: the live
            # table's constraint guards what is copied into it.
            if not _has_validators(model_field) and model_field.name != "id":
                missing.append(f"{label}: no validators")
            continue
        if not _has_validators(model_field):
            missing.append(f"{label}: no Min/MaxValueValidator")
        bounds = _check_bounds(model, model_field.name)
        if bounds is None:
            missing.append(f"{label}: no CHECK constraint named ..._{model_field.name}_range")
        elif bounds != _validator_bounds(model_field):
            missing.append(f"{label}: CHECK {bounds} differs from the validators {_validator_bounds(model_field)}")
    assert not missing, "Numeric fields without a documented range (origination/limits.py):\n" + "\n".join(missing)


def test_server_fields_exist():
    """The exemptions name real fields (a renamed field must not leave a stale exemption)."""
    labels = {f"{m._meta.label}.{f.name}" for m, f in _numeric_fields()}
    assert set(SERVER_FIELDS) <= labels


# --- the API: boundary cases of every writable numeric field ----------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """One field: its maximum, a value just past it and one just below its minimum (all as sent)."""

    name: str
    high: str
    over: str
    under: str
    integer: bool = False
    with_fields: dict[str, Any] = field(default_factory=dict)  # sent along with the maximum (a kind with a value)


def money(name: str, *, positive: bool = True, **kwargs: Any) -> Bound:
    return Bound(name, MAX, OVER, "0.00" if positive else "-0.01", **kwargs)


def rate(name: str, **kwargs: Any) -> Bound:
    return Bound(name, "1.0000", "1.0001", "-0.0001", **kwargs)


def count(name: str, high: int, low: int) -> Bound:
    return Bound(name, str(high), str(high + 1), str(low - 1), integer=True)


@dataclass(frozen=True)
class Write:
    """A JSON write of the API, who makes it, the table it writes, and who reads the row afterwards."""

    family: str  # the schema path, less a trailing {id}/ or {item_pk}/
    writer: str
    method: str
    url: Callable[[World], str]
    model: type[models.Model]
    fields: tuple[Bound, ...]
    base: Callable[[World, APIClient], dict[str, Any]] = lambda world, client: {}
    # The row the write changes (None: it creates one, read from the response's id).
    row: Callable[[World], models.Model] | None = None
    # Rows other roles see that take the same value afterwards (the written row may be visible to its owner only).
    mirrors: Callable[[World], list[models.Model]] = lambda world: []
    accepts_max: bool = True  # False: the maximum is refused by a business rule, not by the range


def _draft(world: World) -> Deal:
    return world.deals["draft_b"]


def _part(model: type[models.Model], deal_key: str) -> Callable[[World], models.Model]:
    return lambda world: model.objects.filter(deal=world.deals[deal_key]).order_by("pk").first()


def _asset(deal_key: str) -> Callable[[World], DataAsset]:
    return lambda world: world.deals[deal_key].pool_assets.order_by("pk").first().data_assets.order_by("pk").first()


def _profile(world: World) -> RiskProfile:
    return RiskProfile.objects.get(investor=world.users["investor_b"].investor)


def _deal_body(world: World, client: APIClient) -> dict[str, Any]:
    keep = {"name", "deal_type", "target_size", "tenor_months", "payment_frequency", "exchange", "manager",
            "trustee", "expected_issue_date", "legal_maturity_date", "paydown_mode", "structuring_ratio",
            "dscr_trigger", "trigger_window_periods", "trigger_cure_periods", "controlled_amortisation_periods",
            "residual_release", "pricing_date"}  # fmt: skip
    detail = client.get(f"/api/deals/{_draft(world).pk}/").json()
    return {k: v for k, v in detail.items() if k in keep and v is not None} | {"name": "Boundary deal"}


def _order_body(world: World, client: APIClient) -> dict[str, Any]:
    senior = Tranche.objects.get(deal=world.deals["public_a"], payment_priority=1)
    IndicationOfInterest.objects.filter(investor=world.users["investor_b"].investor, tranche=senior).delete()
    return {"tranche": senior.pk, "amount": "1000000.00", "yield_rate": "0.0225"}


def _comparable_body(world: World, client: APIClient) -> dict[str, Any]:
    return {"category": "transport", "description": "Boundary licence", "venue": "Shanghai Data Exchange",
            "transaction_date": "2026-06-30", "price": "1000000.00", "annual_revenue": "250000.00",
            "source": "Exchange bulletin"}  # fmt: skip


def _active_order(world: World) -> IndicationOfInterest:
    return IndicationOfInterest.objects.get(investor=world.users["investor_b"].investor, status="active")


WRITES = [
    Write(
        "/api/data-assets/",
        "originator_b",
        "patch",
        lambda w: f"/api/data-assets/{_asset('draft_b')(w).pk}/",
        DataAsset,
        (
            money("book_value", positive=False),
            *(
                Bound(n, "100.00", "100.01", "-0.01")
                for n in (
                    "quality_accuracy",
                    "quality_consistency",
                    "quality_completeness",
                    "quality_conformity",
                    "quality_timeliness",
                    "quality_accessibility",
                )
            ),
        ),
        row=_asset("draft_b"),
        mirrors=lambda w: [_asset("public_b")(w), _asset("review_b")(w)],
    ),  # fmt: skip
    Write(
        "/api/deals/",
        "originator_b",
        "patch",
        lambda w: f"/api/deals/{_draft(w).pk}/",
        Deal,
        (
            money("target_size"),
            count("tenor_months", 600, 1),
            Bound("structuring_ratio", "10.000", "10.001", "0.999"),
            Bound("dscr_trigger", "9.999", "10.000", "0.499"),
            count("trigger_window_periods", 12, 1),
            count("trigger_cure_periods", 12, 0),
            count("controlled_amortisation_periods", 120, 1),
        ),
        row=_draft,
        mirrors=lambda w: [w.deals["public_b"], w.deals["review_b"], w.deals["public_a"]],
    ),  # fmt: skip
    Write(
        "/api/deals/", "originator_b", "post", lambda w: "/api/deals/", Deal, (money("target_size"),), base=_deal_body
    ),
    Write(
        "/api/deals/{id}/pool-assets/",
        "originator_b",
        "patch",
        lambda w: f"/api/deals/{_draft(w).pk}/pool-assets/{_part(PoolAsset, 'draft_b')(w).pk}/",
        PoolAsset,
        (
            money("principal"),
            rate("rate"),
            rate("default_probability"),
            rate("recovery_rate"),
            rate("default_probability_without_data"),
            money("collateral_value", positive=False, with_fields={"collateral_kind": "real_estate"}),
        ),
        row=_part(PoolAsset, "draft_b"),
        mirrors=lambda w: [_part(PoolAsset, "public_b")(w)],
    ),  # fmt: skip
    Write(
        "/api/deals/{id}/tranches/",
        "originator_b",
        "patch",
        lambda w: f"/api/deals/{_draft(w).pk}/tranches/{_part(Tranche, 'draft_b')(w).pk}/",
        Tranche,
        (money("size"), rate("coupon"), count("payment_priority", 99, 1)),
        row=_part(Tranche, "draft_b"),
        mirrors=lambda w: [_part(Tranche, "public_b")(w), _part(Tranche, "public_a")(w)],
    ),  # fmt: skip
    Write(
        "/api/deals/{id}/credit-enhancements/",
        "originator_b",
        "patch",
        lambda w: f"/api/deals/{_draft(w).pk}/credit-enhancements/{_part(CreditEnhancement, 'draft_b')(w).pk}/",
        CreditEnhancement,
        (money("amount", positive=False),),
        row=_part(CreditEnhancement, "draft_b"),
        mirrors=lambda w: [_part(CreditEnhancement, "public_b")(w)],
    ),  # fmt: skip
    Write(
        "/api/risk-profiles/",
        "investor_b",
        "patch",
        lambda w: f"/api/risk-profiles/{_profile(w).pk}/",
        RiskProfile,
        (
            count("max_tenor_months", 600, 1),
            rate("min_coupon"),
            money("ticket_min", positive=False, with_fields={"ticket_max": MAX}),
            money("ticket_max", positive=False),
            Bound("max_guarantee_dependence", "1.0000", "1.0001", "-0.0001"),
        ),
        row=_profile,
    ),  # fmt: skip
    Write(
        "/api/comparable-transactions/",
        "arranger",
        "post",
        lambda w: "/api/comparable-transactions/",
        ComparableTransaction,
        (money("price"), money("annual_revenue")),
        base=_comparable_body,
    ),  # fmt: skip
    # An order's largest amount is its tranche's size, in units of 100,000 CNY, and its yield below 0.5: business
    # rules refuse the range's maximum (with a 400 naming the field); the range's own refusals are checked here.
    Write(
        "/api/orders/",
        "investor_b",
        "post",
        lambda w: "/api/orders/",
        IndicationOfInterest,
        (money("amount"), rate("yield_rate")),
        base=_order_body,
        accepts_max=False,
    ),  # fmt: skip
    Write(
        "/api/orders/{id}/amend/",
        "investor_b",
        "post",
        lambda w: f"/api/orders/{_active_order(w).pk}/amend/",
        IndicationOfInterest,
        (money("amount"), rate("yield_rate")),
        base=lambda w, c: {"amount": "1000000.00", "yield_rate": "0.0230"},
        accepts_max=False,
    ),  # fmt: skip
]
# Writes whose maximum is not sent through the API, and why; their range is checked by the serializer here.
REFUSALS_ONLY = {
    # Accepting 200,000 paths would run the engine for minutes in the test; the range is the serializer's.
    ("/api/valuation-runs/", "n_paths"): count("n_paths", 200_000, 1_000),
}
FOREIGN_KEYS = {"originator", "data_asset", "tranche", "deal"}
# PUT of a data asset takes the same fields as its PATCH (one serializer).
SAME_AS = {("put", "/api/data-assets/"): ("patch", "/api/data-assets/"),
           ("post", "/api/data-assets/"): ("patch", "/api/data-assets/"),
           ("post", "/api/deals/{id}/pool-assets/"): ("patch", "/api/deals/{id}/pool-assets/"),
           ("post", "/api/deals/{id}/tranches/"): ("patch", "/api/deals/{id}/tranches/"),
           ("post", "/api/deals/{id}/credit-enhancements/"): ("patch", "/api/deals/{id}/credit-enhancements/")}  # fmt: skip
SAME_AS_FIELDS = {("post", "/api/deals/")}  # POST /api/deals/ takes the PATCH's fields: target_size is sent here


def _family(path: str) -> str:
    for tail in ("{item_pk}/", "{id}/"):
        if path.endswith(tail):
            return path.removesuffix(tail)
    return path


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    world.users["superuser"] = UserFactory(role=Role.ARRANGER, username="root", is_staff=True, is_superuser=True)
    return world


@pytest.fixture
def schema(world) -> dict[str, Any]:
    client = APIClient()
    client.force_authenticate(world.users["arranger"])
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_every_writable_numeric_field_of_the_api_has_a_boundary_case(schema):
    """Taken from the schema: a new numeric field fails here until WRITES covers it."""
    covered = {(w.method, w.family, b.name) for w in WRITES for b in w.fields}
    covered |= {("post", family, name) for family, name in REFUSALS_ONLY}
    missing = []
    for method, path, request, _response in json_writes(schema):
        method, family = method.lower(), _family(path)
        for name, spec in request.items():
            numeric = spec.get("type") in ("integer", "number") or spec.get("format") == "decimal"
            if not numeric or spec.get("readOnly") or name in FOREIGN_KEYS:
                continue
            key_method, key_family = SAME_AS.get((method, family), (method, family))
            if (method, family) in SAME_AS_FIELDS:
                key_method = "patch"
            if (key_method, key_family, name) not in covered:
                missing.append(f"{method.upper()} {path} {name}")
    assert not missing, "Numeric fields of the API without a boundary case:\n" + "\n".join(missing)


def _client(world: World, role: str) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(world.users[role])
    return client


def _table(model: type[models.Model]) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def _refusals(bound: Bound) -> list[tuple[str, Any]]:
    """(label, JSON text of the value) of every value the field refuses."""
    values = [("over", json.dumps(bound.over)), ("under", json.dumps(bound.under)), ("NaN", '"NaN"'),
              ("Infinity", '"Infinity"'), ("1e309", '"1e309"'), ("-1.3e+209", '"-1.3e+209"'),
              ("1e309 as a number", "1e309"), ("issue value", json.dumps(ISSUE_VALUE))]  # fmt: skip
    if bound.integer:
        values.append(("fraction", '"1.5"'))
    return values


def _send(client: APIClient, write: Write, url: str, body: dict[str, Any], raw: dict[str, str] | None = None):
    """The body as JSON, with `raw` values given as JSON text (1e309 as a bare number)."""
    raw = raw or {}
    parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in body.items() if k not in raw]
    parts += [f"{json.dumps(k)}: {v}" for k, v in raw.items()]
    return getattr(client, write.method)(url, data="{" + ", ".join(parts) + "}", content_type="application/json")


def _readers(world: World) -> list[str]:
    """Every list and detail endpoint that loads the row or its mirrors, and the admin changelist."""
    urls = ["/api/deals/", "/api/data-assets/", "/api/orders/", "/api/risk-profiles/", "/api/comparable-transactions/",
            "/api/investors/", "/api/market/summary/"]  # fmt: skip
    deals = {world.deals[k].pk for k in world.deals}
    assets = set(DataAsset.objects.values_list("pk", flat=True))
    urls += [f"/api/deals/{pk}/" for pk in deals] + [f"/api/data-assets/{pk}/" for pk in assets]
    urls += [f"/api/data-assets/{pk}/revenue-summary/" for pk in assets]
    urls += [f"/api/risk-profiles/{pk}/" for pk in RiskProfile.objects.values_list("pk", flat=True)]
    urls += [f"/api/comparable-transactions/{pk}/" for pk in ComparableTransaction.objects.values_list("pk", flat=True)]
    return urls


PAGES = ["/deals/", "/data-assets/", "/products/", "/investors/", "/market/", "/market-data/"]


def _pages(world: World) -> list[str]:
    pages = list(PAGES)
    pages += [f"/deals/{deal.pk}/" for deal in world.deals.values()]
    pages += [f"/products/{deal.pk}/" for deal in world.deals.values()]
    pages += [f"/data-assets/{pk}/" for pk in DataAsset.objects.values_list("pk", flat=True)]
    pages += [f"/deals/{world.deals[k].pk}/book/" for k in ("public_a", "public_b")]
    return pages


def _admin_pages(mirrors: list[models.Model]) -> list[str]:
    """Every changelist of the project's models, and the change page of each mirror (or of its deal)."""
    registry = admin_site._registry
    pages = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in registry
        if model._meta.app_label in ("origination", "deals", "investors")
    ]
    for mirror in mirrors:
        obj = mirror if type(mirror) in registry else getattr(mirror, "deal", None)
        if obj is not None:
            pages.append(reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
    return pages


def _everyone_reads(world: World, mirrors: list[models.Model]) -> None:
    """No role gets a server error from a list, detail, page or admin changelist that loads the rows."""
    failures = []
    for role in ROLES:
        client = _client(world, role)
        for url in _readers(world):
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{role} GET {url}: {response.status_code}")
        if role == "anonymous":
            continue
        page_client = Client()
        page_client.force_login(world.users[role])
        for url in _pages(world):
            response = page_client.get(url)
            if response.status_code >= 500:
                failures.append(f"{role} page {url}: {response.status_code}")
    admin = Client()
    admin.force_login(world.users["superuser"])
    for url in _admin_pages(mirrors):
        response = admin.get(url)
        if response.status_code != 200:
            failures.append(f"admin {url}: {response.status_code}")
    assert not failures, "\n".join(failures)


def _boundary_writes():
    return [pytest.param(w, id=f"{w.method}-{w.family}") for w in WRITES]


@pytest.mark.parametrize("write", _boundary_writes())
def test_api_boundaries(world, write: Write):
    """Each field: out-of-range values are a 400 naming it with nothing stored; the maximum is stored and read."""
    client = _client(world, write.writer)
    url = write.url(world)
    base = write.base(world, client)
    stored_values: dict[str, Any] = {}
    for bound in write.fields:
        for label, text in _refusals(bound):
            before = _table(write.model)
            response = _send(client, write, url, base, raw={bound.name: text})
            assert response.status_code == 400, f"{bound.name}={label}: {response.status_code} {response.content!r}"
            assert bound.name in response.json()["fields"], f"{bound.name}={label}: {response.json()}"
            assert _table(write.model) == before, f"{bound.name}={label} changed the table"
        if not write.accepts_max:
            continue
        body = base | bound.with_fields | {bound.name: bound.high}
        response = _send(client, write, url, body)
        assert response.status_code in (200, 201), f"{bound.name}={bound.high}: {response.content!r}"
        stored = response.json().get(bound.name)
        assert Decimal(str(stored)) == Decimal(bound.high), f"{bound.name}: answered {stored}"
        row_pk = write.row(world).pk if write.row else response.json()["id"]  # the row written, or created
        value = write.model.objects.values_list(bound.name, flat=True).get(pk=row_pk)
        assert value == Decimal(bound.high), f"{bound.name}: stored {value!r}"
        stored_values |= {bound.name: value, **bound.with_fields}
    if stored_values:
        # Every field at its maximum at once: the written row, and rows other roles see (the written one may be
        # visible to its owner only), must load everywhere.
        mirrors = write.mirrors(world)
        for mirror in mirrors:
            type(mirror).objects.filter(pk=mirror.pk).update(**stored_values)
        _everyone_reads(world, mirrors)


@pytest.mark.parametrize(("family", "name"), list(REFUSALS_ONLY))
def test_api_refusals_only(world, family, name):
    bound = REFUSALS_ONLY[(family, name)]
    client = _client(world, "arranger")
    write = Write(family, "arranger", "post", lambda w: family, models.Model, (bound,))
    for label, text in _refusals(bound):
        response = _send(client, write, family, {"deal": world.deals["public_a"].pk}, raw={name: text})
        assert response.status_code == 400, f"{name}={label}: {response.content!r}"
        assert name in response.json()["fields"]


def test_the_issue_book_value_is_refused_and_pages_still_load(world):
    """The request of the issue: a 400 naming book_value; the asset keeps its value."""
    asset = _asset("draft_b")(world)
    before = asset.book_value
    response = _client(world, "originator_b").patch(
        f"/api/data-assets/{asset.pk}/", {"book_value": ISSUE_VALUE}, format="json"
    )
    assert response.status_code == 400
    assert "book_value" in response.json()["fields"]
    asset.refresh_from_db()
    assert asset.book_value == before


def test_deal_create_with_the_issue_target_size_saves_nothing(world):
    client = _client(world, "originator_b")
    body = _deal_body(world, client) | {"target_size": ISSUE_VALUE}
    deals, events = Deal.objects.count(), AuditEvent.objects.count()
    response = client.post("/api/deals/", body, format="json")
    assert response.status_code == 400
    assert "target_size" in response.json()["fields"]
    assert (Deal.objects.count(), AuditEvent.objects.count()) == (deals, events)


# --- atomicity ---------------------------------------------------------------------------------------------------


def test_a_failure_after_the_deal_insert_saves_nothing(world, monkeypatch):
    """The audit event fails after the deal row is inserted: neither the deal nor any event remains."""
    client = _client(world, "originator_b")
    body = _deal_body(world, client)
    deals, events = Deal.objects.count(), AuditEvent.objects.count()

    def broken_audit(**kwargs: Any) -> None:
        assert Deal.objects.filter(name="Boundary deal").exists()  # the insert happened
        raise RuntimeError("audit writer down")

    monkeypatch.setattr(deal_services, "audit_append", broken_audit)
    with pytest.raises(RuntimeError, match="audit writer down"):
        client.post("/api/deals/", body, format="json")
    assert not Deal.objects.filter(name="Boundary deal").exists()
    assert (Deal.objects.count(), AuditEvent.objects.count()) == (deals, events)


def test_a_failure_after_a_part_insert_saves_nothing(world, monkeypatch):
    """The same for a tranche added to a draft: no tranche, no event, the deal's audit head unmoved."""
    client = _client(world, "originator_b")
    deal = _draft(world)
    tranches, events = Tranche.objects.count(), AuditEvent.objects.count()
    monkeypatch.setattr(deal_services, "_record_change", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("x")))
    with pytest.raises(RuntimeError):
        client.post(
            f"/api/deals/{deal.pk}/tranches/",
            {"name": "C", "tranche_class": "subordinated", "size": "1000000.00", "payment_priority": 50},
            format="json",
        )
    assert (Tranche.objects.count(), AuditEvent.objects.count()) == (tranches, events)
    assert Deal.objects.get(pk=deal.pk).audit_event_count == deal.audit_event_count


# --- the pages' forms --------------------------------------------------------------------------------------------


def _page_client(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def test_data_asset_form_money_boundary(world):
    """Book value through the edit page: the maximum is saved, a cent more and NaN are form errors."""
    asset = _asset("draft_b")(world)
    client = _page_client(world, "originator_b")
    url = reverse("data_asset_edit", args=[asset.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    for value in (OVER, ISSUE_VALUE, "-0.01", "NaN", "1e309"):
        response = client.post(url, data | {"book_value": value})
        assert response.status_code == 400, value
        assert "book_value" in response.context["form"].errors, value
        assert DataAsset.objects.get(pk=asset.pk).book_value == asset.book_value
    response = client.post(url, data | {"book_value": MAX})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert DataAsset.objects.get(pk=asset.pk).book_value == MONEY_MAX
    assert _page_client(world, "originator_b").get(reverse("data_asset_detail", args=[asset.pk])).status_code == 200


def test_deal_form_tenor_boundary(world):
    """Tenor through the deal's edit page: 600 months saved, 601 and 0 refused."""
    deal = _draft(world)
    client = _page_client(world, "originator_b")
    url = reverse("deal_edit", args=[deal.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}
    for value in ("601", "0", "-1", "1e309", "NaN"):
        response = client.post(url, data | {"tenor_months": value})
        assert response.status_code in (200, 400), value
        assert "tenor_months" in response.context["form"].errors, value
        assert Deal.objects.get(pk=deal.pk).tenor_months == deal.tenor_months
    response = client.post(url, data | {"tenor_months": "600"})
    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).tenor_months == 600


def test_pool_asset_form_rate_boundary(world):
    """A rate typed as a percentage on the pool asset page: 100 % saved, 100.0001 % and -0.0001 % refused."""
    deal = _draft(world)
    pool_asset = _part(PoolAsset, "draft_b")(world)
    client = _page_client(world, "originator_b")
    url = reverse("deal_pool_asset_edit", args=[deal.pk, pool_asset.pk])
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        data[name] = value
    for value in ("100.0001", "-0.0001", "NaN", "1e309"):
        response = client.post(url, data | {"recovery_rate_pct": value})
        assert "recovery_rate_pct" in response.context["form"].errors, value
        assert PoolAsset.objects.get(pk=pool_asset.pk).recovery_rate == pool_asset.recovery_rate
    response = client.post(url, data | {"recovery_rate_pct": "100"})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert PoolAsset.objects.get(pk=pool_asset.pk).recovery_rate == Decimal("1")


# --- the database ------------------------------------------------------------------------------------------------


def test_the_database_refuses_out_of_range_rows_that_skip_validation(world):
    """bulk_create and QuerySet.update skip the model's validators: the CHECK constraints still refuse."""
    deal = _draft(world)
    template = Deal.objects.get(pk=deal.pk)
    template.pk = None
    template.target_size = Decimal("0.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.bulk_create([template])
    # More digits than the column holds: PostgreSQL refuses them as an overflow (DataError) before any CHECK.
    for model, values in ((Deal, {"target_size": Decimal(OVER)}), (DataAsset, {"book_value": Decimal(OVER)})):
        with pytest.raises((IntegrityError, DataError)), transaction.atomic():
            model.objects.filter(pk__in=model.objects.values("pk")[:1]).update(**values)
    cases = [
        (Deal.objects.filter(pk=deal.pk), {"tenor_months": 601}),
        (Deal.objects.filter(pk=deal.pk), {"target_size": Decimal("-0.01")}),
        (Deal.objects.filter(pk=deal.pk), {"structuring_ratio": Decimal("10.001")}),
        (PoolAsset.objects.filter(deal=deal), {"rate": Decimal("1.0001")}),
        (PoolAsset.objects.filter(deal=deal), {"collateral_value": Decimal("-0.01")}),
        (Tranche.objects.filter(deal=deal), {"payment_priority": 100}),
        (DataAsset.objects.filter(pk=_asset("draft_b")(world).pk), {"book_value": Decimal("-0.01")}),
        (DataAsset.objects.filter(pk=_asset("draft_b")(world).pk), {"quality_accuracy": Decimal("100.01")}),
        (RiskProfile.objects.filter(pk=_profile(world).pk), {"max_tenor_months": 601}),
        (IndicationOfInterest.objects.filter(pk=_active_order(world).pk), {"yield_rate": Decimal("1.0001")}),
    ]
    for queryset, values in cases:
        with pytest.raises(IntegrityError), transaction.atomic():
            queryset.update(**values)
    assert Deal.objects.get(pk=deal.pk).tenor_months == deal.tenor_months
