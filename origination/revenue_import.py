"""Revenue import: a CSV or Excel file of monthly revenue, checked row by row and saved all or nothing.

The file type is decided by its content, never by its name: an .xlsx is a ZIP
holding an OOXML workbook; a CSV is text in UTF-8 (with or without BOM) or
GB18030/GBK, as Chinese Excel saves it. The header row names the columns in
English or Chinese. The file's form is checked first (origination/strict_csv.py):
every data row has exactly the header's fields, quotes are closed, no control
character or stray byte-order mark; a malformed file is refused naming each
line at fault, before any value is read, since its values may sit in the wrong
columns. Then every row is checked before anything is written; one bad row
refuses the file and the error lists every bad row (line, column, reason),
counting lines as a spreadsheet does (header = line 1). docs/revenue_import.md
describes the format and the errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

import rules
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import strict_csv
from .asset_hooks import data_asset_facts_changed
from .choices import RevenueType
from .errors import DomainError
from .limits import CENT, MONEY_MAX, MONEY_RANGE
from .models import DataAsset, RevenueImport, RevenueRecord, User

# More rows than this is not a revenue history but a mistake (or a decompression bomb).
MAX_DATA_ROWS = 200_000
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
EXCEL_SERIAL_1970, EXCEL_SERIAL_2100 = 25569, 73051  # 1970-01-01 and 2100-01-01 as Excel day numbers

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "period": ("period", "month", "期间", "月份", "所属期间", "收入期间", "会计期间", "收入月份"),
    "amount": ("amount", "amount_cny", "revenue", "金额", "收入金额", "收入"),
    "revenue_type": ("revenue_type", "type", "收入类型", "类型", "收入种类"),
    "counterparty": ("counterparty", "customer", "client", "交易对手", "交易对手方", "客户", "客户名称"),
    "contract": ("contract", "contract_ref", "contract_no", "contract_number", "合同", "合同编号", "合同号"),
}
REQUIRED_COLUMNS = ("period", "amount", "revenue_type", "counterparty")
HEADER_SEARCH_ROWS = 10
MAX_LENGTH = {"counterparty": 200, "contract": 100}

# Names a Chinese ledger uses for each revenue type, besides the values and their labels.
REVENUE_TYPE_ALIASES: dict[str, tuple[str, ...]] = {
    RevenueType.LICENCE: ("license", "许可", "授权", "授权许可", "数据许可", "许可费", "授权使用"),
    RevenueType.API_USAGE: ("api", "api调用", "api使用", "接口调用", "调用"),
    RevenueType.SUBSCRIPTION: ("订阅", "订阅费", "数据订阅"),
    RevenueType.DATA_PRODUCT_SALE: ("数据产品销售", "产品销售", "数据产品"),
    RevenueType.SERVICE: ("服务", "数据服务", "技术服务"),
}

# Magic numbers of files people upload by mistake, to name what was sent.
_SIGNATURES: tuple[tuple[bytes, Any], ...] = (
    (b"%PDF", gettext_lazy("a PDF document")),
    (b"\x89PNG", gettext_lazy("a PNG image")),
    (b"\xff\xd8\xff", gettext_lazy("a JPEG image")),
    (b"GIF8", gettext_lazy("a GIF image")),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        gettext_lazy("an Excel 97-2003 (.xls) workbook, a password-protected workbook or another legacy Office file"),
    ),
    (b"\x1f\x8b", gettext_lazy("a gzip archive")),
    (b"Rar!", gettext_lazy("a RAR archive")),
    (b"7z\xbc\xaf", gettext_lazy("a 7-Zip archive")),
)
_PERIOD_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?"),
)
_PLAIN_AMOUNT = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
_CNY_PREFIX = re.compile(r"^(?:¥|cny|rmb|人民币)\s*", re.IGNORECASE)
_CNY_SUFFIX = re.compile(r"\s*(?:元|cny|rmb)$", re.IGNORECASE)
# A number with a currency sign or code that is not CNY: $1,500, US$ 1500, 1500 USD, HK$200, €30.
_FOREIGN_CURRENCY = re.compile(
    r"(?:[A-Za-z]{0,3}[$€£₩₹]|[A-Za-z]{3})\s*[-+]?[\d,.]+|[-+]?[\d,.]+\s*(?:[A-Za-z]{3}|[$€£₩₹])"
)


def _accepted_types() -> str:
    return _("Upload a CSV file (UTF-8 or GBK) or an Excel .xlsx workbook.")


class RevenueFileError(DomainError):
    """A revenue file was refused: as a whole (`revenue_file_refused`), for its form (`revenue_file_malformed`)
    or for its rows (`revenue_rows_invalid`)."""

    FILE_REFUSED = "revenue_file_refused"
    MALFORMED = "revenue_file_malformed"
    ROWS_INVALID = "revenue_rows_invalid"

    def __init__(
        self, code: str, detail: str, *, fields: dict[str, Any] | None = None, row_errors: list[dict] | None = None
    ):
        super().__init__(code, detail, fields=fields, status=400)
        self.row_errors: list[dict[str, Any]] = row_errors or []

    @classmethod
    def file_refused(cls, message: str) -> RevenueFileError:
        """The whole file is refused (size, type, empty, unreadable, columns)."""
        return cls(cls.FILE_REFUSED, message, fields={"file": message})

    @classmethod
    def malformed(cls, problems: list[dict[str, Any]]) -> RevenueFileError:
        """The file's form is broken on some lines (fields shifted, quotes, characters); `rows` lists each line."""
        problems = sorted(problems, key=lambda found: found["line"])
        detail = strict_csv.malformed_detail(problems)
        return cls(cls.MALFORMED, detail, fields={"file": detail, "rows": problems}, row_errors=problems)

    @classmethod
    def rows_invalid(cls, row_errors: list[dict[str, Any]]) -> RevenueFileError:
        """Some rows are wrong; `row_errors` lists each as {"line", "column", "message"}."""
        row_errors = sorted(row_errors, key=lambda error: error["line"])
        bad_lines = len({error["line"] for error in row_errors})
        detail = _("%(count)d row(s) of the file have errors; nothing was saved.") % {"count": bad_lines}
        return cls(cls.ROWS_INVALID, detail, fields={"rows": row_errors}, row_errors=row_errors)


@dataclass(frozen=True)
class _Table:
    """Rows of a file as (line number, cells); cells are text (CSV) or typed cell values (Excel).

    `problems` are the lines whose form is broken, found while reading; `csv_text` is the CSV as read (None for
    a workbook), for the row widths that can only be checked once the header is known.
    """

    rows: list[tuple[int, list[Any]]]
    problems: list[dict[str, Any]]
    excel_epoch: dt.datetime | None = None
    csv_text: strict_csv.CsvText | None = None


# --- reading the file -------------------------------------------------------------------------------------------


def _read_upload(uploaded_file: UploadedFile) -> bytes:
    limit = settings.REVENUE_UPLOAD_MAX_BYTES
    too_large = _("The file is larger than the %(limit)s MB limit.") % {"limit": f"{limit / 1024 / 1024:g}"}
    # The declared size is checked before a single byte is read or parsed.
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise RevenueFileError.file_refused(too_large)
    data = b"".join(uploaded_file.chunks())
    if len(data) > limit:
        raise RevenueFileError.file_refused(too_large)
    if not data.strip():
        raise RevenueFileError.file_refused(_("The file is empty."))
    return data


def _load_table(data: bytes) -> _Table:
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_table(data)
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            message = _("The file is %(kind)s, which cannot be imported.") % {"kind": kind}
            raise RevenueFileError.file_refused(f"{message} {_accepted_types()}")
    text = strict_csv.decode_text(data)
    if text is None:
        message = _("The file is neither CSV text nor an Excel .xlsx workbook.")
        raise RevenueFileError.file_refused(f"{message} {_accepted_types()}")
    return _csv_table(text)


def _csv_table(text: str) -> _Table:
    csv_text = strict_csv.read_records(
        text, max_records=MAX_DATA_ROWS + 1, too_many=lambda: RevenueFileError.file_refused(_too_many_rows())
    )
    return _Table(rows=list(csv_text.rows), problems=list(csv_text.problems), csv_text=csv_text)


def _xlsx_table(data: bytes) -> _Table:
    """The first worksheet of an .xlsx, streamed by openpyxl in read-only mode, formulas as their saved values."""
    import openpyxl

    unreadable = _("The file is not a readable Excel .xlsx workbook.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise RevenueFileError.file_refused(f"{unreadable} {_accepted_types()}") from exc
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        message = _("The file is a ZIP archive but not an Excel .xlsx workbook.")
        raise RevenueFileError.file_refused(f"{message} {_accepted_types()}")
    if unpacked > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise RevenueFileError.file_refused(_("The workbook is too large once unpacked; split it into smaller files."))
    rows: list[tuple[int, list[Any]]] = []
    problems: list[dict[str, Any]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                raise RevenueFileError.file_refused(_("The workbook has no worksheet."))
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # the stored dimension may be missing or wrong in files from other tools
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((line, list(cells)))
                found = next(filter(None, (strict_csv.cell_text_problem(line, cell) for cell in cells)), None)
                if found:
                    problems.append(found)
                if len(rows) > MAX_DATA_ROWS + 1:
                    raise RevenueFileError.file_refused(_too_many_rows())
            epoch = workbook.epoch
        finally:
            workbook.close()
    except RevenueFileError:
        raise
    except Exception as exc:  # openpyxl raises many types (KeyError, ParseError, ValueError...) on a broken file
        raise RevenueFileError.file_refused(f"{unreadable} {_accepted_types()}") from exc
    return _Table(rows=rows, problems=problems, excel_epoch=epoch)


def _too_large_total() -> str:
    return _("The amounts of the file add up to more than %(max)s CNY; split it into smaller files.") % {
        "max": f"{MONEY_MAX:,}"
    }


def _too_many_rows() -> str:
    return _("The file has more than %(max)d rows; split it into smaller files.") % {"max": MAX_DATA_ROWS}


# --- the header ---------------------------------------------------------------------------------------------------


def _normalise_name(value: Any) -> str:
    """'Amount (CNY)', 'amount', '金额（元）' and 'Revenue Type' all become comparable keys."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]$", "", text)  # a trailing unit: (CNY), (元), [RMB]
    return re.sub(r"[\s_\-./]+", "_", text).strip("_")


_ALIAS_TO_COLUMN = {_normalise_name(alias): column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}


def _header_index(rows: list[tuple[int, list[Any]]]) -> int:
    """The header is the first row naming two known columns; title rows above it (a report name) are skipped."""
    for index, (_line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if len({_ALIAS_TO_COLUMN.get(_normalise_name(cell)) for cell in cells} - {None}) >= 2:
            return index
    return 0


def _is_column_name(value: Any) -> bool:
    return _normalise_name(value) in _ALIAS_TO_COLUMN


def _form_problems(
    table: _Table, *, header_line: int, header: list[Any], data_rows: list[tuple[int, list[Any]]]
) -> list[dict[str, Any]]:
    """Lines whose form is broken: found while reading, a header split by two delimiters, rows of another width."""
    problems = list(table.problems)
    if table.csv_text is not None:
        delimiter = table.csv_text.delimiter
        other = strict_csv.header_mixes_delimiters(header, delimiter=delimiter, is_column=_is_column_name)
        if other and header_line not in {found["line"] for found in problems}:
            problems.append(strict_csv.header_problem(header_line, found=other, expected=delimiter))
        return problems + strict_csv.width_problems(table.csv_text, header=header, data_rows=data_rows)
    # A workbook row cannot have its cells shifted, but a value right of the last named column has no column.
    from openpyxl.utils import get_column_letter

    width = max((index + 1 for index, cell in enumerate(header) if _text(cell)), default=0)
    at_fault = {found["line"] for found in problems}
    for line, cells in data_rows:
        beyond = next((index for index in range(width, len(cells)) if _text(cells[index])), None)
        if beyond is not None and line not in at_fault:
            message = _(
                "This row has a value in column %(column)s, right of the header's last column %(last)s: "
                "every value belongs under a named column."
            ) % {"column": get_column_letter(beyond + 1), "last": get_column_letter(max(width, 1))}
            problems.append(strict_csv.problem(line, message))
    return problems


def _map_header(cells: list[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = _ALIAS_TO_COLUMN.get(_normalise_name(cell))
        if column is None:
            continue  # extra columns (notes, subtotals) are ignored
        if column in positions:
            message = _("The column '%(column)s' appears more than once in the header.") % {"column": column}
            raise RevenueFileError.file_refused(message)
        positions[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        message = _(
            "The file is missing the required column(s): %(missing)s. The header row needs period, amount, "
            "revenue_type, counterparty and optionally contract (or 期间, 金额, 收入类型, 交易对手, 合同)."
        ) % {"missing": ", ".join(missing)}
        raise RevenueFileError.file_refused(message)
    return positions


# --- the cells ----------------------------------------------------------------------------------------------------


class _CellError(ValueError):
    """One cell is wrong; the message is shown to the user."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_period(value: Any, *, epoch: dt.datetime | None, this_month: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and epoch is not None:
        day = _excel_serial_date(value, epoch=epoch)
    else:
        day = _period_from_text(_text(value))
    first = day.replace(day=1)
    if first > this_month:
        raise _CellError(_("The period %(period)s is in the future.") % {"period": f"{first:%Y-%m}"})
    return first


def _excel_serial_date(value: float, *, epoch: dt.datetime) -> dt.date:
    """A date stored as a plain number. Only 1970-2099 is read as a date, so that 2024.03 or 202403 typed
    into a number cell is refused rather than silently taken for a day in 1905 or 2454."""
    from openpyxl.utils.datetime import from_excel

    if not (math.isfinite(value) and EXCEL_SERIAL_1970 <= value < EXCEL_SERIAL_2100):
        message = _("'%(value)s' is a number, not a date; write the period as YYYY-MM or format the cell as a date.")
        raise _CellError(message % {"value": _text(value)})
    return from_excel(value, epoch=epoch).date()


def _period_from_text(text: str) -> dt.date:
    if not text:
        raise _CellError(_("This value is required."))
    normalised = unicodedata.normalize("NFKC", text)
    for pattern in _PERIOD_PATTERNS:
        match = pattern.fullmatch(normalised)
        if match:
            year, month, day = match.groups()
            try:
                return dt.date(int(year), int(month), int(day or 1))
            except ValueError:
                break
    raise _CellError(_("'%(value)s' is not a valid period; use YYYY-MM, YYYY-MM-DD or YYYY/MM.") % {"value": text[:40]})


def _parse_amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _CellError(_("'%(value)s' is not an amount.") % {"value": value})
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _CellError(_("'%(value)s' is not an amount.") % {"value": value})
        amount = Decimal(format(value, ".15g"))  # Excel keeps 15 significant digits
    else:
        amount = _amount_from_text(_text(value))
    if amount <= 0:
        raise _CellError(_("The amount must be greater than zero."))
    if amount > MONEY_MAX:
        raise _CellError(_("The amount must be at most %(max)s CNY.") % {"max": f"{MONEY_MAX:,}"})
    if amount != amount.quantize(CENT):
        raise _CellError(_("The amount has more than 2 decimal places."))
    return amount.quantize(CENT)


def _amount_from_text(text: str) -> Decimal:
    if not text:
        raise _CellError(_("This value is required."))
    normalised = unicodedata.normalize("NFKC", text).strip()  # full-width ￥ and digits become ASCII
    normalised = _CNY_SUFFIX.sub("", _CNY_PREFIX.sub("", normalised)).strip()
    if _FOREIGN_CURRENCY.fullmatch(normalised):
        raise _CellError(_("'%(value)s' is not in CNY; only CNY (¥) amounts are accepted.") % {"value": text[:40]})
    if normalised.startswith("-") or (normalised.startswith("(") and normalised.endswith(")")):
        raise _CellError(_("The amount must be greater than zero."))
    match = _PLAIN_AMOUNT.fullmatch(normalised.lstrip("+"))
    if not match:
        raise _CellError(
            _("'%(value)s' is not a valid amount; write digits with an optional ',' thousands separator.")
            % {"value": text[:40]}
        )
    try:
        return Decimal(match.group(0).replace(",", ""))
    except InvalidOperation as exc:  # the pattern admits only digits, so this is a safeguard
        raise _CellError(_("'%(value)s' is not a valid amount.") % {"value": text[:40]}) from exc


def _revenue_type_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for choice in RevenueType:
        names = [choice.value, *REVENUE_TYPE_ALIASES.get(choice, ())]
        for language in ("en", "zh-hans", translation.get_language() or "en"):
            with translation.override(language):
                names.append(str(choice.label))
        lookup.update({_normalise_name(name): choice.value for name in names})
    return lookup


def _parse_revenue_type(value: Any, lookup: dict[str, str]) -> str:
    text = _text(value)
    if not text:
        raise _CellError(_("This value is required."))
    try:
        return lookup[_normalise_name(text)]
    except KeyError:
        accepted = ", ".join(f"{choice.value} ({choice.label})" for choice in RevenueType)
        raise _CellError(
            _("'%(value)s' is not a revenue type; use one of: %(accepted)s.")
            % {"value": text[:40], "accepted": accepted}
        ) from None


def _parse_name(value: Any, *, column: str, required: bool) -> str:
    text = _text(value)
    if required and not text:
        raise _CellError(_("This value is required."))
    if len(text) > MAX_LENGTH[column]:
        raise _CellError(_("At most %(max)d characters are allowed.") % {"max": MAX_LENGTH[column]})
    return text


# --- rows -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    period: dt.date
    amount: Decimal
    revenue_type: str
    counterparty: str
    contract_ref: str

    @property
    def key(self) -> tuple[dt.date, str, str, str]:
        return (self.period, self.counterparty, self.revenue_type, self.contract_ref)


def _error(line: int, column: str, message: str) -> dict[str, Any]:
    return {"line": line, "column": column, "message": message}


def _memoised(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Parse each distinct value once: a file repeats the same 60 periods and 5 types thousands of times."""
    outcomes: dict[tuple[type, Any], tuple[bool, Any]] = {}

    def parse_once(value: Any) -> Any:
        key = (type(value), value)
        if key not in outcomes:
            try:
                outcomes[key] = (True, parse(value))
            except _CellError as exc:
                outcomes[key] = (False, str(exc))
        ok, result = outcomes[key]
        if not ok:
            raise _CellError(result)
        return result

    return parse_once


def _validate_rows(table: _Table) -> tuple[list[_Row], list[dict[str, Any]]]:
    """Every data row checked cell by cell, then for duplicates within the file."""
    filled = [(line, cells) for line, cells in table.rows if any(_text(cell) for cell in cells)]
    if not filled:
        if table.problems:
            raise RevenueFileError.malformed(table.problems)
        raise RevenueFileError.file_refused(_("The file is empty."))
    header_index = _header_index(filled)
    header_line, header = filled[header_index]
    data_rows = filled[header_index + 1 :]
    problems = _form_problems(table, header_line=header_line, header=header, data_rows=data_rows)
    if problems:
        raise RevenueFileError.malformed(problems)
    positions = _map_header(header)
    if not data_rows:
        raise RevenueFileError.file_refused(_("The file has no rows below its header."))

    this_month = timezone.localdate().replace(day=1)
    types = _revenue_type_lookup()
    parsers = {
        "period": _memoised(lambda value: _parse_period(value, epoch=table.excel_epoch, this_month=this_month)),
        "amount": _parse_amount,
        "revenue_type": _memoised(lambda value: _parse_revenue_type(value, types)),
        "counterparty": lambda value: _parse_name(value, column="counterparty", required=True),
        "contract": lambda value: _parse_name(value, column="contract", required=False),
    }
    rows: list[_Row] = []
    errors: list[dict[str, Any]] = []
    first_line_of: dict[tuple, int] = {}
    for line, cells in data_rows:
        parsed: dict[str, Any] = {}
        for column, parse in parsers.items():
            index = positions.get(column)
            value = cells[index] if index is not None and index < len(cells) else None
            try:
                parsed[column] = parse(value)
            except _CellError as exc:
                errors.append(_error(line, column, str(exc)))
        if len(parsed) < len(parsers):
            continue
        row = _Row(
            line, parsed["period"], parsed["amount"], parsed["revenue_type"], parsed["counterparty"], parsed["contract"]
        )
        if row.key in first_line_of:
            message = _("Duplicate of line %(line)d (same period, counterparty, revenue type and contract).")
            errors.append(_error(line, "", message % {"line": first_line_of[row.key]}))
            continue
        first_line_of[row.key] = line
        rows.append(row)
    return rows, errors


def _already_stored(*, data_asset: DataAsset, rows: list[_Row]) -> list[dict[str, Any]]:
    periods = {row.period for row in rows}
    stored = set(
        RevenueRecord.objects.filter(data_asset=data_asset, period__in=periods).values_list(
            "period", "counterparty", "revenue_type", "contract_ref"
        )
    )
    message = _(
        "This row is already stored for this data asset (same period, counterparty, revenue type and contract)."
    )
    return [_error(row.line, "", message) for row in rows if row.key in stored]


# --- the service --------------------------------------------------------------------------------------------------


def revenue_import(*, actor: User, data_asset: DataAsset, uploaded_file: UploadedFile) -> RevenueImport:
    """Import a CSV or .xlsx file of monthly revenue for an asset of the actor's company; any bad row saves nothing."""
    if not rules.test_rule("origination.upload_revenue", actor, data_asset):
        raise DomainError("forbidden", _("Only the data asset's own company uploads its revenue."), status=403)
    data = _read_upload(uploaded_file)
    rows, errors = _validate_rows(_load_table(data))
    try:
        with transaction.atomic():
            # Lock the asset so two imports of the same asset cannot both pass the duplicate check.
            list(DataAsset.objects.select_for_update().filter(pk=data_asset.pk).order_by().values_list("pk"))
            errors += _already_stored(data_asset=data_asset, rows=rows)
            if errors:
                raise RevenueFileError.rows_invalid(errors)
            total = sum((row.amount for row in rows), Decimal("0"))
            if not MONEY_RANGE.contains(total):
                raise RevenueFileError.file_refused(_too_large_total())
            revenue_file = RevenueImport(
                data_asset=data_asset,
                uploaded_by=actor,
                file_name=PurePath(uploaded_file.name or "upload").name[:255],
                sha256=hashlib.sha256(data).hexdigest(),
                row_count=len(rows),
                total_amount=total,
            )
            revenue_file._history_user = actor  # type: ignore[attr-defined]  # the history names who imported
            revenue_file.save()
            RevenueRecord.objects.bulk_create(
                [
                    RevenueRecord(
                        data_asset=data_asset,
                        period=row.period,
                        amount=row.amount,
                        revenue_type=row.revenue_type,
                        counterparty=row.counterparty,
                        contract_ref=row.contract_ref,
                        source_import=revenue_file,
                    )
                    for row in rows
                ],
                batch_size=2000,
            )
            data_asset_facts_changed.fire(data_asset_id=data_asset.pk)
    except IntegrityError as exc:  # another import saved some of these rows between our check and our insert
        message = _("Some of these rows were saved by another import at the same moment; upload the file again.")
        raise RevenueFileError.file_refused(message) from exc
    return revenue_file
