"""Investors see a deal's revenue as aggregates only: no counterparty name, no contract reference, anywhere.

Until the disclosure tiers exist (issue 13), an investor reads monthly revenue
totals, the number of counterparties and concentration shares of a published
deal's data, and nothing that names a licensee or a contract: not on a page,
not in the API, not in an export. The crawl below is generated from the URL
router, so a route added later is covered without editing this file. The
originator reads its own rows; compliance and the arranger read them as before.
"""

# ruff: noqa: F811 - fixtures imported from valuation_page_fixtures are used as test arguments

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.urls import URLResolver, get_resolver, reverse

from deals import services, workflow
from deals.compliance.models import ComplianceReview, ReviewItem
from deals.models import CreditEnhancement, Pledge, PoolAsset, Tranche, ValuationRun
from investors.match_jobs import match_execute
from investors.models import IndicationOfInterest, MatchRun
from investors.orders import order_place
from origination.models import DataAsset, DataRight, RevenueImport, RevenueRecord
from tests.deals.valuation_page_fixtures import approve, value
from tests.factories import InvestorFactory, RiskProfileFactory, investor_user, submittable_deal

pytestmark = pytest.mark.django_db
M = Decimal("1000000")

# Names no page would print by chance: the licensees and their contracts.
LICENSEES = ("Zephyrine Orbital Licensee Ltd", "Quillmoor Cartography Bureau")
CONTRACTS = ("CTR-ZEPHYR-0091", "CTR-QUILL-7713")
SECRETS = (*LICENSEES, *CONTRACTS)


def _name_the_licensees(asset: DataAsset) -> None:
    """The asset's 24 months of 100,000 CNY go to two named licensees: 75,000 and 25,000 a month."""
    rows = list(RevenueRecord.objects.filter(data_asset=asset).order_by("period"))
    for row in rows:
        row.counterparty, row.contract_ref, row.amount = LICENSEES[0], CONTRACTS[0], Decimal("75000.00")
    RevenueRecord.objects.bulk_update(rows, ["counterparty", "contract_ref", "amount"])
    RevenueRecord.objects.bulk_create(
        RevenueRecord(
            data_asset=asset, period=row.period, amount=Decimal("25000.00"), revenue_type="licence",
            counterparty=LICENSEES[1], contract_ref=CONTRACTS[1],
        )
        for row in rows
    )  # fmt: skip


@pytest.fixture
def published(user_a, compliance_user, arranger_user, django_capture_on_commit_callbacks):
    """A licence deal of company A whose data earns from two named licensees, valued, published, in book building.

    As on the platform, each licence stream of the pool names its licensee as obligor.
    """
    deal = submittable_deal(user_a, months=24, size=Decimal("2000000.00"))
    asset = DataAsset.objects.get(pool_assets__deal=deal)
    _name_the_licensees(asset)
    # Through the service, as the page does: the deal's audit log records the change with the licensee's name.
    services.pool_asset_update(actor=user_a, pool_asset=PoolAsset.objects.get(deal=deal), obligor=LICENSEES[0])
    deal = approve(deal, user_a, compliance_user)
    deal, run = value(deal, arranger_user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.deal_publish(deal=deal, actor=arranger_user)
        workflow.deal_open_book(deal=deal, actor=arranger_user)
    match_execute(run_id=MatchRun.objects.create(scope="all").pk)
    return deal, asset, run


@pytest.fixture
def holder(published):
    """Investor staff of a C5 institution with an order on the deal's senior tranche."""
    deal, _asset, _run = published
    user = investor_user(InvestorFactory(name="Prudent Life Insurance"))
    RiskProfileFactory(investor=user.investor, risk_tolerance="C5", min_rating="NR", ticket_min=0, ticket_max=100 * M)
    senior = Tranche.objects.get(deal=deal, payment_priority=1)
    order_place(actor=user, tranche=senior, amount=Decimal("1000000"), yield_rate=Decimal("0.0300"))
    return user


# --- the crawl ---------------------------------------------------------------------------------------------------


def _routes():
    """(name, parameter names) of every named route outside the admin, each once."""

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif p.name and namespace != "admin":
                yield p.name, tuple(p.pattern.regex.groupindex)

    seen = {}
    for name, params in walk(get_resolver().url_patterns):
        if "format" not in params:  # the .json suffix variants answer as the plain route does
            seen.setdefault(name, params)
    return sorted(seen.items())


def _candidates(deal, asset) -> dict[str, list[int]]:
    """Ids to try for each URL parameter: every object of the deal an investor might address."""
    objects = [
        deal, asset, deal.originator,
        *Tranche.objects.filter(deal=deal), *PoolAsset.objects.filter(deal=deal),
        *CreditEnhancement.objects.filter(deal=deal), *Pledge.objects.filter(deal=deal),
        *ValuationRun.objects.filter(deal=deal), *DataRight.objects.filter(data_asset=asset),
        *RevenueRecord.objects.filter(data_asset=asset).order_by("pk")[:2],
        *ComplianceReview.objects.filter(deal=deal), *ReviewItem.objects.filter(review__deal=deal)[:3],
        *IndicationOfInterest.objects.filter(tranche__deal=deal),
    ]  # fmt: skip
    every = sorted({o.pk for o in objects})
    return {
        "pk": every,
        "deal_id": [deal.pk],
        "run_id": list(ValuationRun.objects.filter(deal=deal).values_list("pk", flat=True)),
        "tranche_pk": list(Tranche.objects.filter(deal=deal).values_list("pk", flat=True)),
        "order_pk": list(IndicationOfInterest.objects.filter(tranche__deal=deal).values_list("pk", flat=True)),
        "part_pk": every,
        "item_pk": every,
        "evidence_pk": every,
        "right_pk": list(DataRight.objects.filter(data_asset=asset).values_list("pk", flat=True)),
        "change_pk": every,
        "import_pk": list(RevenueImport.objects.filter(data_asset=asset).values_list("pk", flat=True)) or every,
    }


def _urls(deal, asset):
    candidates = _candidates(deal, asset)
    for name, params in _routes():
        if not params:
            yield name, reverse(name)
            continue
        first, *rest = params
        for given in candidates[first]:
            if not rest:
                yield name, reverse(name, kwargs={first: given})
                continue
            for other in candidates[rest[0]]:
                yield name, reverse(name, kwargs={first: given, rest[0]: other})


def _text(response) -> str:
    """The body as text; a workbook (a zip of XML parts) unpacked part by part."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return body.decode("utf-8", "replace")


def test_no_route_an_investor_reaches_names_a_licensee_or_a_contract(published, holder, client):
    deal, asset, _run = published
    client.force_login(holder)
    read, leaks = set(), []
    for name, url in _urls(deal, asset):
        response = client.get(url)
        if response.status_code != 200:
            continue
        read.add(name)
        text = _text(response)
        leaks += [(url, secret) for secret in SECRETS if secret in text]
    assert leaks == [], "\n".join(map(str, leaks))
    # The crawl did read the deal, its data and its valuation, where the names would show.
    assert {
        "deal_detail", "data_asset_detail", "deal_valuation", "deal_valuation_xlsx", "deal_valuation_csv",
        "deal_book", "product_detail", "product_list", "deal-detail", "data-asset-detail", "data-asset-list",
        "valuation-run-detail", "data-asset-revenue-summary",
    } <= read  # fmt: skip


def test_the_same_crawl_as_the_originator_finds_the_names(published, user_a, client):
    """The crawl can see a leak: the originator, who may read its rows, finds every name and contract."""
    deal, asset, _run = published
    client.force_login(user_a)
    found = set()
    for _name, url in _urls(deal, asset):
        response = client.get(url)
        if response.status_code == 200:
            text = _text(response)
            found |= {secret for secret in SECRETS if secret in text}
    assert found == set(SECRETS)


# --- the revenue API: rows for those who may read them, aggregates for everyone who sees the asset -------------


def test_investor_reads_no_revenue_row_and_is_told_where_the_aggregates_are(published, holder, api_as):
    _deal, asset, _run = published
    client = api_as(holder)
    listing = client.get("/api/revenue/", {"data_asset": asset.pk})
    assert listing.status_code == 403
    assert listing.json()["code"] == "revenue_rows_not_disclosed"
    assert "/api/data-assets/{id}/revenue-summary/" in listing.json()["detail"]
    row = RevenueRecord.objects.filter(data_asset=asset).first()
    assert client.get(f"/api/revenue/{row.pk}/").status_code == 403


def test_revenue_summary_gives_monthly_totals_counterparties_and_concentration(published, holder, api_as):
    _deal, asset, _run = published
    summary = api_as(holder).get(f"/api/data-assets/{asset.pk}/revenue-summary/")
    assert summary.status_code == 200
    body = summary.json()
    # 24 months of 75,000 + 25,000: totals of 100,000, two licensees, the larger 75 % of the revenue.
    assert len(body["monthly"]) == 24
    assert {m["total"] for m in body["monthly"]} == {"100000.00"}
    assert body["monthly"][0]["month"] == RevenueRecord.objects.order_by("period").first().period.strftime("%Y-%m")
    assert body["total"] == "2400000.00"
    assert body["counterparties"] == 2
    assert body["top_counterparty_share"] == "0.7500"
    assert body["top5_share"] == "1.0000"
    assert body["hhi"] == "0.6250"  # 0.75² + 0.25²
    assert set(body) == {
        "data_asset", "months", "monthly", "total", "counterparties", "top_counterparty_share", "top5_share", "hhi",
    }  # fmt: skip
    assert not any(secret in summary.content.decode() for secret in SECRETS)


def test_originator_reads_its_own_rows_compliance_and_arranger_read_them_too(
    published, user_a, user_b, compliance_user, arranger_user, api_as
):
    _deal, asset, _run = published
    for user in (user_a, compliance_user, arranger_user):
        rows = api_as(user).get("/api/revenue/", {"data_asset": asset.pk, "page_size": 100}).json()
        assert rows["count"] == 48
        assert {r["counterparty"] for r in rows["results"]} == set(LICENSEES)
        assert {r["contract_ref"] for r in rows["results"]} == set(CONTRACTS)
    # Another originator reads neither the rows nor the summary of an asset that is not its own.
    other = api_as(user_b)
    assert other.get("/api/revenue/", {"data_asset": asset.pk}).json()["count"] == 0
    assert other.get(f"/api/data-assets/{asset.pk}/revenue-summary/").status_code == 404


def test_the_data_asset_page_shows_the_investor_counterparty_count_and_top_share(published, holder, client):
    _deal, asset, _run = published
    client.force_login(holder)
    page = client.get(reverse("data_asset_detail", args=[asset.pk])).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "2 counterparties, largest 75.00 %" in text


def test_the_deal_shows_investors_the_pool_without_the_licensees_names(published, holder, user_a, client, api_as):
    deal, _asset, _run = published
    pool = api_as(holder).get(f"/api/deals/{deal.pk}/").json()["pool_assets"]
    assert [p["obligor"] for p in pool] == ["Obligor 1"]
    assert pool[0]["principal"] == str(PoolAsset.objects.get(deal=deal).principal)
    assert api_as(user_a).get(f"/api/deals/{deal.pk}/").json()["pool_assets"][0]["obligor"] == LICENSEES[0]
    client.force_login(holder)
    page = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "Obligor 1" in page
    assert LICENSEES[0] not in page


def test_the_audit_log_shows_investors_the_pool_change_without_the_licensees_name(published, holder, user_a, api_as):
    deal, _asset, _run = published
    change = "pool_asset_changed"
    mine = [e for e in api_as(holder).get(f"/api/deals/{deal.pk}/audit/").json() if e["action"] == change]
    assert len(mine) == 1
    assert "obligor withheld" in mine[0]["reason_text"]
    assert LICENSEES[0] not in mine[0]["reason"]
    theirs = [e for e in api_as(user_a).get(f"/api/deals/{deal.pk}/audit/").json() if e["action"] == change]
    assert LICENSEES[0] in theirs[0]["reason_text"]
