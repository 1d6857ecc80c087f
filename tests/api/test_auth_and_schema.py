"""Token sign-in, the error body of unauthenticated calls, and the OpenAPI schema and its local docs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_token_endpoint_exchanges_credentials_for_a_token_that_authenticates(user_a):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 64  # knox: 256 random bits in hex, stored only as a hash

    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = token_client.get("/api/originators/")
    assert listing.status_code == 200
    assert [o["name"] for o in listing.json()["results"]] == ["Alpha Transport Data Co."]


def test_token_endpoint_refuses_a_wrong_password_with_the_error_body(user_a):
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert "non_field_errors" in body["fields"]


def test_a_bad_token_is_refused(user_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get("/api/deals/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize(
    "url", ["/api/deals/", "/api/data-assets/", "/api/revenue/", "/api/investors/", "/api/market/summary/"]
)
def test_anonymous_callers_get_not_authenticated(url):
    response = APIClient().get(url)
    # 403 while session authentication comes first in the settings, 401 once token authentication does.
    assert response.status_code in (401, 403)
    assert response.json() == {
        "code": "not_authenticated",
        "detail": response.json()["detail"],
        "fields": {},
    }


def test_unknown_object_and_unknown_method_use_stable_codes(client_for, user_a):
    client = client_for(user_a)
    assert_error(client.get("/api/deals/999999/"), 404, "not_found")
    assert_error(client.put("/api/deals/999999/", {}), 405, "method_not_allowed")


KEY_PATHS = [
    "/api/auth/token/",
    "/api/originators/",
    "/api/data-assets/",
    "/api/data-assets/{id}/revenue-upload/",
    "/api/data-rights/",
    "/api/revenue/",
    "/api/deals/",
    "/api/deals/{id}/",
    "/api/deals/{id}/transition/",
    "/api/deals/{id}/audit/",
    "/api/deals/{id}/pool-assets/",
    "/api/deals/{id}/pool-assets/{item_pk}/",
    "/api/deals/{id}/tranches/{item_pk}/",
    "/api/deals/{id}/credit-enhancements/{item_pk}/",
    "/api/deals/{id}/pledges/{item_pk}/",
    "/api/investors/",
    "/api/risk-profiles/{id}/",
    "/api/market/summary/",
]


def test_schema_view_serves_every_endpoint(client_for, user_a):
    response = client_for(user_a).get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    missing = [path for path in KEY_PATHS if path not in schema["paths"]]
    assert missing == []
    # The transition endpoint documents its request and the error body.
    transition = schema["paths"]["/api/deals/{id}/transition/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(transition["responses"])
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {"code", "detail", "fields"}


def test_schema_generates_without_errors_and_validates():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert dict(GENERATOR_STATS._error_cache) == {}
    # Warnings other than enum naming (which needs ENUM_NAME_OVERRIDES in the settings) are bugs.
    other_warnings = [w for w in GENERATOR_STATS._warn_cache if "enum naming" not in w and "choice set" not in w]
    assert other_warnings == []


def test_swagger_docs_render_from_local_static_files(client_for, user_a):
    response = client_for(user_a).get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html


# --- what the schema promises is what the API answers (issue 9, point 13) --------------------------------------


def _schema(client) -> dict:
    return client.get(reverse("schema"), {"format": "json"}).json()


def test_schema_lets_an_unassessed_item_have_a_blank_outcome_and_severity(client_for, user_a):
    item = _schema(client_for(user_a))["components"]["schemas"]["ReviewItem"]["properties"]
    for name in ("outcome", "severity"):
        variants = item[name].get("oneOf") or item[name].get("anyOf") or [item[name]]
        refs = {v.get("$ref", "").rsplit("/", 1)[-1] for v in variants}
        assert "BlankEnum" in refs, name


def test_schema_says_which_read_only_values_may_be_null(client_for, user_a):
    schemas = _schema(client_for(user_a))["components"]["schemas"]
    assert schemas["Evidence"]["properties"]["data_asset_name"]["nullable"] is True
    assert schemas["ValuationRun"]["properties"]["result"]["nullable"] is True
    assert schemas["ValuationRun"]["properties"]["duration_seconds"]["nullable"] is True
    assert schemas["MarketParameters"]["properties"]["created_by"]["nullable"] is True


def test_every_operation_documents_the_errors_around_every_view(client_for, user_a):
    schema = _schema(client_for(user_a))
    undocumented = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            expected = {"401", "403"}
            if "{" in path:
                expected.add("404")
            if operation.get("requestBody"):
                expected |= {"400", "415"}
            missing = expected - set(operation["responses"])
            if missing:
                undocumented.append((method.upper(), path, sorted(missing)))
    assert undocumented == []


def test_schema_decimal_strings_need_a_digit_and_empty_filters_are_documented(client_for, user_a):
    import re

    schema = _schema(client_for(user_a))
    size = schema["components"]["schemas"]["PatchedDealWriteRequest"]["properties"]["target_size"]["pattern"]
    assert not re.match(size, "")
    assert not re.match(size, ".")
    assert re.match(size, "100000000.00")
    assert re.match(size, "1.")
    deals = {p["name"]: p for p in schema["paths"]["/api/deals/"]["get"]["parameters"]}
    assert deals["status"]["allowEmptyValue"] is True
    assert APIClient().get("/api/deals/", {"status": ""}).status_code in (401, 403)
    assert client_for(user_a).get("/api/deals/", {"status": "", "page": ""}).status_code == 200


def test_an_unknown_api_address_answers_the_json_error_body(client_for, user_a):
    response = client_for(user_a).get("/api/deals/not-a-number/")
    assert_error(response, 404, "not_found")
