"""Revenue import: CSV and Excel files are saved whole or not at all, and every bad row is named."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone

from origination.errors import DomainError
from origination.models import RevenueImport, RevenueRecord
from origination.revenue_import import RevenueFileError, revenue_import
from tests.factories import DataAssetFactory

DATA = Path(__file__).resolve().parents[1] / "data"
CSV_60X20 = DATA / "revenue_60m_20cp.csv"
XLSX_60X20 = DATA / "revenue_60m_20cp.xlsx"
HEADER = "period,amount,revenue_type,counterparty,contract"
GOOD_ROW = "2024-01,1000.00,licence,Client A,C-1"


@pytest.fixture
def asset(originator_a):
    return DataAssetFactory(originator=originator_a)


def upload(content: bytes | str, name: str = "revenue.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    data = content.encode(encoding) if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def csv_upload(*lines: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return upload("\n".join(lines) + "\n", encoding=encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_of_60x20_csv() -> list[dict[str, str]]:
    """The sample file read independently of the importer, with the csv module."""
    with CSV_60X20.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def stored_rows(asset) -> set[tuple]:
    return set(
        RevenueRecord.objects.filter(data_asset=asset).values_list(
            "period", "amount", "revenue_type", "counterparty", "contract_ref"
        )
    )


def expected_rows(rows: list[dict[str, str]]) -> set[tuple]:
    return {
        (
            dt.date.fromisoformat(row["period"] + "-01"),
            Decimal(row["amount"]),
            row["revenue_type"],
            row["counterparty"],
            row["contract"],
        )
        for row in rows
    }


def refused_rows(asset, user, file) -> list[tuple[int, str]]:
    """Import a file that must be refused for its rows; return its (line, column) pairs."""
    with pytest.raises(RevenueFileError) as caught:
        revenue_import(actor=user, data_asset=asset, uploaded_file=file)
    assert caught.value.code == "revenue_rows_invalid"
    assert caught.value.status_code == 400
    assert caught.value.fields["rows"] == caught.value.row_errors
    return [(error["line"], error["column"]) for error in caught.value.row_errors]


def refused_file(asset, user, file) -> str:
    """Import a file that must be refused as a whole; return the message."""
    with pytest.raises(RevenueFileError) as caught:
        revenue_import(actor=user, data_asset=asset, uploaded_file=file)
    assert caught.value.code == "revenue_file_refused"
    assert caught.value.status_code == 400
    assert caught.value.fields["file"] == caught.value.detail
    assert caught.value.row_errors == []
    return caught.value.detail


def assert_nothing_saved() -> None:
    assert RevenueRecord.objects.count() == 0
    assert RevenueImport.objects.count() == 0


# --- whole files that import ---------------------------------------------------------------------------------------


def test_60_month_20_counterparty_csv_imports_every_row_with_the_file_total(asset, user_a):
    content = CSV_60X20.read_bytes()
    rows = rows_of_60x20_csv()
    expected_total = sum((Decimal(row["amount"]) for row in rows), Decimal("0"))

    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(content, "revenue_60m_20cp.csv"))

    assert result.row_count == 1200
    assert result.total_amount == expected_total
    assert result.file_name == "revenue_60m_20cp.csv"
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert result.uploaded_by == user_a
    assert result.records.count() == 1200
    assert stored_rows(asset) == expected_rows(rows)
    assert RevenueRecord.objects.filter(data_asset=asset).values("period").distinct().count() == 60
    assert RevenueRecord.objects.filter(data_asset=asset).values("counterparty").distinct().count() == 20


def test_60_month_20_counterparty_xlsx_imports_the_same_rows_as_the_csv(asset, user_a):
    rows = rows_of_60x20_csv()
    expected_total = sum((Decimal(row["amount"]) for row in rows), Decimal("0"))

    result = revenue_import(
        actor=user_a, data_asset=asset, uploaded_file=upload(XLSX_60X20.read_bytes(), "revenue_60m_20cp.xlsx")
    )

    assert result.row_count == 1200
    assert result.total_amount == expected_total
    assert stored_rows(asset) == expected_rows(rows)


def test_import_of_1200_rows_inserts_in_batches_not_row_by_row(asset, user_a, django_assert_max_num_queries):
    # SQLite takes at most 999 parameters a statement: 142 rows of 7 columns, so 9 INSERTs for 1,200 rows,
    # plus the savepoint, the lock, the duplicate check and the import row. Row by row would be 1,200+.
    with django_assert_max_num_queries(20):
        revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(CSV_60X20.read_bytes()))
    assert RevenueRecord.objects.filter(data_asset=asset).count() == 1200


def test_xlsx_named_csv_is_read_as_excel_because_content_decides(asset, user_a):
    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(XLSX_60X20.read_bytes(), "rev.csv"))
    assert result.row_count == 1200


def test_gbk_csv_with_chinese_headers_and_type_names_imports(asset, user_a):
    chinese_type = {
        "licence": "许可",
        "api_usage": "API调用",
        "subscription": "订阅",
        "data_product_sale": "数据产品销售",
        "service": "服务",
    }
    rows = rows_of_60x20_csv()[:100]
    lines = ["期间,金额（元）,收入类型,交易对手,合同"]
    for row in rows:
        year, month = row["period"].split("-")
        period = f"{year}/{int(month)}"  # as Chinese Excel writes a date: 2021/1
        lines.append(
            f"{period},{row['amount']},{chinese_type[row['revenue_type']]},{row['counterparty']},{row['contract']}"
        )
    content = ("\r\n".join(lines) + "\r\n").encode("gbk")

    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(content, "收入明细.csv"))

    assert result.row_count == 100
    assert result.total_amount == sum((Decimal(row["amount"]) for row in rows), Decimal("0"))
    assert result.file_name == "收入明细.csv"
    assert stored_rows(asset) == expected_rows(rows)


def test_title_rows_above_the_header_are_skipped_and_lines_still_count_them(asset, user_a):
    content = xlsx_bytes(
        [
            ["甲公司数据资产收入明细表"],
            ["单位：元"],
            ["期间", "金额", "收入类型", "交易对手", "合同", "备注"],
            ["2024-01", 100, "许可", "乙公司", "HT-1", "首期"],
            ["2024-02", 0, "许可", "乙公司", "HT-1", ""],
        ]
    )
    assert refused_rows(asset, user_a, upload(content, "明细.xlsx")) == [(5, "amount")]


def test_semicolon_separated_csv_imports(asset, user_a):
    file = csv_upload("period;amount;revenue_type;counterparty", "2024-01;1500.25;licence;A", "2024-02;99;service;B")
    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=file)
    assert result.total_amount == Decimal("1599.25")


def test_utf8_csv_with_bom_imports(asset, user_a):
    content = ("\ufeff" + HEADER + "\n" + GOOD_ROW + "\n").encode("utf-8")
    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(content))
    assert result.row_count == 1
    assert result.total_amount == Decimal("1000.00")


def test_period_formats_are_stored_as_the_first_day_of_the_month(asset, user_a):
    revenue_import(
        actor=user_a,
        data_asset=asset,
        uploaded_file=csv_upload(
            HEADER,
            "2024-03,100,licence,A,",
            "2024-04-15,100,licence,A,",
            "2024/05,100,licence,A,",
            "2024/6/30,100,licence,A,",
            "2024年7月,100,licence,A,",
        ),
    )
    periods = sorted(RevenueRecord.objects.values_list("period", flat=True))
    assert periods == [dt.date(2024, month, 1) for month in (3, 4, 5, 6, 7)]


def test_excel_date_cells_and_date_serials_are_periods(asset, user_a):
    content = xlsx_bytes(
        [
            ["Period", "Amount (CNY)", "Revenue type", "Counterparty"],
            [dt.datetime(2024, 3, 18), 1500.5, "licence", "A"],
            [dt.date(2024, 4, 1), 2000, "licence", "A"],
            [45458, 99.99, "licence", "A"],  # Excel serial 45458 = 2024-06-15
        ]
    )
    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(content, "r.xlsx"))
    assert result.total_amount == Decimal("3600.49")
    assert sorted(RevenueRecord.objects.values_list("period", "amount")) == [
        (dt.date(2024, 3, 1), Decimal("1500.50")),
        (dt.date(2024, 4, 1), Decimal("2000.00")),
        (dt.date(2024, 6, 1), Decimal("99.99")),
    ]


def test_year_and_month_typed_as_a_number_in_excel_is_refused_not_read_as_a_date(asset, user_a):
    content = xlsx_bytes(
        [
            ["period", "amount", "revenue_type", "counterparty"],
            [2024.03, 100, "licence", "A"],  # as a day number this would be 1905-07-16
            [202403, 100, "licence", "B"],  # and this a day in 2454
        ]
    )
    assert refused_rows(asset, user_a, upload(content, "r.xlsx")) == [(2, "period"), (3, "period")]
    assert_nothing_saved()


def test_amounts_with_thousands_separators_and_cny_marks_are_accepted(asset, user_a):
    revenue_import(
        actor=user_a,
        data_asset=asset,
        uploaded_file=csv_upload(
            HEADER,
            '2024-01,"1,234,567.80",licence,A,',
            "2024-01,¥2000,licence,B,",
            '2024-01,"￥3,000.5",licence,C,',
            '2024-01,"CNY 4,000.00",licence,D,',
            "2024-01,5000元,licence,E,",
        ),
    )
    amounts = dict(RevenueRecord.objects.values_list("counterparty", "amount"))
    assert amounts == {
        "A": Decimal("1234567.80"),
        "B": Decimal("2000.00"),
        "C": Decimal("3000.50"),
        "D": Decimal("4000.00"),
        "E": Decimal("5000.00"),
    }


def test_revenue_types_are_accepted_by_value_english_label_or_chinese_name(asset, user_a):
    revenue_import(
        actor=user_a,
        data_asset=asset,
        uploaded_file=csv_upload(
            HEADER,
            "2024-01,1,Licence,A,",
            "2024-01,1,API usage,B,",
            "2024-01,1,订阅,C,",
            "2024-01,1,数据产品销售,D,",
            "2024-01,1,SERVICE,E,",
        ),
    )
    types = dict(RevenueRecord.objects.values_list("counterparty", "revenue_type"))
    assert types == {"A": "licence", "B": "api_usage", "C": "subscription", "D": "data_product_sale", "E": "service"}


def test_period_of_the_current_month_is_accepted(asset, user_a):
    this_month = timezone.localdate().replace(day=1)
    revenue_import(
        actor=user_a, data_asset=asset, uploaded_file=csv_upload(HEADER, f"{this_month:%Y-%m},100,licence,A,")
    )
    assert list(RevenueRecord.objects.values_list("period", flat=True)) == [this_month]


# --- bad rows ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "column", "reason"),
    [
        ("2024-13,1000,licence,Client B,", "period", "not a valid period"),
        ("March 2024,1000,licence,Client B,", "period", "not a valid period"),
        (",1000,licence,Client B,", "period", "required"),
        ("2024-02,0,licence,Client B,", "amount", "greater than zero"),
        ("2024-02,-1500.00,licence,Client B,", "amount", "greater than zero"),
        ("2024-02,1500.005,licence,Client B,", "amount", "2 decimal"),
        ("2024-02,USD 1500,licence,Client B,", "amount", "CNY"),
        ('2024-02,"$1,500",licence,Client B,', "amount", "CNY"),
        ('2024-02,"1,50,000",licence,Client B,', "amount", "not a valid amount"),
        ("2024-02,abc,licence,Client B,", "amount", "not a valid amount"),
        ("2024-02,1.5e5,licence,Client B,", "amount", "not a valid amount"),
        ("2024-02,1500 HKD,licence,Client B,", "amount", "CNY"),
        ("2024-02,€30,licence,Client B,", "amount", "CNY"),
        ("2024-02,,licence,Client B,", "amount", "required"),
        ("2024-02,1000,donation,Client B,", "revenue_type", "not a revenue type"),
        ("2024-02,1000,licence,,", "counterparty", "required"),
        ("2024-02,1000,licence," + "X" * 201 + ",", "counterparty", "200"),
        ("2024-02,1000,licence,Client B," + "C" * 101, "contract", "100"),
    ],
)
def test_each_kind_of_bad_row_is_reported_on_its_line_and_nothing_is_saved(asset, user_a, bad_row, column, reason):
    file = csv_upload(HEADER, GOOD_ROW, bad_row, "2024-03,1000,licence,Client C,C-3")
    with pytest.raises(RevenueFileError) as caught:
        revenue_import(actor=user_a, data_asset=asset, uploaded_file=file)
    assert caught.value.code == "revenue_rows_invalid"
    [error] = caught.value.row_errors
    assert (error["line"], error["column"]) == (3, column)
    assert reason in error["message"]
    assert_nothing_saved()


def test_every_bad_row_is_listed_with_its_line_counting_blank_lines(asset, user_a):
    file = csv_upload(
        HEADER,  # line 1
        GOOD_ROW,  # 2
        "2024-02,-5,licence,B,",  # 3: amount
        "",  # 4: blank, skipped but counted
        "2024-02,100,licence,C,",  # 5: good
        "2024-99,100,rent,,",  # 6: period, revenue_type, counterparty
        '2024-02,"1,000.00",licence,"Client ""D""",',  # 7: good, quoted
        "2024-02,100.123,licence,E,",  # 8: amount
    )
    assert refused_rows(asset, user_a, file) == [
        (3, "amount"),
        (6, "period"),
        (6, "revenue_type"),
        (6, "counterparty"),
        (8, "amount"),
    ]
    assert_nothing_saved()


def test_the_same_bad_value_is_reported_on_every_line_it_appears(asset, user_a):
    file = csv_upload(HEADER, "2024-13,1,licence,A,", GOOD_ROW, "2024-13,1,licence,B,", "2024-13,1,rent,C,")
    assert refused_rows(asset, user_a, file) == [(2, "period"), (4, "period"), (5, "period"), (5, "revenue_type")]
    assert_nothing_saved()


def test_bad_row_in_xlsx_is_reported_on_its_spreadsheet_row(asset, user_a):
    content = xlsx_bytes(
        [
            ["期间", "金额", "收入类型", "交易对手", "合同"],
            ["2024-01", 100, "许可", "甲公司", "HT-1"],
            [None, None, None, None, None],
            ["2024-02", -100, "许可", "甲公司", "HT-1"],
        ]
    )
    assert refused_rows(asset, user_a, upload(content, "revenue.xlsx")) == [(4, "amount")]
    assert_nothing_saved()


def test_period_in_the_future_is_refused(asset, user_a):
    today = timezone.localdate()
    next_month = (today.replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    file = csv_upload(HEADER, GOOD_ROW, f"{next_month:%Y-%m},100,licence,A,")
    with pytest.raises(RevenueFileError) as caught:
        revenue_import(actor=user_a, data_asset=asset, uploaded_file=file)
    [error] = caught.value.row_errors
    assert (error["line"], error["column"]) == (3, "period")
    assert "future" in error["message"]
    assert_nothing_saved()


def test_duplicate_rows_within_the_file_are_refused_naming_the_first_line(asset, user_a):
    file = csv_upload(
        HEADER,
        "2024-01,100,licence,A,C-1",
        "2024-01,100,licence,A,C-2",  # another contract: not a duplicate
        "2024-01,100,api_usage,A,C-1",  # another type: not a duplicate
        "2024-01,250,licence,A,C-1",  # same key as line 2
    )
    with pytest.raises(RevenueFileError) as caught:
        revenue_import(actor=user_a, data_asset=asset, uploaded_file=file)
    [error] = caught.value.row_errors
    assert error["line"] == 5
    assert "line 2" in error["message"]
    assert_nothing_saved()


def test_rows_already_stored_for_the_asset_are_refused_and_nothing_more_is_saved(asset, user_a):
    revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_upload(HEADER, "2024-01,100,licence,A,C-1"))
    second = csv_upload(HEADER, "2024-02,100,licence,A,C-1", "2024-01,999,licence,A,C-1")
    assert [line for line, _column in refused_rows(asset, user_a, second)] == [3]
    assert RevenueRecord.objects.count() == 1
    assert RevenueImport.objects.count() == 1


def test_same_rows_for_another_asset_are_not_duplicates(asset, user_a, originator_a):
    other_asset = DataAssetFactory(originator=originator_a)
    revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_upload(HEADER, GOOD_ROW))
    revenue_import(actor=user_a, data_asset=other_asset, uploaded_file=csv_upload(HEADER, GOOD_ROW))
    assert RevenueRecord.objects.count() == 2


def test_importing_the_same_file_twice_refuses_every_row_the_second_time(asset, user_a):
    revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(CSV_60X20.read_bytes()))
    lines = [line for line, _column in refused_rows(asset, user_a, upload(XLSX_60X20.read_bytes(), "again.xlsx"))]
    assert lines == list(range(2, 1202))
    assert RevenueRecord.objects.count() == 1200


# --- files refused as a whole -----------------------------------------------------------------------------------


class _DeclaredHugeUpload(UploadedFile):
    """An upload that declares 6 MB and fails the test if anyone reads it."""

    def __init__(self):
        super().__init__(file=io.BytesIO(b""), name="huge.csv", size=6 * 1024 * 1024)

    def chunks(self, chunk_size=None):
        raise AssertionError("the file was read although its size is over the limit")

    def read(self, *args):
        raise AssertionError("the file was read although its size is over the limit")


def test_file_over_5_mb_is_refused_before_it_is_read(asset, user_a):
    message = refused_file(asset, user_a, _DeclaredHugeUpload())
    assert "5 MB" in message
    assert_nothing_saved()


def test_file_over_5_mb_is_refused(asset, user_a):
    row = GOOD_ROW + "\n"
    content = HEADER + "\n" + row * (5 * 1024 * 1024 // len(row) + 1)
    assert len(content) > 5 * 1024 * 1024
    assert "5 MB" in refused_file(asset, user_a, upload(content))
    assert_nothing_saved()


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("revenue.txt", "period,amount\n2024-01,100\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64)), id="png"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), id="xls"),
        pytest.param(random.Random(7).randbytes(4096), id="random-bytes"),
        pytest.param(_zip_without_workbook(), id="zip-not-xlsx"),
        pytest.param(b"PK\x03\x04" + random.Random(8).randbytes(512), id="broken-zip"),
    ],
)
def test_file_of_another_type_named_csv_is_refused_naming_the_accepted_types(asset, user_a, content):
    message = refused_file(asset, user_a, upload(content, "revenue.csv"))
    assert "CSV" in message
    assert ".xlsx" in message
    assert_nothing_saved()


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b",,,,\n,,,,\n"], ids=["zero-bytes", "blank-lines", "commas"])
def test_empty_file_is_refused(asset, user_a, content):
    assert "empty" in refused_file(asset, user_a, upload(content))
    assert_nothing_saved()


def test_file_with_header_but_no_rows_is_refused(asset, user_a):
    assert "has no rows" in refused_file(asset, user_a, csv_upload(HEADER, "", ""))
    assert_nothing_saved()


def test_file_missing_required_columns_is_refused_naming_them(asset, user_a):
    message = refused_file(asset, user_a, csv_upload("period,amount,notes", "2024-01,100,x"))
    missing = message.split(":")[1].split(".")[0]
    assert missing.strip() == "revenue_type, counterparty"
    assert_nothing_saved()


def test_file_with_a_column_twice_is_refused(asset, user_a):
    message = refused_file(
        asset, user_a, csv_upload("period,amount,金额,revenue_type,counterparty", "2024-01,1,1,licence,A")
    )
    assert "amount" in message
    assert_nothing_saved()


# --- who may import ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor_fixture", ["user_b", "compliance_user", "investor_staff"])
def test_only_the_assets_own_company_may_import(request, asset, actor_fixture):
    actor = request.getfixturevalue(actor_fixture)
    with pytest.raises(DomainError) as caught:
        revenue_import(actor=actor, data_asset=asset, uploaded_file=csv_upload(HEADER, GOOD_ROW))
    assert caught.value.code == "forbidden"
    assert caught.value.status_code == 403
    assert_nothing_saved()
