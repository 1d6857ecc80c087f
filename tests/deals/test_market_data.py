"""Market data: the dated market series uploaded from CSV, the row a pricing date uses, the comparables register, pages.

Expected values are the figures written in the test files (tests/data/market/) or
in the rows built here, never the code's own output.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deals.csv_upload import MarketFileError
from deals.market_data import (
    comparable_transaction_create,
    comparable_transaction_delete,
    comparable_transaction_list_for,
    comparable_transactions_upload,
    market_parameters_csv,
    market_parameters_for,
    market_parameters_upload,
)
from deals.models import ComparableTransaction, MarketParameters
from origination.choices import RATING_ORDER
from origination.errors import DomainError

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "market"
SPREADS = {
    "AAA": "0.0045", "AA+": "0.0075", "AA": "0.011", "AA-": "0.015", "A+": "0.02", "A": "0.025", "A-": "0.03",
    "BBB+": "0.038", "BBB": "0.045", "BBB-": "0.055", "BB": "0.075", "B": "0.1", "CCC": "0.15",
}  # fmt: skip
MARKET_FIELDS = (
    "as_of", "benchmark_name", "benchmark_curve", "rating_spreads", "support_premiums", "provider_default_rates",
    "liquidity_premium", "tenor_premium_per_year",
)  # fmt: skip


def csv_file(lines: list[str], name: str = "market.csv", *, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(encoding), content_type="text/csv")


def date_lines(day: str, *, curve=(("1", "0.0135"), ("5", "0.0155")), spreads=SPREADS) -> list[str]:
    """The rows of one complete date: its curve and a spread for every rating."""
    return [f"{day},curve,{t},{r}" for t, r in curve] + [f"{day},rating_spread,{k},{v}" for k, v in spreads.items()]


def market_file(*extra: str, day: str = "2025-11-28") -> SimpleUploadedFile:
    """A valid one-date file (header = line 1, curve = lines 2-3, spreads = lines 4-16), then `extra` rows."""
    return csv_file(["as_of,table,key,value", *date_lines(day), *extra])


def refused_rows(user, file) -> list[tuple[int, str]]:
    """Upload a file that must be refused for its rows; check nothing was saved; its (line, column) pairs."""
    before = MarketParameters.objects.count()
    with pytest.raises(MarketFileError) as caught:
        market_parameters_upload(actor=user, uploaded_file=file)
    assert caught.value.code == "market_rows_invalid"
    assert caught.value.status_code == 400
    assert caught.value.fields["rows"] == caught.value.row_errors
    assert all(error["message"] for error in caught.value.row_errors)
    assert MarketParameters.objects.count() == before
    return [(error["line"], error["column"]) for error in caught.value.row_errors]


def refused_file(user, file) -> str:
    with pytest.raises(MarketFileError) as caught:
        market_parameters_upload(actor=user, uploaded_file=file)
    assert caught.value.code == "market_file_refused"
    assert caught.value.fields["file"] == caught.value.detail
    return caught.value.detail


@pytest.fixture
def empty_series(db):
    """No market parameters (the data migration's default row removed)."""
    MarketParameters.objects.all().delete()


def row(as_of: dt.date, **fields) -> MarketParameters:
    return MarketParameters.objects.create(
        as_of=as_of, benchmark_curve=[[1, 0.0135], [5, 0.0155]], rating_spreads={"AAA": 0.0045}, **fields
    )


# --- uploading the series ----------------------------------------------------------------------------------------


def test_upload_of_two_dates_stores_one_row_per_date_as_the_file_writes_them(arranger_user, empty_series):
    file = SimpleUploadedFile("chinabond-2025.csv", (DATA / "two_dates.csv").read_bytes())
    result = market_parameters_upload(actor=arranger_user, uploaded_file=file, notes="Year-end closes")

    assert [m.as_of for m in result.created] == [dt.date(2025, 11, 28), dt.date(2025, 12, 31)]
    assert result.replaced_dates == []
    november, december = (MarketParameters.objects.get(as_of=d) for d in ("2025-11-28", "2025-12-31"))
    assert november.benchmark_curve == [
        [0.25, 0.013], [1, 0.0135], [2, 0.014], [3, 0.0145], [5, 0.0155], [7, 0.0168], [10, 0.018],
    ]  # fmt: skip
    assert november.rating_spreads == {rating: float(SPREADS[rating]) for rating in RATING_ORDER}
    assert november.support_premiums == {
        "bank_guarantee_letter": {"AAA": 0.001},
        "guarantee_company": {"AAA": 0.0015, "AA+": 0.003},
        "state_owned_debtor": {"AA": 0.0025},
    }
    assert november.provider_default_rates == {"AAA": 0.0002, "AA+": 0.001, "AA": 0.002}
    assert (november.liquidity_premium, november.tenor_premium_per_year) == (Decimal("0.0020"), Decimal("0.0005"))
    assert november.benchmark_name == "ChinaBond government bond yield curve"
    # The second date: its own curve, every spread 5 bp wider, no premiums (valuation falls back to its tables).
    assert december.benchmark_curve == [[1, 0.0138], [3, 0.0149], [5, 0.016], [10, 0.0185]]
    assert december.rating_spreads["AAA"] == 0.005
    assert december.rating_spreads["CCC"] == 0.1505
    assert (december.support_premiums, december.provider_default_rates) == ({}, {})
    assert december.liquidity_premium is None
    for market in (november, december):
        assert market.source == "chinabond-2025.csv"  # no source given: the file's name
        assert market.notes == "Year-end closes"
        assert market.created_by == arranger_user


def test_upload_reads_an_excel_csv_with_bom_semicolons_and_lower_case_names(arranger_user, empty_series):
    lines = ["AS_OF;Table;Key;Value", *(line.replace(",", ";") for line in date_lines("2025-11-28"))]
    lines += ["2025-11-28;SUPPORT_PREMIUM;Guarantee_Company:aa+;0.003", "2025-11-28;parameter;Benchmark_Name;Shibor"]
    file = SimpleUploadedFile("m.csv", "\ufeff".encode() + ("\r\n".join(lines)).encode())
    market_parameters_upload(actor=arranger_user, uploaded_file=file, source="ChinaBond close")
    stored = MarketParameters.objects.get()
    assert stored.support_premiums == {"guarantee_company": {"AA+": 0.003}}
    assert stored.benchmark_name == "Shibor"
    assert stored.source == "ChinaBond close"


def test_upload_reads_a_gbk_file_with_a_chinese_benchmark_name(arranger_user, empty_series):
    file = csv_file(
        ["as_of,table,key,value", *date_lines("2025-11-28"), "2025-11-28,parameter,benchmark_name,中债国债收益率曲线"],
        encoding="gbk",
    )
    market_parameters_upload(actor=arranger_user, uploaded_file=file)
    assert MarketParameters.objects.get().benchmark_name == "中债国债收益率曲线"


def test_a_date_uploaded_again_gets_a_new_row_that_wins_and_the_upload_says_so(arranger_user, empty_series):
    first = market_parameters_upload(actor=arranger_user, uploaded_file=market_file()).created[0]
    corrected = csv_file(["as_of,table,key,value", *date_lines("2025-11-28", curve=(("1", "0.014"), ("5", "0.016")))])
    result = market_parameters_upload(actor=arranger_user, uploaded_file=corrected)

    assert result.replaced_dates == [dt.date(2025, 11, 28)]
    assert result.replaced == {dt.date(2025, 11, 28): first.pk}
    assert MarketParameters.objects.filter(as_of="2025-11-28").count() == 2  # the old row is kept, never edited
    in_force = market_parameters_for(dt.date(2025, 12, 1))
    assert in_force == result.created[0]
    assert in_force.benchmark_curve == [[1, 0.014], [5, 0.016]]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param("2025-11-28,yield,1,0.01", (17, "table"), id="unknown table"),
        pytest.param("2025-11-28,rating_spread,AAAA,0.01", (17, "key"), id="unknown rating"),
        pytest.param("2025-11-28,rating_spread,NR,0.01", (17, "key"), id="not rated is not on the scale"),
        pytest.param("2025-11-28,support_premium,insurer:AA,0.01", (17, "key"), id="unknown support type"),
        pytest.param("2025-11-28,support_premium,guarantee_company,0.01", (17, "key"), id="support key without rating"),
        pytest.param("2025-11-28,support_premium,originator:ZZ,0.01", (17, "key"), id="support key with a bad rating"),
        pytest.param("2025-11-28,provider_default_rate,A++,0.01", (17, "key"), id="unknown provider rating"),
        pytest.param("2025-11-28,parameter,credit_premium,0.01", (17, "key"), id="unknown parameter"),
        pytest.param("2025-11-28,curve,abc,0.01", (17, "key"), id="tenor not a number"),
        pytest.param("2025-11-28,curve,0,0.01", (17, "key"), id="tenor zero"),
        pytest.param("2025-11-28,curve,50.5,0.01", (17, "key"), id="tenor beyond 50 years"),
        pytest.param("2025-11-28,curve,3,0.0145", (17, "key"), id="tenor out of order"),
        pytest.param("2025-11-28,curve,5.0,0.0155", (17, "key"), id="duplicate tenor"),
        pytest.param("2025-11-28,rating_spread,aaa,0.005", (17, "key"), id="duplicate rating"),
        pytest.param("2025-11-28,curve,7,1.5%", (17, "value"), id="percentage"),
        pytest.param('2025-11-28,curve,7,"0,0168"', (17, "value"), id="decimal comma"),
        pytest.param("2025-11-28,curve,7,NaN", (17, "value"), id="not a number"),
        pytest.param("2025-11-28,curve,7,", (17, "value"), id="empty value"),
        pytest.param("2025-11-28,curve,7,0.51", (17, "value"), id="rate above 0.5"),
        pytest.param("2025-11-28,curve,7,-0.0501", (17, "value"), id="rate below -0.05"),
        pytest.param("2025-11-28,support_premium,originator:AA,0.6", (17, "value"), id="premium above 0.5"),
        pytest.param("2025-11-28,provider_default_rate,AA,1", (17, "value"), id="probability of one"),
        pytest.param("2025-11-28,provider_default_rate,AA,-0.001", (17, "value"), id="negative probability"),
        pytest.param("2025-11-28,parameter,liquidity_premium,0.00125", (17, "value"), id="premium with 5 decimals"),
        pytest.param("2025-11-28,parameter,benchmark_name,", (17, "value"), id="empty benchmark name"),
        pytest.param("2025/11/28,curve,7,0.0168", (17, "as_of"), id="date with slashes"),
        pytest.param("28.11.2025,curve,7,0.0168", (17, "as_of"), id="european date"),
        pytest.param("2025-02-30,curve,7,0.0168", (17, "as_of"), id="impossible date"),
        pytest.param("2026-11-21,curve,7,0.0168", (17, "as_of"), id="date after today"),
    ],
)
def test_a_bad_row_refuses_the_file_naming_its_line_and_column(arranger_user, empty_series, extra, expected):
    assert refused_rows(arranger_user, market_file(extra)) == [expected]


def test_negative_rates_and_the_range_limits_are_accepted(arranger_user, empty_series):
    market_parameters_upload(
        actor=arranger_user,
        uploaded_file=market_file(
            "2025-11-28,curve,50,0.5",
            "2025-11-28,support_premium,originator:CCC,-0.05",
            "2025-11-28,provider_default_rate,CCC,0.9999",
            "2025-11-28,parameter,liquidity_premium,-0.0005",
        ),
    )
    stored = MarketParameters.objects.get()
    assert stored.benchmark_curve[-1] == [50, 0.5]
    assert stored.support_premiums == {"originator": {"CCC": -0.05}}
    assert stored.provider_default_rates == {"CCC": 0.9999}
    assert stored.liquidity_premium == Decimal("-0.0005")


def test_every_bad_row_is_listed_in_line_order_and_nothing_is_saved(arranger_user, empty_series):
    file = market_file(
        "2025-11-28,curve,7,seven",  # line 17
        "2025-11-28,rating_spread,AAA,0.005",  # line 18: duplicate of line 4
        "2025-13-01,curve,1,0.01",  # line 19
        "2025-11-28,parameter,liquidity_premium,2%",  # line 20
    )
    with pytest.raises(MarketFileError) as caught:
        market_parameters_upload(actor=arranger_user, uploaded_file=file)
    errors = caught.value.row_errors
    assert [(e["line"], e["column"]) for e in errors] == [(17, "value"), (18, "key"), (19, "as_of"), (20, "value")]
    assert "line 4" in errors[1]["message"]
    assert caught.value.detail == "4 row(s) of the file have errors; nothing was saved."
    assert MarketParameters.objects.count() == 0


def test_a_date_without_every_rating_or_with_one_curve_point_is_refused_on_its_first_line(arranger_user, empty_series):
    short_spreads = {k: v for k, v in SPREADS.items() if k not in ("BB", "CCC")}
    file = csv_file(
        [
            "as_of,table,key,value",
            *date_lines("2025-11-28"),  # lines 2-16: complete
            *date_lines("2025-12-31", spreads=short_spreads),  # lines 17-29: no BB, no CCC
            *date_lines("2025-10-31", curve=(("1", "0.013"),)),  # lines 30-43: one curve point
        ]
    )
    with pytest.raises(MarketFileError) as caught:
        market_parameters_upload(actor=arranger_user, uploaded_file=file)
    errors = {(e["line"], e["column"]): e["message"] for e in caught.value.row_errors}
    assert set(errors) == {(17, "table"), (30, "table")}
    assert "2025-12-31" in errors[(17, "table")]
    assert "BB, CCC" in errors[(17, "table")]
    assert "2025-10-31 has 1 curve point" in errors[(30, "table")]
    assert MarketParameters.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"as_of,table,key,value\r\n", "no rows below its header", id="header only"),
        pytest.param(
            b"as_of,table,value\r\n2025-11-28,curve,0.01\r\n", "missing the column(s) key", id="no key column"
        ),
        pytest.param(b"as_of,table,key,key,value\r\n", "more than once", id="repeated column"),
        pytest.param(b"PK\x03\x04rest-of-a-workbook", "save it as CSV", id="excel workbook"),
        pytest.param(b"\x00\x01\x02binary", "not CSV text", id="binary"),
        pytest.param(b"as_of,table,key,value\r\n" + b"x" * (2 * 1024 * 1024), "2 MB", id="too large"),
    ],
)
def test_a_file_that_is_not_a_market_csv_is_refused_whole(arranger_user, empty_series, content, words):
    assert words in refused_file(arranger_user, SimpleUploadedFile("m.csv", content))
    assert MarketParameters.objects.count() == 0


@pytest.mark.parametrize("user_fixture", ["user_a", "compliance_user", "investor_staff"])
def test_only_the_arranger_uploads_market_data(request, user_fixture, empty_series):
    user = request.getfixturevalue(user_fixture)
    with pytest.raises(DomainError) as caught:
        market_parameters_upload(actor=user, uploaded_file=market_file())
    assert (caught.value.code, caught.value.status_code) == ("forbidden", 403)
    assert MarketParameters.objects.count() == 0


def test_a_database_failure_on_the_second_date_leaves_the_first_unsaved(arranger_user, empty_series, monkeypatch):
    saved = []
    original_save = MarketParameters.save

    def failing_save(self, *args, **kwargs):
        if saved:
            raise RuntimeError("the database went away")
        saved.append(self.as_of)
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(MarketParameters, "save", failing_save)
    file = SimpleUploadedFile("m.csv", (DATA / "two_dates.csv").read_bytes())
    with pytest.raises(RuntimeError):
        market_parameters_upload(actor=arranger_user, uploaded_file=file)
    assert saved == [dt.date(2025, 11, 28)]  # the first date was written, then rolled back
    assert MarketParameters.objects.count() == 0


# --- which row a pricing date uses -------------------------------------------------------------------------------


@pytest.fixture
def series(empty_series):
    """Rows of 2025-01-31, 2025-06-30 (uploaded twice: the second wins) and 2025-12-31."""
    january = row(dt.date(2025, 1, 31), source="first")
    june_first = row(dt.date(2025, 6, 30), source="June, first upload")
    june_second = row(dt.date(2025, 6, 30), source="June, corrected")
    december = row(dt.date(2025, 12, 31), source="December")
    return {"january": january, "june_first": june_first, "june": june_second, "december": december}


@pytest.mark.parametrize(
    ("pricing_date", "expected"),
    [
        pytest.param(dt.date(2025, 1, 31), "january", id="on a date of the series"),
        pytest.param(dt.date(2025, 3, 15), "january", id="between two dates: the earlier"),
        pytest.param(dt.date(2025, 6, 30), "june", id="a date uploaded twice: its newest row"),
        pytest.param(dt.date(2025, 12, 30), "june", id="the day before a date"),
        pytest.param(dt.date(2026, 5, 1), "december", id="after the last date"),
        pytest.param(dt.date(2024, 12, 31), "january", id="before every date: the earliest"),
        pytest.param(None, "december", id="no pricing date: the latest"),
    ],
)
def test_market_parameters_for_a_pricing_date(series, pricing_date, expected):
    assert market_parameters_for(pricing_date) == series[expected]


def test_before_every_date_the_earliest_dates_newest_row_is_used(empty_series):
    row(dt.date(2025, 6, 30), source="first")
    corrected = row(dt.date(2025, 6, 30), source="corrected")
    row(dt.date(2025, 9, 30))
    assert market_parameters_for(dt.date(2025, 1, 1)) == corrected


def test_market_parameters_for_an_empty_series_is_none(empty_series):
    assert market_parameters_for(dt.date(2025, 11, 28)) is None
    assert market_parameters_for(None) is None


# --- download ----------------------------------------------------------------------------------------------------


def test_a_downloaded_row_uploads_back_to_the_same_parameters(arranger_user, empty_series):
    file = SimpleUploadedFile("m.csv", (DATA / "two_dates.csv").read_bytes())
    original = market_parameters_upload(actor=arranger_user, uploaded_file=file).created[0]
    text = market_parameters_csv(original)
    assert text.splitlines()[:3] == [
        "as_of,table,key,value",
        "2025-11-28,curve,0.25,0.013",
        "2025-11-28,curve,1,0.0135",
    ]

    again = market_parameters_upload(
        actor=arranger_user, uploaded_file=SimpleUploadedFile("again.csv", text.encode())
    ).created[0]
    for name in MARKET_FIELDS:
        assert getattr(again, name) == getattr(original, name), name


def test_the_default_row_of_the_data_migration_downloads_as_a_valid_file(arranger_user, db):
    default = MarketParameters.objects.get()  # written by hand in deals/migrations/0004
    text = market_parameters_csv(default)
    again = market_parameters_upload(
        actor=arranger_user, uploaded_file=SimpleUploadedFile("again.csv", text.encode())
    ).created[0]
    assert again.benchmark_curve == default.benchmark_curve
    assert again.rating_spreads == default.rating_spreads
    assert again.benchmark_name == default.benchmark_name


# --- comparable transactions -------------------------------------------------------------------------------------

COMPARABLE_HEADER = "category,description,venue,transaction_date,price,annual_revenue,source"
GOOD_COMPARABLE = "transport,Traffic flow licence,Shanghai Data Exchange,2025-06-18,12000000,3000000,SDE 031"


def comparable_fields(**changes):
    fields = {
        "category": "energy",
        "description": "Grid load curves",
        "venue": "Shenzhen Data Exchange",
        "transaction_date": dt.date(2025, 9, 2),
        "price": Decimal("8500000.00"),
        "annual_revenue": Decimal("2125000.00"),
        "source": "SZDE announcement 2025-112",
    }
    return {**fields, **changes}


def test_comparables_upload_adds_every_row_as_written(arranger_user):
    file = SimpleUploadedFile("comparables.csv", (DATA / "comparables.csv").read_bytes())
    created = comparable_transactions_upload(actor=arranger_user, uploaded_file=file)
    assert len(created) == 3
    stored = {
        c.description: (c.category, c.venue, c.transaction_date, c.price, c.annual_revenue, c.source, c.created_by)
        for c in ComparableTransaction.objects.all()
    }
    assert stored["Grid load curves of a provincial network"] == (
        "energy", "Shenzhen Data Exchange", dt.date(2025, 9, 2), Decimal("8500000.00"), Decimal("2125000.00"),
        "SZDE announcement 2025-112", arranger_user,
    )  # fmt: skip
    # A category written in Chinese and a price written with ¥.
    assert stored["De-identified outpatient records (licence)"][0] == "healthcare"
    assert stored["De-identified outpatient records (licence)"][3] == Decimal("4500000.00")


@pytest.mark.parametrize(
    ("line", "column"),
    [
        pytest.param("weather,X,Venue,2025-06-18,100,10,S", "category", id="unknown category"),
        pytest.param("transport,,Venue,2025-06-18,100,10,S", "description", id="no description"),
        pytest.param("transport,X,,2025-06-18,100,10,S", "venue", id="no venue"),
        pytest.param("transport,X,Venue,18/06/2025,100,10,S", "transaction_date", id="malformed date"),
        pytest.param("transport,X,Venue,2027-01-01,100,10,S", "transaction_date", id="date in the future"),
        pytest.param("transport,X,Venue,2025-06-18,0,10,S", "price", id="price of zero"),
        pytest.param("transport,X,Venue,2025-06-18,$100,10,S", "price", id="price in dollars"),
        pytest.param("transport,X,Venue,2025-06-18,100.123,10,S", "price", id="price with 3 decimals"),
        pytest.param("transport,X,Venue,2025-06-18,100,-10,S", "annual_revenue", id="negative revenue"),
        pytest.param("transport,X,Venue,2025-06-18,100,10,", "source", id="no source"),
    ],
)
def test_a_bad_comparable_row_refuses_the_file(arranger_user, line, column):
    file = csv_file([COMPARABLE_HEADER, GOOD_COMPARABLE, line])
    with pytest.raises(MarketFileError) as caught:
        comparable_transactions_upload(actor=arranger_user, uploaded_file=file)
    assert caught.value.code == "market_rows_invalid"
    assert [(e["line"], e["column"]) for e in caught.value.row_errors] == [(3, column)]
    assert ComparableTransaction.objects.count() == 0


def test_the_same_transaction_twice_in_a_file_or_already_registered_is_refused(arranger_user):
    with pytest.raises(MarketFileError) as caught:
        comparable_transactions_upload(
            actor=arranger_user, uploaded_file=csv_file([COMPARABLE_HEADER, GOOD_COMPARABLE, GOOD_COMPARABLE])
        )
    assert [(e["line"], e["column"]) for e in caught.value.row_errors] == [(3, "")]
    assert "line 2" in caught.value.row_errors[0]["message"]

    comparable_transactions_upload(actor=arranger_user, uploaded_file=csv_file([COMPARABLE_HEADER, GOOD_COMPARABLE]))
    with pytest.raises(MarketFileError) as caught:
        comparable_transactions_upload(
            actor=arranger_user, uploaded_file=csv_file([COMPARABLE_HEADER, GOOD_COMPARABLE])
        )
    assert "already in the register" in caught.value.row_errors[0]["message"]
    assert ComparableTransaction.objects.count() == 1


def test_the_arranger_adds_a_transaction_once_and_removes_it(arranger_user):
    entry = comparable_transaction_create(actor=arranger_user, **comparable_fields())
    assert entry.created_by == arranger_user
    with pytest.raises(DomainError) as caught:
        comparable_transaction_create(actor=arranger_user, **comparable_fields())
    assert (caught.value.code, caught.value.status_code) == ("comparable_duplicate", 409)

    comparable_transaction_delete(actor=arranger_user, comparable=entry)
    assert not ComparableTransaction.objects.exists()


def test_a_transaction_with_a_price_of_zero_is_refused(arranger_user):
    with pytest.raises(DomainError) as caught:
        comparable_transaction_create(actor=arranger_user, **comparable_fields(price=Decimal("0")))
    assert caught.value.code == "invalid"
    assert caught.value.fields == {"price": ["Must be greater than zero."]}
    assert not ComparableTransaction.objects.exists()


@pytest.mark.parametrize("user_fixture", ["user_a", "compliance_user", "investor_staff"])
def test_only_the_arranger_adds_or_removes_comparables(request, user_fixture, arranger_user):
    user = request.getfixturevalue(user_fixture)
    entry = comparable_transaction_create(actor=arranger_user, **comparable_fields())
    for write in (
        lambda: comparable_transaction_create(actor=user, **comparable_fields(description="Other")),
        lambda: comparable_transaction_delete(actor=user, comparable=entry),
        lambda: comparable_transactions_upload(
            actor=user, uploaded_file=csv_file([COMPARABLE_HEADER, GOOD_COMPARABLE])
        ),
    ):
        with pytest.raises(DomainError) as caught:
            write()
        assert (caught.value.code, caught.value.status_code) == ("forbidden", 403)
    assert list(ComparableTransaction.objects.all()) == [entry]


def test_everyone_signed_in_reads_the_register_filtered_by_category(arranger_user, investor_staff, user_a):
    energy = comparable_transaction_create(actor=arranger_user, **comparable_fields())
    transport = comparable_transaction_create(
        actor=arranger_user, **comparable_fields(category="transport", transaction_date=dt.date(2025, 10, 1))
    )
    for user in (investor_staff, user_a):
        assert list(comparable_transaction_list_for(user)) == [transport, energy]  # latest transaction first
        assert list(comparable_transaction_list_for(user, category="energy")) == [energy]


# --- pages -------------------------------------------------------------------------------------------------------


def _login(client, user):
    client.force_login(user)
    return client


def test_the_series_page_shows_each_date_with_rates_at_1_3_5_10_years(client, investor_staff, empty_series):
    MarketParameters.objects.create(
        as_of=dt.date(2025, 11, 28),
        benchmark_name="ChinaBond government bond yield curve",
        benchmark_curve=[[1, 0.0135], [2, 0.0140], [5, 0.0155], [10, 0.0180]],
        rating_spreads={"AAA": 0.0045},
        source="ChinaBond close",
    )
    response = _login(client, investor_staff).get(reverse("market_data"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2025-11-28" in html
    assert "ChinaBond close" in html
    assert "1.35 %" in html  # 1 year
    assert "1.45 %" in html  # 3 years: halfway between 1.40 % at 2 and 1.55 % at 5 is 1.40 + 0.05 = 1.45
    assert "1.55 %" in html
    assert "1.80 %" in html
    assert "45 bp" in html  # AAA spread
    assert reverse("market_data_upload") not in html  # an investor reads, never uploads
    chart = response.context["chart"]
    assert [c["label"] for c in chart["curves"]] == ["2025-11-28"]
    assert chart["curves"][0]["points"][0] == {"x": 1.0, "y": 1.35}
    assert 'id="market-curve-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_the_chart_draws_the_ticked_dates(client, arranger_user, series):
    response = _login(client, arranger_user).get(
        reverse("market_data"), {"curve": [series["january"].pk, series["june_first"].pk]}
    )
    labels = [c["label"] for c in response.context["chart"]["curves"]]
    assert labels == [f"2025-06-30 (#{series['june_first'].pk})", "2025-01-31"]
    html = response.content.decode()
    assert "replaced" in html  # the first June row is no longer in force


def test_the_series_page_without_a_choice_draws_the_latest_three_dates_in_force(client, arranger_user, series):
    response = _login(client, arranger_user).get(reverse("market_data"))
    labels = [c["label"] for c in response.context["chart"]["curves"]]
    assert labels == ["2025-12-31", "2025-06-30", "2025-01-31"]


def test_the_series_page_queries_do_not_grow_with_the_rows(
    client, arranger_user, empty_series, django_assert_max_num_queries
):
    for day in range(1, 29):
        row(dt.date(2025, 2, day), created_by=arranger_user)
    _login(client, arranger_user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("market_data"))
    assert len(response.context["rows"]) == 28


def test_the_arranger_uploads_a_file_on_the_page_and_is_told_which_dates_it_replaced(
    client, arranger_user, empty_series
):
    _login(client, arranger_user)
    row(dt.date(2025, 11, 28))
    file = SimpleUploadedFile("two.csv", (DATA / "two_dates.csv").read_bytes())
    response = client.post(reverse("market_data_upload"), {"file": file, "source": "ChinaBond"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("market_data")
    html = response.content.decode()
    assert "Market data of 2 dates stored: 2025-11-28, 2025-12-31." in html
    assert "2025-11-28 already had market data" in html
    assert MarketParameters.objects.filter(source="ChinaBond").count() == 2


def test_the_upload_page_lists_every_bad_row(client, arranger_user, empty_series):
    _login(client, arranger_user)
    file = market_file("2025-11-28,curve,7,1.68%", "2025-11-28,rating_spread,AAB,0.01")
    response = client.post(reverse("market_data_upload"), {"file": file})
    assert response.status_code == 400
    html = response.content.decode()
    assert "2 row(s) of the file have errors; nothing was saved." in html
    assert response.context["row_errors"][0]["line"] == 17
    assert "is a percentage" in html
    assert "AAB" in html
    assert MarketParameters.objects.count() == 0


@pytest.mark.parametrize("user_fixture", ["user_a", "compliance_user", "investor_staff"])
def test_other_roles_may_not_open_the_upload_pages(client, request, user_fixture):
    _login(client, request.getfixturevalue(user_fixture))
    assert client.get(reverse("market_data_upload")).status_code == 403
    assert client.post(reverse("market_data_upload"), {"file": market_file()}).status_code == 403
    assert client.get(reverse("market_data_comparables_upload")).status_code == 403
    assert MarketParameters.objects.count() == 1  # the data migration's row only


def test_the_download_is_a_csv_attachment_in_the_upload_format(client, user_a, series):
    response = _login(client, user_a).get(reverse("market_data_download", args=[series["june"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="market-data-2025-06-30-{series["june"].pk}.csv"' in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[:3] == ["as_of,table,key,value", "2025-06-30,curve,1,0.0135", "2025-06-30,curve,5,0.0155"]


def test_the_comparables_page_filters_by_category_and_shows_the_multiple(client, arranger_user, investor_staff):
    comparable_transaction_create(actor=arranger_user, **comparable_fields())
    comparable_transaction_create(
        actor=arranger_user, **comparable_fields(category="transport", description="Taxi GPS")
    )
    _login(client, investor_staff)
    html = client.get(reverse("market_data_comparables"), {"category": "energy"}).content.decode()
    assert "Grid load curves" in html
    assert "Taxi GPS" not in html
    assert "8,500,000.00" in html
    assert "4.00×" in html  # 8.5 m / 2.125 m
    assert "Remove" not in html  # an investor reads only
    assert reverse("market_data_comparable_add") not in html


def test_the_arranger_adds_and_removes_a_comparable_on_the_page(client, arranger_user):
    _login(client, arranger_user)
    fields = {**comparable_fields(), "transaction_date": "2025-09-02"}
    response = client.post(reverse("market_data_comparable_add"), fields, follow=True)
    assert "added to the register" in response.content.decode()
    entry = ComparableTransaction.objects.get()

    again = client.post(reverse("market_data_comparable_add"), fields)
    assert again.status_code == 400
    assert "already in the register" in again.content.decode()
    free = client.post(reverse("market_data_comparable_add"), {**fields, "description": "Free sample", "price": "0"})
    assert free.status_code == 400
    assert free.context["form"].errors == {"price": ["Must be greater than zero."]}

    response = client.post(reverse("market_data_comparable_remove", args=[entry.pk]), follow=True)
    assert "removed from the register" in response.content.decode()
    assert not ComparableTransaction.objects.exists()


def test_other_roles_may_not_add_or_remove_comparables_on_the_page(client, arranger_user, investor_staff):
    entry = comparable_transaction_create(actor=arranger_user, **comparable_fields())
    _login(client, investor_staff)
    fields = {**comparable_fields(description="Other"), "transaction_date": "2025-09-02"}
    assert client.post(reverse("market_data_comparable_add"), fields).status_code == 403
    assert client.post(reverse("market_data_comparable_remove", args=[entry.pk])).status_code == 403
    assert list(ComparableTransaction.objects.all()) == [entry]


def test_the_comparables_upload_page_lists_bad_rows_and_adds_a_good_file(client, arranger_user):
    _login(client, arranger_user)
    bad = csv_file([COMPARABLE_HEADER, GOOD_COMPARABLE, "weather,X,Venue,2025-06-18,100,10,S"])
    response = client.post(reverse("market_data_comparables_upload"), {"file": bad})
    assert response.status_code == 400
    assert "is not a data category" in response.content.decode()
    assert not ComparableTransaction.objects.exists()

    good = SimpleUploadedFile("comparables.csv", (DATA / "comparables.csv").read_bytes())
    response = client.post(reverse("market_data_comparables_upload"), {"file": good}, follow=True)
    assert "3 transactions added to the register." in response.content.decode()


def test_the_arranger_home_links_to_market_data(client, arranger_user):
    html = _login(client, arranger_user).get(reverse("home")).content.decode()
    assert f'href="{reverse("market_data")}"' in html


def test_the_admin_lists_comparables_read_only(client, arranger_user):
    arranger_user.is_superuser = True
    arranger_user.save()
    comparable_transaction_create(actor=arranger_user, **comparable_fields())
    _login(client, arranger_user)
    changelist = client.get(reverse("admin:deals_comparabletransaction_changelist"))
    assert changelist.status_code == 200
    assert "Grid load curves" in changelist.content.decode()
    assert client.get(reverse("admin:deals_comparabletransaction_add")).status_code == 403


def test_the_curve_data_is_valid_json_in_the_page(client, user_a, series):
    html = _login(client, user_a).get(reverse("market_data")).content.decode()
    opening = '<script id="market-curve-data" type="application/json">'
    start = html.index(opening) + len(opening)
    data = json.loads(html[start : html.index("</script>", start)])
    assert data["text"]["x"] == "Tenor (years)"
    assert len(data["curves"]) == 3
