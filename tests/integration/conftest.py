"""Integration tests commit for real (the worker is another process), so each flushes the tables after it.

The flush also removes rows that data migrations put there (the market
parameters, the checklist templates); they are loaded again before each test
that lacks them, with the migrations' own functions.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

DATA_MIGRATIONS = (
    ("deals.migrations.0004_default_market_parameters", "create", "deals.MarketParameters"),
    ("deals.migrations.0006_checklist_template_v1", "load_v1", "deals.ChecklistTemplate"),
)


@pytest.fixture(autouse=True)
def _data_from_migrations(request):
    if "transactional_db" not in request.fixturenames and not any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db")
    ):
        return
    request.getfixturevalue("transactional_db")
    for module, function, model in DATA_MIGRATIONS:
        if not apps.get_model(model).objects.exists():
            getattr(importlib.import_module(module), function)(apps, None)
