"""Market series and comparables files are read as strictly as revenue files: a malformed line refuses the file.

An unquoted comma in a comparable's description used to move the venue into the
date column and the price into the venue: the row was refused for the wrong
cell, or, where the cells still parsed, stored shifted.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.csv_upload import MarketFileError
from deals.market_data import comparable_transactions_upload, market_parameters_upload
from deals.models import ComparableTransaction, MarketParameters

pytestmark = pytest.mark.django_db

COMPARABLE_HEADER = "category,description,venue,transaction_date,price,annual_revenue,source"
GOOD_COMPARABLE = "transport,Traffic flow licence,Shanghai Data Exchange,2025-06-18,12000000,3000000,SDE 031"


def csv_file(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("file.csv", ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")


def refused_comparables(arranger_user, *lines: str) -> MarketFileError:
    with pytest.raises(MarketFileError) as caught:
        comparable_transactions_upload(actor=arranger_user, uploaded_file=csv_file(COMPARABLE_HEADER, *lines))
    assert caught.value.code == "market_file_malformed"
    assert caught.value.status_code == 400
    assert caught.value.fields["rows"] == caught.value.row_errors
    assert ComparableTransaction.objects.count() == 0
    return caught.value


def test_a_comparable_with_an_unquoted_comma_is_refused_naming_its_line(arranger_user):
    error = refused_comparables(
        arranger_user,
        GOOD_COMPARABLE,
        "transport,Traffic flow, city of Wuhan,Wuhan Data Exchange,2025-07-01,9000000,2500000,WHDE 7",
    )
    assert [row["line"] for row in error.row_errors] == [3]
    assert "Line 3: This row has 8 fields but the header has 7" in error.detail


def test_a_comparable_with_an_unclosed_quote_is_refused_naming_its_line(arranger_user):
    error = refused_comparables(
        arranger_user,
        'transport,"Traffic flow licence,Shanghai Data Exchange,2025-06-18,12000000,3000000,SDE 031',
        GOOD_COMPARABLE,
    )
    assert [row["line"] for row in error.row_errors] == [2]
    assert "Line 2: A quote opened on this line is never closed" in error.detail


def test_the_same_comparable_with_its_comma_quoted_is_stored_as_written(arranger_user):
    line = 'transport,"Traffic flow, city of Wuhan",Wuhan Data Exchange,2025-07-01,9000000,2500000,WHDE 7'
    comparable_transactions_upload(actor=arranger_user, uploaded_file=csv_file(COMPARABLE_HEADER, line))
    stored = ComparableTransaction.objects.get()
    assert (stored.description, stored.venue) == ("Traffic flow, city of Wuhan", "Wuhan Data Exchange")


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        pytest.param("2025-11-28,curve,1,0.0135,extra", "5 fields but the header has 4", id="extra field"),
        pytest.param("2025-11-28,curve,1", "3 fields but the header has 4: a field is missing", id="missing field"),
        pytest.param("2025-11-28;curve;1;0.0135", "separated by ';' but the header by ','", id="mixed delimiters"),
        pytest.param("2025-11-28,curve,1,0.01\x0035", "NUL character", id="nul"),
        pytest.param("\ufeffas_of,table,key,value", "byte-order mark", id="bom mid-file"),
    ],
)
def test_a_malformed_market_series_line_refuses_the_file(arranger_user, bad_line, words):
    MarketParameters.objects.all().delete()
    file = csv_file("as_of,table,key,value", "2025-11-28,curve,5,0.0155", bad_line)
    with pytest.raises(MarketFileError) as caught:
        market_parameters_upload(actor=arranger_user, uploaded_file=file)
    assert caught.value.code == "market_file_malformed"
    assert [row["line"] for row in caught.value.row_errors] == [3]
    assert words in caught.value.detail
    assert MarketParameters.objects.count() == 0


def test_the_market_upload_api_answers_400_with_the_lines(api_as, arranger_user):
    response = api_as(arranger_user).post(
        "/api/comparable-transactions/upload/",
        {"file": csv_file(COMPARABLE_HEADER, GOOD_COMPARABLE + ",extra")},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "market_file_malformed"
    assert [row["line"] for row in body["fields"]["rows"]] == [2]
