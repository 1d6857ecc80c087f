"""Reading a CSV upload of market data, as the revenue import reads its files (origination/revenue_import.py).

The text is UTF-8 (with or without BOM) or GB18030/GBK, as Chinese Excel saves
it; the first filled row is the header and names the columns; lines are
counted as a spreadsheet counts them (header = line 1). The file's form is
checked first, by the revenue import's strict reader (origination/strict_csv.py):
a data row with more or fewer fields than the header, an unclosed quote, a NUL
or a byte-order mark inside the file refuses it naming every line at fault
(`market_file_malformed`), before a value is read. A bad cell is a
`CellError`; the parsers collect them as {"line", "column", "message"} and one
bad row refuses the whole file (`MarketFileError`). Used by the market series
(deals/market_csv.py) and the comparables register (deals/comparable_csv.py).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from origination import strict_csv
from origination.errors import DomainError

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_DATA_ROWS = 20_000

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class MarketFileError(DomainError):
    """A market data file was refused: as a whole (`market_file_refused`), for its form (`market_file_malformed`)
    or for its rows (`market_rows_invalid`)."""

    FILE_REFUSED = "market_file_refused"
    MALFORMED = "market_file_malformed"
    ROWS_INVALID = "market_rows_invalid"

    def __init__(self, code: str, detail: str, *, fields: dict[str, Any], row_errors: list[dict[str, Any]]):
        super().__init__(code, detail, fields=fields, status=400)
        self.row_errors = row_errors

    @classmethod
    def file_refused(cls, message: str) -> MarketFileError:
        """The whole file is refused (size, type, empty, unreadable, columns)."""
        return cls(cls.FILE_REFUSED, message, fields={"file": message}, row_errors=[])

    @classmethod
    def malformed(cls, problems: list[dict[str, Any]]) -> MarketFileError:
        """The file's form is broken on some lines (fields shifted, quotes, characters); `rows` lists each line."""
        problems = sorted(problems, key=lambda found: found["line"])
        detail = strict_csv.malformed_detail(problems)
        return cls(cls.MALFORMED, detail, fields={"file": detail, "rows": problems}, row_errors=problems)

    @classmethod
    def rows_invalid(cls, row_errors: list[dict[str, Any]]) -> MarketFileError:
        """Some rows are wrong; `row_errors` lists each as {"line", "column", "message"}, by line."""
        row_errors = sorted(row_errors, key=lambda error: error["line"])
        bad_lines = len({error["line"] for error in row_errors})
        detail = _("%(count)d row(s) of the file have errors; nothing was saved.") % {"count": bad_lines}
        return cls(cls.ROWS_INVALID, detail, fields={"rows": row_errors}, row_errors=row_errors)


class CellError(ValueError):
    """One cell is wrong; the message is shown to the user."""


def row_error(line: int, column: str, message: str) -> dict[str, Any]:
    """One bad cell (or row, with column "") as the upload reports it."""
    return {"line": line, "column": column, "message": message}


# --- reading the file -------------------------------------------------------------------------------------------


def read_csv_rows(uploaded_file: UploadedFile, *, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a CSV upload as (line, {column: text}); the header must name every column once."""
    data = _read_upload(uploaded_file)
    text = strict_csv.decode_text(data)
    if text is None:
        raise MarketFileError.file_refused(
            _("The file is not CSV text (UTF-8 or GBK). Save it as CSV and upload it again.")
        )
    csv_text = _csv_rows(text)
    filled = [(line, cells) for line, cells in csv_text.rows if any(cell.strip() for cell in cells)]
    if not filled:
        if csv_text.problems:
            raise MarketFileError.malformed(csv_text.problems)
        raise MarketFileError.file_refused(_("The file is empty."))
    header_line, header = filled[0]
    data_rows = filled[1:]
    problems = list(csv_text.problems)
    other = strict_csv.header_mixes_delimiters(
        header, delimiter=csv_text.delimiter, is_column=lambda piece: normalise(piece) in columns
    )
    if other and header_line not in {found["line"] for found in problems}:
        problems.append(strict_csv.header_problem(header_line, found=other, expected=csv_text.delimiter))
    problems += strict_csv.width_problems(csv_text, header=header, data_rows=data_rows)
    if problems:
        raise MarketFileError.malformed(problems)
    positions = _map_header(header, columns=columns)
    if not data_rows:
        raise MarketFileError.file_refused(_("The file has no rows below its header."))
    return [
        (line, {name: (cells[index].strip() if index < len(cells) else "") for name, index in positions.items()})
        for line, cells in data_rows
    ]


def _read_upload(uploaded_file: UploadedFile) -> bytes:
    too_large = _("The file is larger than the %(limit)s MB limit.") % {"limit": f"{MAX_UPLOAD_BYTES / 1024 / 1024:g}"}
    if uploaded_file.size is not None and uploaded_file.size > MAX_UPLOAD_BYTES:
        raise MarketFileError.file_refused(too_large)
    data = b"".join(uploaded_file.chunks())
    if len(data) > MAX_UPLOAD_BYTES:
        raise MarketFileError.file_refused(too_large)
    if not data.strip():
        raise MarketFileError.file_refused(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        raise MarketFileError.file_refused(_("The file is an Excel workbook or a ZIP archive; save it as CSV first."))
    return data


def _csv_rows(text: str) -> strict_csv.CsvText:
    def too_many() -> MarketFileError:
        message = _("The file has more than %(max)d rows; split it into smaller files.")
        return MarketFileError.file_refused(message % {"max": MAX_DATA_ROWS})

    return strict_csv.read_records(text, max_records=MAX_DATA_ROWS + 1, too_many=too_many)


def normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def _map_header(cells: list[str], *, columns: tuple[str, ...]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = normalise(cell)
        if name not in columns:
            continue  # extra columns (a note, a source link) are ignored
        if name in positions:
            message = _("The column '%(column)s' appears more than once in the header.") % {"column": name}
            raise MarketFileError.file_refused(message)
        positions[name] = index
    missing = [column for column in columns if column not in positions]
    if missing:
        message = _("The file is missing the column(s) %(missing)s; its first row must be: %(header)s.") % {
            "missing": ", ".join(missing),
            "header": ",".join(columns),
        }
        raise MarketFileError.file_refused(message)
    return positions


# --- cells -----------------------------------------------------------------------------------------------------


def parse_date(text: str, *, today: dt.date) -> dt.date:
    """A date written YYYY-MM-DD, not after today."""
    if not text:
        raise CellError(_("This value is required."))
    normalised = unicodedata.normalize("NFKC", text).strip()
    try:
        if not _ISO_DATE.fullmatch(normalised):
            raise ValueError(normalised)
        day = dt.date.fromisoformat(normalised)
    except ValueError:
        raise CellError(_("'%(value)s' is not a date; write it as YYYY-MM-DD.") % {"value": text[:40]}) from None
    if day > today:
        raise CellError(_("The date %(date)s is in the future.") % {"date": day.isoformat()})
    return day


def parse_number(text: str) -> Decimal:
    """A plain decimal number (a point, no thousands separator, no percent sign)."""
    if not text:
        raise CellError(_("This value is required."))
    normalised = unicodedata.normalize("NFKC", text).strip()
    if normalised.endswith("%"):
        raise CellError(
            _("'%(value)s' is a percentage; write rates as annual fractions (0.0135 for 1.35 %%).")
            % {"value": text[:40]}
        )
    if not _NUMBER.fullmatch(normalised):
        raise CellError(_("'%(value)s' is not a number; write digits with a decimal point.") % {"value": text[:40]})
    try:
        return Decimal(normalised)
    except InvalidOperation:  # the pattern admits only numbers, so this is a safeguard
        raise CellError(_("'%(value)s' is not a number.") % {"value": text[:40]}) from None


def parse_text(text: str, *, max_length: int) -> str:
    """A required text of at most `max_length` characters."""
    if not text:
        raise CellError(_("This value is required."))
    if len(text) > max_length:
        raise CellError(_("At most %(max)d characters are allowed.") % {"max": max_length})
    return text
