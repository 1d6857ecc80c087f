"""Mass assignment: a field the server controls cannot be set by sending it, on any write the API offers.

The writes and their fields come from the OpenAPI schema, so a new serializer is covered the day it ships: for every
POST, PUT and PATCH with a JSON body, the server-controlled fields are those the response shows but the request
does not take (ids, owner and company, status, created_by and audit times, computed ratings, product risk levels,
valuation results...). Each write is sent by the user who may make it, with a valid body (an update sends only the
server's fields; a create copies an existing object's writable fields) plus a hostile value for every server
field: the object afterwards holds none of them. A write the table below cannot make fails the test, naming it.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from deals.compliance.models import ComplianceReview, FactChange, ReviewItem
from deals.models import CreditEnhancement, Pledge, PoolAsset, Tranche
from investors.models import IndicationOfInterest, RiskProfile
from investors.questionnaire import QUESTIONS
from tests.factories import make_uscc

from .world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def _component(schema: dict[str, Any], node: dict[str, Any] | None) -> dict[str, Any]:
    """The object schema a request or response body points at (through $ref, allOf, or a list's items)."""
    while node is not None:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        elif node.get("type") == "array":
            node = node["items"]
        elif "allOf" in node:
            node = node["allOf"][0]
        else:
            return node
    return {}


def json_writes(schema: dict[str, Any]) -> list[tuple[str, str, dict, dict]]:
    """(method, path, request properties, response properties) of every JSON write."""
    writes = []
    for path, item in schema["paths"].items():
        for method in ("post", "put", "patch"):
            operation = item.get(method)
            if not operation or "application/json" not in operation.get("requestBody", {}).get("content", {}):
                continue
            request = _component(schema, operation["requestBody"]["content"]["application/json"]["schema"])
            success = next(v for k, v in sorted(operation["responses"].items()) if k.startswith("2"))
            response = _component(schema, success.get("content", {}).get("application/json", {}).get("schema"))
            writes.append((method.upper(), path, request.get("properties", {}), response.get("properties", {})))
    return writes


def server_fields(request: dict, response: dict) -> dict[str, dict]:
    """What the response shows and the request does not take: the server's to set."""
    return {name: spec for name, spec in response.items() if name not in request}


def hostile_value(world: World, name: str, spec: dict, schema: dict, variant: int) -> Any:
    """A value the attacker would like the field to have: another organisation's ids, a late status, a top rating.

    Two variants differ in every field: a field took a hostile value only if it holds it after both writes, so a
    write whose own effect happens to equal one of them (a withdrawal's status) is not mistaken for an injection.
    """
    foreign = {
        "originator": (world.users["originator_a"].originator_id, 987654),
        "investor": (world.users["investor_a"].investor_id, 987654),
        "deal": (world.deals["review_a"].pk, world.deals["draft_a"].pk),
        "created_by": ("alice", "ivy"),
        "uploaded_by": ("alice", "ivy"),
        "requested_by": (world.users["originator_a"].pk, world.users["investor_a"].pk),
    }
    if name in foreign:
        return foreign[name][variant]
    spec = _component(schema, spec) if "$ref" in spec or "allOf" in spec else spec
    if "enum" in spec:
        values = [v for v in spec["enum"] if v]
        return values[-1] if variant == 0 else values[0]
    if spec.get("format") == "date-time":
        return ("2000-01-01T00:00:00Z", "2001-02-03T04:05:06Z")[variant]
    if spec.get("format") == "date":
        return ("2000-01-01", "2001-02-03")[variant]
    values = {"integer": (987654, 876543), "number": (0.987, 0.876), "boolean": (True, False),
              "object": ({"injected": True}, {"injected": 2}), "array": (["injected"], ["injected", 2])}  # fmt: skip
    return values.get(spec.get("type"), ("injected", "injected-2"))[variant]


# --- who writes what, on which object --------------------------------------------------------------------------


def _writer(world: World, path: str) -> str:
    if path.startswith(("/api/originators/", "/api/comparable-transactions/", "/api/valuation-runs/")):
        return "arranger"
    if path.startswith(("/api/risk-profiles/", "/api/orders/", "/api/questionnaire/")):
        return "investor_b"
    if path.endswith(("/assessment/", "/decision/", "/resolve/")):
        return "compliance"
    return "originator_b"


def _path_and_base(world: World, method: str, path: str, client: APIClient) -> tuple[str, dict] | None:
    """The concrete URL and a valid body without server fields, or None when the table has no entry."""
    draft, review = world.deals["draft_b"], world.deals["review_b"]
    asset = review.pool_assets.get().data_assets.get()
    order = IndicationOfInterest.objects.get(investor=world.users["investor_b"].investor, status="active")
    junior = Tranche.objects.get(deal=world.deals["public_a"], payment_priority=2)
    parts = {"pool-assets": PoolAsset, "tranches": Tranche, "credit-enhancements": CreditEnhancement,
             "pledges": Pledge}  # fmt: skip

    def copy_of(url: str, request_fields: set[str], **changes: Any) -> dict:
        data = client.get(url).json()
        return {k: v for k, v in data.items() if k in request_fields} | changes

    ids = {"id": None, "item_pk": None}
    if path.startswith("/api/deals/{id}/"):
        ids["id"] = draft.pk
        part = path.split("/")[4]
        if part in parts and "{item_pk}" in path:
            ids["item_pk"] = parts[part].objects.filter(deal=draft).order_by("pk").first().pk
        if part == "transition":
            ids["id"] = review.pk
    elif path.startswith("/api/data-assets/{id}/"):
        ids["id"] = asset.pk
    elif path.startswith("/api/risk-profiles/{id}/"):
        ids["id"] = RiskProfile.objects.get(investor=world.users["investor_b"].investor).pk
    elif path.startswith("/api/orders/{id}/"):
        ids["id"] = order.pk
    elif path.startswith("/api/review-items/{id}/"):
        ids["id"] = ReviewItem.objects.filter(review__deal=review, outcome="").order_by("pk").first().pk
    elif path.startswith("/api/compliance-reviews/{id}/fact-changes/"):
        # The finding a fact changed after issue raised on company B's issued deal (tests/api/world.py).
        issued = world.deals["public_b"]
        ids["id"] = ComplianceReview.objects.get(deal=issued).pk
        ids["change_pk"] = FactChange.objects.filter(deal=issued).order_by("pk").first().pk
    elif path.startswith("/api/compliance-reviews/{id}/"):
        ids["id"] = ComplianceReview.objects.get(deal=review).pk
    elif path.startswith("/api/data-rights/{id}/"):
        ids["id"] = asset.rights.order_by("pk").first().pk
    url = path.replace("{id}", str(ids["id"])).replace("{item_pk}", str(ids["item_pk"]))
    url = url.replace("{change_pk}", str(ids.get("change_pk")))
    bodies: dict[tuple[str, str], dict] = {
        ("POST", "/api/auth/token/"): {"username": "bob", "password": "pass-for-tests-1"},
        ("POST", "/api/deals/{id}/transition/"): {"action": "withdraw", "reason": "Market conditions."},
        ("POST", "/api/valuation-runs/"): {"deal": world.deals["public_b"].pk, "n_paths": 1000},
        ("POST", "/api/orders/"): {"tranche": junior.pk, "amount": "2000000.00", "yield_rate": "0.0530"},
        ("POST", "/api/orders/{id}/amend/"): {"amount": "3000000.00", "yield_rate": "0.0230"},
        ("POST", "/api/questionnaire/"): {"answers": {q.key: q.options[-1].value for q in QUESTIONS}},
        ("POST", "/api/review-items/{id}/answer/"): {"text": "Consent records are kept for five years."},
        ("POST", "/api/review-items/{id}/assessment/"): {"outcome": "pass"},
        ("POST", "/api/compliance-reviews/{id}/decision/"): {"decision": "request_changes", "reason": "More."},
        ("POST", "/api/data-rights/{id}/revoke/"): {"reason": "The registry cancelled the certificate."},
        ("POST", "/api/compliance-reviews/{id}/fact-changes/{change_pk}/resolve/"): {
            "resolution": "Cross-border flow checked: the CAC filing covers it."
        },
        ("POST", "/api/originators/"): {"name": "Gamma Data Co.", "uscc": make_uscc(990), "industry": "Data",
                                        "region": "Beijing", "ownership_type": "private", "credit_rating": "AA"},
    }  # fmt: skip
    if (method, path) in bodies:
        return url, bodies[method, path]
    if method == "PUT":
        return url, lambda fields: copy_of(url, fields)
    if method == "PATCH":
        return url, {}
    copies = {
        "/api/data-assets/": lambda f: copy_of(f"/api/data-assets/{asset.pk}/", f, name="Copied asset"),
        "/api/data-rights/": lambda f: copy_of(
            f"/api/data-rights/{asset.rights.order_by('pk').first().pk}/", f, certificate_no="SZDE-COPY-1"
        ),
        "/api/deals/": lambda f: copy_of(f"/api/deals/{draft.pk}/", f, name="Copied deal"),
        "/api/comparable-transactions/": lambda f: copy_of(
            "/api/comparable-transactions/" + str(client.get("/api/comparable-transactions/").json()["results"][0]["id"])
            + "/", f, description="Copied licence",
        ),
    }  # fmt: skip
    part = path.split("/")[4] if path.startswith("/api/deals/{id}/") else None
    if path in copies:
        return url, copies[path]
    if part in parts:
        return url, part
    return None


def test_no_write_lets_a_client_set_a_field_the_server_controls(world):
    schema = APIClient().get(reverse("schema"), {"format": "json"}).json()
    unhandled, changed, refused, tried = [], [], [], 0
    for method, path, request_props, response_props in json_writes(schema):
        controlled = server_fields(request_props, response_props)
        if not controlled:
            continue
        client = APIClient()
        client.force_authenticate(world.users[_writer(world, path)])
        found = _path_and_base(world, method, path, client)
        if found is None:
            unhandled.append(f"{method} {path}")
            continue
        url, base = found
        if callable(base):
            base = base(set(request_props))
        elif isinstance(base, str):  # a part of a deal: copy the draft's first one
            part_url = url.rstrip("/") + "/"
            model = {"pool-assets": PoolAsset, "tranches": Tranche, "credit-enhancements": CreditEnhancement,
                     "pledges": Pledge}[base]  # fmt: skip
            existing = client.get(f"/api/deals/{world.deals['draft_b'].pk}/").json()[base.replace("-", "_")][0]
            base = {k: v for k, v in existing.items() if k in request_props}
            if model is Tranche:
                base |= {"name": "Copied tranche", "payment_priority": 3}
            if model is Pledge:
                base |= {"data_asset": world.deals["review_b"].pool_assets.get().data_assets.get().pk}
            url = part_url
        runs = []
        for variant in (0, 1):
            hostile = {name: hostile_value(world, name, spec, schema, variant) for name, spec in controlled.items()}
            with transaction.atomic():  # each write starts from the same platform
                before = _state(client, method, url)
                response = getattr(client, method.lower())(url, {**base, **hostile}, format="json")
                after = _state(client, method, url, response) if response.status_code < 300 else {}
                transaction.set_rollback(True)
            assert response.status_code < 500, (method, url, response.content[:300])
            runs.append((hostile, before, after, response))
        tried += 1
        if any(run[3].status_code >= 300 for run in runs):
            refused.append(f"{method} {path}: {response.status_code} {response.content[:200]!r}")
            continue
        for name in controlled:
            if all(_same(after.get(name, object()), hostile[name]) for hostile, _, after, _ in runs):
                before, after = runs[0][1], runs[0][2]
                changed.append(f"{method} {path}: {name} {before.get(name)!r} -> {after.get(name)!r}")
    print(f"mass assignment: {tried} writes tried with their server-controlled fields, {len(refused)} refused:")
    print("\n".join(refused))
    assert unhandled == []
    assert changed == []


def _state(client: APIClient, method: str, url: str, response=None) -> dict:
    """The object as the API shows it: after a create, the response; around an update, a fresh read if there is one."""
    if method == "POST" and response is not None:
        body = response.json()
        return body if isinstance(body, dict) else {}
    part = re.fullmatch(r"/api/deals/(\d+)/([a-z-]+)/(\d+)/", url)
    if method in ("PUT", "PATCH") and part:  # parts are read in their deal
        deal = client.get(f"/api/deals/{part[1]}/").json()
        return next((p for p in deal.get(part[2].replace("-", "_"), []) if p["id"] == int(part[3])), {})
    if method in ("PUT", "PATCH"):
        read = client.get(url)
        if read.status_code == 200:
            return read.json()
        return response.json() if response is not None else {}
    return {}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str | int | float) and isinstance(b, str | int | float):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return str(a) == str(b)
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
