"""The investor's walk on the demo data, page by page with the test client.

The demo investor signs in, reads why its top product suits it, registers
interest; the demo originator of that product sees the order in its book.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from demo.seed import DEMO_PASSWORD, seed_demo
from investors.match_jobs import match_execute
from investors.models import IndicationOfInterest, MatchRun

pytestmark = pytest.mark.django_db


def _sign_in(username: str) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD}).status_code == 302
    return client


def test_demo_investor_reads_why_its_top_product_suits_it_and_the_originator_sees_the_order(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_demo()
    match_execute(run_id=MatchRun.objects.create(scope="all").pk)  # what the seed queues after its commit

    ivy = _sign_in("ivy")
    products = ivy.get(reverse("product_list")).content.decode()
    assert "Suitable for you" in products
    top = re.search(r'href="/products/(\d+)/"', products)
    assert top, "the demo investor has no matched product"
    deal_id = int(top.group(1))
    product = ivy.get(reverse("product_detail", args=[deal_id])).content.decode()
    assert "✓ Product risk R2 against your tolerance C2." in product
    assert "Register interest" in product

    book = ivy.get(reverse("deal_book", args=[deal_id])).content.decode()
    tranche_id = int(re.search(r"/book/tranches/(\d+)/order/", book).group(1))
    ivy.post(
        reverse("order_submit", args=[deal_id, tranche_id]),
        {f"t{tranche_id}-amount": "60000000", f"t{tranche_id}-yield_pct": "1.95"},
    )
    order = IndicationOfInterest.objects.get(investor__staff__username="ivy")
    assert order.amount == 60_000_000

    originator = order.tranche.deal.originator.staff.first()
    whole_book = _sign_in(originator.username).get(reverse("deal_book", args=[deal_id])).content.decode()
    assert order.investor.name in whole_book
    assert "60,000,000.00" in whole_book
