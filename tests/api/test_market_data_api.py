"""Market data through the API: the series (list, one row, upload, CSV), the comparables register, errors, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.models import ComparableTransaction, MarketParameters

from .conftest import assert_error

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "market"
COMPARABLE_HEADER = "category,description,venue,transaction_date,price,annual_revenue,source"
GOOD_COMPARABLE = "transport,Traffic flow licence,Shanghai Data Exchange,2025-06-18,12000000,3000000,SDE 031"


def two_dates() -> SimpleUploadedFile:
    return SimpleUploadedFile("two_dates.csv", (DATA / "two_dates.csv").read_bytes(), content_type="text/csv")


def text_file(lines: list[str], name: str = "file.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")


@pytest.fixture
def series(db):
    """2025-01-31, 2025-06-30 twice (the second replaces the first) and 2025-12-31; no other row."""
    MarketParameters.objects.all().delete()
    rows = {}
    for name, day in (("january", "2025-01-31"), ("june_first", "2025-06-30"), ("june", "2025-06-30"),
                      ("december", "2025-12-31")):  # fmt: skip
        rows[name] = MarketParameters.objects.create(
            as_of=dt.date.fromisoformat(day),
            benchmark_curve=[[1, 0.0135], [5, 0.0155]],
            rating_spreads={"AAA": 0.0045},
            source=name,
        )
    return rows


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- the series: reads -------------------------------------------------------------------------------------------


def test_everyone_signed_in_lists_the_series_newest_first(client_for, series, user_a, investor_staff, compliance_user):
    expected = [series[name].pk for name in ("december", "june", "june_first", "january")]
    for user in (user_a, investor_staff, compliance_user):
        response = client_for(user).get("/api/market-parameters/")
        assert response.status_code == 200
        assert _ids(response) == expected


def test_the_series_list_filters_by_an_as_of_range(client_for, series, user_a):
    response = client_for(user_a).get("/api/market-parameters/", {"as_of_from": "2025-06-30", "as_of_to": "2025-12-30"})
    assert response.status_code == 200
    assert _ids(response) == [series["june"].pk, series["june_first"].pk]


def test_the_series_list_has_a_pinned_number_of_queries(client_for, series, arranger_user, django_assert_num_queries):
    for day in range(1, 21):
        MarketParameters.objects.create(
            as_of=dt.date(2024, 3, day),
            benchmark_curve=[[1, 0.01], [2, 0.011]],
            rating_spreads={},
            created_by=arranger_user,
        )
    client = client_for(arranger_user)
    # One count for the page, one select with the uploader joined and the "replaced" flag as a subquery.
    with django_assert_num_queries(2):
        response = client.get("/api/market-parameters/")
    assert response.json()["count"] == 24
    assert {row["created_by"] for row in response.json()["results"] if row["as_of"].startswith("2024")} == {"arthur"}


def test_one_row_reads_with_its_curve_and_whether_it_was_replaced(client_for, series, user_a):
    client = client_for(user_a)
    replaced = client.get(f"/api/market-parameters/{series['june_first'].pk}/")
    assert replaced.status_code == 200
    body = replaced.json()
    assert body["as_of"] == "2025-06-30"
    assert body["benchmark_curve"] == [[1, 0.0135], [5, 0.0155]]
    assert body["superseded"] is True
    assert client.get(f"/api/market-parameters/{series['june'].pk}/").json()["superseded"] is False
    assert_error(client.get("/api/market-parameters/999999/"), 404, "not_found")


def test_the_series_is_not_read_without_signing_in(api_client, series):
    assert_error(api_client.get("/api/market-parameters/"), 401, "not_authenticated")


# --- the series: upload ------------------------------------------------------------------------------------------


def test_the_arranger_uploads_two_dates_and_gets_the_created_rows(client_for, arranger_user):
    before = MarketParameters.objects.count()  # the data migration's 2025-11-28 row
    response = client_for(arranger_user).post(
        "/api/market-parameters/upload/", {"file": two_dates(), "source": "ChinaBond"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [row["as_of"] for row in body["created"]] == ["2025-11-28", "2025-12-31"]
    assert body["replaced_dates"] == ["2025-11-28"]  # the migration's row of that date is replaced
    november = body["created"][0]
    assert november["benchmark_curve"][:2] == [[0.25, 0.013], [1, 0.0135]]
    assert november["rating_spreads"]["AAA"] == 0.0045
    assert november["support_premiums"]["guarantee_company"] == {"AAA": 0.0015, "AA+": 0.003}
    assert november["liquidity_premium"] == "0.0020"
    assert (november["source"], november["created_by"], november["superseded"]) == ("ChinaBond", "arthur", False)
    assert MarketParameters.objects.count() == before + 2


def test_an_upload_with_bad_rows_answers_every_row_and_saves_nothing(client_for, arranger_user):
    before = MarketParameters.objects.count()
    lines = (DATA / "two_dates.csv").read_text().splitlines()
    lines[1] = "2025-11-28,curve,0.25,1.3%"  # line 2
    lines[40] = "2025-12-31,rating_spread,AAA,0.005"  # line 41: its A spread becomes a second AAA (line 36)
    response = client_for(arranger_user).post(
        "/api/market-parameters/upload/", {"file": text_file(lines)}, format="multipart"
    )
    body = assert_error(response, 400, "market_rows_invalid")
    rows = body["fields"]["rows"]
    assert [(row["line"], row["column"]) for row in rows] == [(2, "value"), (32, "table"), (41, "key")]
    assert "no rating_spread row for A;" in rows[1]["message"]  # reported on the date's first line
    assert "line 36" in rows[2]["message"]
    assert body["detail"] == "3 row(s) of the file have errors; nothing was saved."
    assert MarketParameters.objects.count() == before


def test_an_upload_that_is_not_a_market_csv_is_refused_whole(client_for, arranger_user):
    response = client_for(arranger_user).post(
        "/api/market-parameters/upload/", {"file": text_file(["date,rate", "2025-11-28,0.01"])}, format="multipart"
    )
    body = assert_error(response, 400, "market_file_refused")
    assert "missing the column(s)" in body["fields"]["file"]


def test_an_upload_without_a_file_is_invalid(client_for, arranger_user):
    body = assert_error(
        client_for(arranger_user).post("/api/market-parameters/upload/", {}, format="multipart"), 400, "invalid"
    )
    assert "file" in body["fields"]


@pytest.mark.parametrize("user_fixture", ["user_a", "compliance_user", "investor_staff"])
def test_only_the_arranger_uploads_the_series(client_for, request, user_fixture):
    before = MarketParameters.objects.count()
    client = client_for(request.getfixturevalue(user_fixture))
    assert_error(
        client.post("/api/market-parameters/upload/", {"file": two_dates()}, format="multipart"), 403, "forbidden"
    )
    assert_error(client.post("/api/market-parameters/upload/", {}, format="multipart"), 403, "forbidden")
    assert MarketParameters.objects.count() == before


def test_a_row_downloaded_as_csv_uploads_back_to_the_same_parameters(client_for, arranger_user):
    client = client_for(arranger_user)
    original = client.post("/api/market-parameters/upload/", {"file": two_dates()}, format="multipart").json()[
        "created"
    ][0]
    response = client.get(f"/api/market-parameters/{original['id']}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().startswith("as_of,table,key,value\r\n2025-11-28,curve,0.25,0.013\r\n")

    again = client.post(
        "/api/market-parameters/upload/",
        {"file": SimpleUploadedFile("again.csv", response.content)},
        format="multipart",
    ).json()
    copy = again["created"][0]
    for name in ("as_of", "benchmark_name", "benchmark_curve", "rating_spreads", "support_premiums",
                 "provider_default_rates", "liquidity_premium", "tenor_premium_per_year"):  # fmt: skip
        assert copy[name] == original[name], name
    assert again["replaced_dates"] == ["2025-11-28"]


def test_the_csv_download_answers_a_client_asking_for_csv(client_for, series, investor_staff):
    response = client_for(investor_staff).get(
        f"/api/market-parameters/{series['january'].pk}/csv/", HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200
    assert response.content.decode().splitlines()[1] == "2025-01-31,curve,1,0.0135"
    assert client_for(investor_staff).get("/api/market-parameters/999999/csv/").status_code == 404


# --- comparable transactions -------------------------------------------------------------------------------------


def _comparable(**changes) -> dict:
    body = {
        "category": "energy",
        "description": "Grid load curves",
        "venue": "Shenzhen Data Exchange",
        "transaction_date": "2025-09-02",
        "price": "8500000.00",
        "annual_revenue": "2125000.00",
        "source": "SZDE announcement 2025-112",
    }
    return {**body, **changes}


def test_the_arranger_adds_a_comparable_and_reads_its_multiple(client_for, arranger_user):
    response = client_for(arranger_user).post("/api/comparable-transactions/", _comparable())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revenue_multiple"] == "4.0000"  # 8,500,000 / 2,125,000
    assert (body["price"], body["created_by"]) == ("8500000.00", "arthur")
    assert ComparableTransaction.objects.get().description == "Grid load curves"


def test_the_same_comparable_twice_is_a_conflict(client_for, arranger_user):
    client = client_for(arranger_user)
    client.post("/api/comparable-transactions/", _comparable())
    assert_error(client.post("/api/comparable-transactions/", _comparable()), 409, "comparable_duplicate")
    assert ComparableTransaction.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"price": "0"}, "price", id="price of zero"),
        pytest.param({"category": "weather"}, "category", id="unknown category"),
        pytest.param({"transaction_date": "2025-13-01"}, "transaction_date", id="bad date"),
    ],
)
def test_a_bad_comparable_is_invalid(client_for, arranger_user, changes, field):
    body = assert_error(
        client_for(arranger_user).post("/api/comparable-transactions/", _comparable(**changes)), 400, "invalid"
    )
    assert field in body["fields"]
    assert not ComparableTransaction.objects.exists()


@pytest.mark.parametrize("user_fixture", ["user_a", "compliance_user", "investor_staff"])
def test_only_the_arranger_adds_removes_and_uploads_comparables(client_for, request, arranger_user, user_fixture):
    entry_id = client_for(arranger_user).post("/api/comparable-transactions/", _comparable()).json()["id"]
    client = client_for(request.getfixturevalue(user_fixture))
    assert_error(client.post("/api/comparable-transactions/", _comparable(description="Other")), 403, "forbidden")
    assert_error(client.delete(f"/api/comparable-transactions/{entry_id}/"), 403, "forbidden")
    upload = {"file": text_file([COMPARABLE_HEADER, GOOD_COMPARABLE])}
    assert_error(client.post("/api/comparable-transactions/upload/", upload, format="multipart"), 403, "forbidden")
    assert list(ComparableTransaction.objects.values_list("pk", flat=True)) == [entry_id]


def test_the_arranger_removes_an_entry_added_by_mistake(client_for, arranger_user):
    client = client_for(arranger_user)
    entry_id = client.post("/api/comparable-transactions/", _comparable()).json()["id"]
    assert client.delete(f"/api/comparable-transactions/{entry_id}/").status_code == 204
    assert not ComparableTransaction.objects.exists()
    assert_error(client.delete(f"/api/comparable-transactions/{entry_id}/"), 404, "not_found")


def test_everyone_lists_comparables_by_category_with_a_pinned_number_of_queries(
    client_for, arranger_user, investor_staff, django_assert_num_queries
):
    client_for(arranger_user).post(
        "/api/comparable-transactions/upload/", {"file": two_comparables_and_more()}, format="multipart"
    )
    client = client_for(investor_staff)
    # One count for the page, one select with the arranger joined, however many entries.
    with django_assert_num_queries(2):
        response = client.get("/api/comparable-transactions/")
    assert response.status_code == 200
    assert response.json()["count"] == 12
    energy = client.get("/api/comparable-transactions/", {"category": "energy"}).json()["results"]
    assert [row["description"] for row in energy] == ["Grid load 2", "Grid load 1"]  # latest transaction first


def two_comparables_and_more() -> SimpleUploadedFile:
    lines = [COMPARABLE_HEADER]
    lines += [f"energy,Grid load {i},SZDE,2025-0{i}-01,{i}000000,{i}00000,SZDE {i}" for i in (1, 2)]
    lines += [f"transport,Traffic {i},SDE,2025-03-{i:02d},{i}000000,{i}00000,SDE {i}" for i in range(1, 11)]
    return text_file(lines)


def test_the_comparables_upload_adds_every_row_or_none(client_for, arranger_user):
    client = client_for(arranger_user)
    bad = text_file([COMPARABLE_HEADER, GOOD_COMPARABLE, "transport,X,SDE,2025-06-18,$100,10,S"])
    body = assert_error(
        client.post("/api/comparable-transactions/upload/", {"file": bad}, format="multipart"),
        400,
        "market_rows_invalid",
    )
    assert body["fields"]["rows"] == [{"line": 3, "column": "price", "message": body["fields"]["rows"][0]["message"]}]
    assert "not in CNY" in body["fields"]["rows"][0]["message"]
    assert not ComparableTransaction.objects.exists()

    good = SimpleUploadedFile("comparables.csv", (DATA / "comparables.csv").read_bytes())
    response = client.post("/api/comparable-transactions/upload/", {"file": good}, format="multipart")
    assert response.status_code == 201
    assert [row["category"] for row in response.json()] == ["transport", "energy", "healthcare"]
    assert ComparableTransaction.objects.get(category="healthcare").price == Decimal("4500000.00")


# --- schema ------------------------------------------------------------------------------------------------------


def test_the_schema_describes_the_market_data_endpoints(client_for, user_a):
    response = client_for(user_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/market-parameters/",
        "/api/market-parameters/{id}/",
        "/api/market-parameters/upload/",
        "/api/market-parameters/{id}/csv/",
        "/api/comparable-transactions/",
        "/api/comparable-transactions/{id}/",
        "/api/comparable-transactions/upload/",
    ):
        assert path in paths, path
    upload = paths["/api/market-parameters/upload/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "400", "403"} <= set(upload["responses"])
    assert "text/csv" in paths["/api/market-parameters/{id}/csv/"]["get"]["responses"]["200"]["content"]
    assert "delete" in paths["/api/comparable-transactions/{id}/"]
