"""Helpers of the API tests: clients signed in as each role, and deals standing in a given status."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from deals.models import Deal
from tests.factories import DealFactory


@pytest.fixture
def client_for():
    """`client_for(user)` returns a fresh API client signed in as that user (several may be used at once)."""

    def _client(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return _client


def deal_in_status(originator, created_by, status: str, **fields) -> Deal:
    """A deal row already standing in `status` (set directly: the workflow itself is tested elsewhere)."""
    return DealFactory(originator=originator, created_by=created_by, status=status, **fields)


def assert_error(response, status_code: int, code: str) -> dict:
    """The response is the API error body {"code", "detail", "fields"} with this status and code."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["fields"], dict)
    return body
