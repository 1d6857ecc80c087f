"""Revenue records and the revenue upload through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from origination.models import RevenueImport, RevenueRecord
from tests.factories import DataAssetFactory, add_monthly_revenue

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_originator_never_sees_another_companys_revenue(client_for, user_a, user_b):
    own = DataAssetFactory(originator=user_a.originator)
    other = DataAssetFactory(originator=user_b.originator)
    add_monthly_revenue(own, 3)
    add_monthly_revenue(other, 5)
    client = client_for(user_a)
    rows = _results(client.get("/api/revenue/"))
    assert len(rows) == 3
    assert {row["data_asset"] for row in rows} == {own.pk}
    assert _results(client.get("/api/revenue/", {"data_asset": other.pk})) == []
    other_record = RevenueRecord.objects.filter(data_asset=other).first()
    assert_error(client.get(f"/api/revenue/{other_record.pk}/"), 404, "not_found")


def test_investor_reads_no_revenue_row_and_no_summary_of_unpublished_assets(client_for, investor_staff, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    add_monthly_revenue(asset, 3)
    client = client_for(investor_staff)
    assert_error(client.get("/api/revenue/"), 403, "revenue_rows_not_disclosed")
    assert_error(client.get(f"/api/data-assets/{asset.pk}/revenue-summary/"), 404, "not_found")


def test_revenue_filters_by_asset_and_period_range_inclusive(client_for, user_a):
    first = DataAssetFactory(originator=user_a.originator)
    second = DataAssetFactory(originator=user_a.originator)
    add_monthly_revenue(first, 12, start=dt.date(2024, 1, 1))
    add_monthly_revenue(second, 12, start=dt.date(2024, 1, 1))
    client = client_for(user_a)
    rows = _results(
        client.get("/api/revenue/", {"data_asset": first.pk, "period_from": "2024-03-01", "period_to": "2024-05-01"})
    )
    assert [row["period"] for row in rows] == ["2024-03-01", "2024-04-01", "2024-05-01"]
    assert {row["data_asset"] for row in rows} == {first.pk}
    assert {row["amount"] for row in rows} == {"100000.00"}


def test_a_malformed_period_filter_is_a_400(client_for, user_a):
    body = assert_error(client_for(user_a).get("/api/revenue/", {"period_from": "March"}), 400, "invalid")
    assert "period_from" in body["fields"]


# --- upload ------------------------------------------------------------------------------------------------------

GOOD_CSV = (
    "period,amount,revenue_type,counterparty,contract\n"
    "2024-01,120000.00,licence,China Mobile,LIC-01\n"
    "2024-02,125000.50,licence,China Mobile,LIC-01\n"
    "2024-02,30000,api_usage,Ping An,API-07\n"
)
# Line 3 has a negative amount, line 5 an unknown type; lines are counted as in a spreadsheet (header = 1).
BAD_CSV = (
    "period,amount,revenue_type,counterparty,contract\n"
    "2024-01,120000.00,licence,China Mobile,LIC-01\n"
    "2024-02,-5,licence,China Mobile,LIC-01\n"
    "2024-03,125000.00,licence,China Mobile,LIC-01\n"
    "2024-04,1000.00,barter,China Mobile,LIC-01\n"
)


def _csv(text: str, name: str = "revenue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_a_good_file_is_imported_with_its_row_count(client_for, user_a):
    pytest.importorskip("origination.revenue_import")
    asset = DataAssetFactory(originator=user_a.originator)
    response = client_for(user_a).post(
        f"/api/data-assets/{asset.pk}/revenue-upload/", {"file": _csv(GOOD_CSV)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["row_count"] == 3
    # 120,000.00 + 125,000.50 + 30,000 = 275,000.50
    assert body["total_amount"] == "275000.50"
    assert body["file_name"] == "revenue.csv"
    assert RevenueRecord.objects.filter(data_asset=asset).count() == 3
    assert RevenueImport.objects.get(pk=body["id"]).uploaded_by == user_a


def test_a_file_with_bad_rows_saves_nothing_and_names_the_lines(client_for, user_a):
    pytest.importorskip("origination.revenue_import")
    asset = DataAssetFactory(originator=user_a.originator)
    response = client_for(user_a).post(
        f"/api/data-assets/{asset.pk}/revenue-upload/", {"file": _csv(BAD_CSV)}, format="multipart"
    )
    body = assert_error(response, 400, "revenue_rows_invalid")
    rows = body["fields"]["rows"]
    # Line numbers are JSON numbers, as a client would sort or compare them.
    assert sorted(row["line"] for row in rows) == [3, 5]
    assert {(row["line"], row["column"]) for row in rows} == {(3, "amount"), (5, "revenue_type")}
    assert all(row["message"] for row in rows)
    assert not RevenueRecord.objects.exists()
    assert not RevenueImport.objects.exists()


def test_an_upload_without_a_file_is_a_400_on_the_file_field(client_for, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    response = client_for(user_a).post(f"/api/data-assets/{asset.pk}/revenue-upload/", {}, format="multipart")
    body = assert_error(response, 400, "invalid")
    assert "file" in body["fields"]


def test_another_company_cannot_upload_revenue_to_an_asset(client_for, user_a, user_b):
    pytest.importorskip("origination.revenue_import")
    asset = DataAssetFactory(originator=user_a.originator)
    response = client_for(user_b).post(
        f"/api/data-assets/{asset.pk}/revenue-upload/", {"file": _csv(GOOD_CSV)}, format="multipart"
    )
    assert_error(response, 404, "not_found")
    assert not RevenueRecord.objects.exists()


def test_compliance_may_see_but_not_upload(client_for, compliance_user, user_a):
    pytest.importorskip("origination.revenue_import")
    from deals.choices import DealStatus
    from tests.factories import PoolAsset

    from .conftest import deal_in_status

    asset = DataAssetFactory(originator=user_a.originator)
    deal = deal_in_status(user_a.originator, user_a, DealStatus.IN_REVIEW)
    PoolAsset.objects.create(
        deal=deal, obligor="X", kind="licence_revenue", principal=Decimal(1), maturity_date=dt.date(2030, 1, 1)
    ).data_assets.add(asset)
    response = client_for(compliance_user).post(
        f"/api/data-assets/{asset.pk}/revenue-upload/", {"file": _csv(GOOD_CSV)}, format="multipart"
    )
    assert_error(response, 403, "forbidden")
    assert not RevenueRecord.objects.exists()


def test_revenue_list_has_a_bounded_number_of_queries(client_for, user_a, django_assert_max_num_queries):
    add_monthly_revenue(DataAssetFactory(originator=user_a.originator), 24)
    client = client_for(user_a)
    with django_assert_max_num_queries(3):
        assert len(_results(client.get("/api/revenue/"))) == 24
