"""A malformed revenue file is refused whole, naming each line at fault, before any of its values is read.

The lenient csv reading stored a row with an unquoted comma or an unclosed quote
with its values in the wrong columns (issue 9, point 11). Each case here was
accepted before, or refused without its line.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from origination.models import RevenueImport, RevenueRecord
from origination.revenue_import import RevenueFileError, revenue_import
from tests.factories import DataAssetFactory

HEADER = "period,amount,revenue_type,counterparty,contract"
GOOD_2 = "2024-01,1000.00,licence,Client A,C-1"
GOOD_4 = "2024-03,1000.00,licence,Client C,C-3"


@pytest.fixture
def asset(originator_a):
    return DataAssetFactory(originator=originator_a)


def upload(text: str, name: str = "revenue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


def refused_as_malformed(asset, user, file) -> RevenueFileError:
    with pytest.raises(RevenueFileError) as caught:
        revenue_import(actor=user, data_asset=asset, uploaded_file=file)
    error = caught.value
    assert error.code == "revenue_file_malformed"
    assert error.status_code == 400
    assert error.fields["rows"] == error.row_errors
    assert error.fields["file"] == error.detail
    assert RevenueRecord.objects.count() == 0
    assert RevenueImport.objects.count() == 0
    return error


def lines_at_fault(error: RevenueFileError) -> list[int]:
    return [row["line"] for row in error.row_errors]


# --- the two rows of the issue -------------------------------------------------------------------------------------

# Read leniently, the comma splits the counterparty: "Beijing Data" was stored, " Ltd." became the contract and
# the real contract was dropped.
UNQUOTED_COMMA = "2024-02,1500.00,licence,Beijing Data, Ltd.,C-2"
# Read leniently, the quote swallows the rest of the file into one counterparty, line 4 included.
UNCLOSED_QUOTE = '2024-02,1500.00,licence,"Beijing Data,C-2'


def test_a_row_with_an_unquoted_comma_is_refused_naming_its_line(asset, user_a):
    error = refused_as_malformed(asset, user_a, upload("\n".join([HEADER, GOOD_2, UNQUOTED_COMMA, GOOD_4]) + "\n"))
    assert lines_at_fault(error) == [3]
    assert error.detail.startswith("The file is not well-formed, so nothing was saved. Line 3: ")
    assert "6 fields but the header has 5" in error.detail
    assert "double quotes" in error.detail


def test_a_row_with_an_unclosed_quote_is_refused_naming_its_line(asset, user_a):
    error = refused_as_malformed(asset, user_a, upload("\n".join([HEADER, GOOD_2, UNCLOSED_QUOTE, GOOD_4]) + "\n"))
    assert lines_at_fault(error) == [3]
    assert "Line 3: A quote opened on this line is never closed" in error.detail


def test_the_refusal_names_the_line_in_chinese_too(asset, user_a):
    file = upload("\n".join([HEADER, GOOD_2, UNQUOTED_COMMA, GOOD_4]) + "\n")
    with translation.override("zh-hans"):
        error = refused_as_malformed(asset, user_a, file)
    assert "第 3 行" in error.detail
    assert "6 个字段" in error.detail
    assert "表头有 5 个" in error.detail


def test_the_unclosed_quote_in_chinese(asset, user_a):
    file = upload("\n".join([HEADER, GOOD_2, UNCLOSED_QUOTE, GOOD_4]) + "\n")
    with translation.override("zh-hans"):
        error = refused_as_malformed(asset, user_a, file)
    assert "第 3 行" in error.detail
    assert "引号" in error.detail
    assert "未闭合" in error.detail


def test_the_same_values_quoted_as_rfc_4180_asks_import_whole(asset, user_a):
    text = "\n".join(
        [
            HEADER,
            '2024-02,1500.00,licence,"Beijing Data, Ltd.",C-2',
            '2024-02,"2,500.00",licence,"Client ""A""",C-1',
            "2024-03,100,licence,Client C,",
        ]
    )
    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(text + "\n"))
    assert result.row_count == 3
    assert sorted(RevenueRecord.objects.values_list("counterparty", "contract_ref", "amount")) == [
        ("Beijing Data, Ltd.", "C-2", Decimal("1500.00")),
        ('Client "A"', "C-1", Decimal("2500.00")),
        ("Client C", "", Decimal("100.00")),
    ]


# --- every way a line can be malformed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_line", "line", "words"),
    [
        pytest.param("2024-02,1000,licence,B,C-2,extra", 3, "6 fields but the header has 5", id="extra field"),
        pytest.param("2024-02,1000,licence,B,C-2,", 3, "6 fields but the header has 5", id="trailing delimiter"),
        pytest.param("2024-02,1000,licence,B", 3, "4 fields but the header has 5: a field is missing", id="missing"),
        pytest.param('2024-02,1000,licence,Client "B,C-2', 3, "holds a quote but is not enclosed", id="stray quote"),
        pytest.param('2024-02,1000,licence,"Client" B,C-2', 3, "followed by more text", id="text after quote"),
        pytest.param('2024-02,1000,licence,"Client\nB",C-2', 3, "runs on to line 4", id="line break in value"),
        pytest.param("2024-02,1000,licence,B\x00,C-2", 3, "NUL character (U+0000)", id="nul"),
        pytest.param("2024-02,1000,licence,B\x1a,C-2", 3, "control character U+001A", id="control character"),
        pytest.param("\ufeff" + HEADER, 3, "byte-order mark (U+FEFF)", id="bom mid-file"),
        pytest.param("2024-02;1000;licence;B;C-2", 3, "separated by ';' but the header by ','", id="semicolons"),
        pytest.param("2024-02\t1000\tlicence\tB\tC-2", 3, "separated by tab but the header by ','", id="tabs"),
    ],
)
def test_each_malformed_line_refuses_the_file_naming_it(asset, user_a, bad_line, line, words):
    error = refused_as_malformed(asset, user_a, upload("\n".join([HEADER, GOOD_2, bad_line, GOOD_4]) + "\n"))
    assert lines_at_fault(error) == [line]
    assert f"Line {line}: " in error.detail
    assert words in error.row_errors[0]["message"]


def test_a_quote_closed_lines_later_names_the_line_it_opened_on(asset, user_a):
    text = "\n".join([HEADER, GOOD_2, UNCLOSED_QUOTE, '2024-03,100,licence,"C",C-3', GOOD_4])
    error = refused_as_malformed(asset, user_a, upload(text + "\n"))
    assert lines_at_fault(error) == [3]
    assert "closed only on line 4" in error.detail


def test_a_header_split_by_two_delimiters_is_named(asset, user_a):
    error = refused_as_malformed(asset, user_a, upload("period;amount,revenue_type,counterparty,contract\n" + GOOD_2))
    assert lines_at_fault(error)[0] == 1
    assert "The header is separated by both ',' and ';'" in error.detail


def test_every_malformed_line_is_listed_and_the_count_is_in_the_message(asset, user_a):
    text = "\n".join(
        [
            HEADER,  # 1
            GOOD_2,  # 2
            UNQUOTED_COMMA,  # 3
            "",  # 4: blank lines are no rows, and still counted
            "2024-04,1000,licence,D",  # 5
            GOOD_4,  # 6
            "2024-05,1000,licence,E\x00,C-5",  # 7
        ]
    )
    error = refused_as_malformed(asset, user_a, upload(text + "\n"))
    assert lines_at_fault(error) == [3, 5, 7]
    assert error.detail.startswith("The file is not well-formed on 3 lines, so nothing was saved. Line 3: ")


def test_title_rows_above_the_header_may_be_narrower_than_it(asset, user_a):
    text = "\n".join(["Revenue of the traffic data", "Unit: CNY,", HEADER, GOOD_2])
    result = revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(text + "\n"))
    assert result.row_count == 1


def test_a_binary_file_is_still_refused_as_not_text_rather_than_line_by_line(asset, user_a):
    with pytest.raises(RevenueFileError) as caught:
        revenue_import(actor=user_a, data_asset=asset, uploaded_file=upload(HEADER + "\n" + "\x00\x01\x02" * 100))
    assert caught.value.code == "revenue_file_refused"
    assert "neither CSV text nor an Excel .xlsx workbook" in caught.value.detail


# --- workbooks ------------------------------------------------------------------------------------------------------


def xlsx(rows: list[list]) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("revenue.xlsx", buffer.getvalue())


def test_a_workbook_value_right_of_the_last_named_column_is_refused_naming_line_and_column(asset, user_a):
    file = xlsx(
        [
            ["period", "amount", "revenue_type", "counterparty", "contract"],
            ["2024-01", 100, "licence", "A", "C-1"],
            ["2024-02", 100, "licence", "Beijing Data", " Ltd.", "C-2"],
        ]
    )
    error = refused_as_malformed(asset, user_a, file)
    assert lines_at_fault(error) == [3]
    assert "column F, right of the header's last column E" in error.detail


def test_a_workbook_cell_with_a_byte_order_mark_is_refused_naming_its_row(asset, user_a):
    file = xlsx(
        [
            ["period", "amount", "revenue_type", "counterparty"],
            ["2024-01", 100, "licence", "A"],
            ["2024-02", 100, "licence", "\ufeffB"],
        ]
    )
    error = refused_as_malformed(asset, user_a, file)
    assert lines_at_fault(error) == [3]
    assert "byte-order mark" in error.detail


def test_a_workbook_row_with_empty_trailing_cells_imports(asset, user_a):
    file = xlsx([["period", "amount", "revenue_type", "counterparty", "contract"], ["2024-01", 100, "licence", "A"]])
    assert revenue_import(actor=user_a, data_asset=asset, uploaded_file=file).row_count == 1
