"""Strict reading of uploaded CSV text: one record a line, quotes closed, every row as wide as its header.

Python's csv module is lenient: an unclosed quote swallows the following lines
into one value, a quote inside an unquoted value is kept as text, and a row with
one field too many or too few is returned as it is. A revenue or market file read
that way is stored with its values in the wrong columns. Here the same module
reads the text with `strict=True`, and every departure from RFC 4180 that would
shift or merge values is a *problem* naming its line: an unclosed or misplaced
quote, a record running over several lines, a control character (NUL...), a
byte-order mark inside the file, and a data row whose number of fields differs
from the header's (with a hint when the row uses another delimiter). Callers
refuse the whole file when there is any problem (docs/revenue_import.md, "A well-formed file").

Lines are counted as a text editor and a spreadsheet count them: the first line
of the file is line 1. Problems are dicts {"line", "column", "message"} like the
importers' cell errors, with an empty column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

DELIMITERS = (",", ";", "\t")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BYTE_ORDER_MARK = "\ufeff"
# More control characters than this share of the text: a binary file, not text with a stray character.
BINARY_CONTROL_SHARE = 0.01
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def problem(line: int, message: str) -> dict[str, Any]:
    """One problem of the file's form, on one line (no column: the line as a whole is wrong)."""
    return {"line": line, "column": "", "message": message}


def delimiter_name(delimiter: str) -> str:
    """A delimiter as a user reads it in a message."""
    return _("tab") if delimiter == "\t" else f"'{delimiter}'"


def decode_text(data: bytes) -> str | None:
    """UTF-8 (BOM or not) first, then GB18030, the superset of the GBK that Chinese Excel writes.

    None when the bytes are not text in either encoding, or hold so many control
    characters that they are a binary file; a few stray ones are left for
    `read_records` to name by line.
    """
    encodings = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = len(CONTROL_CHARS.findall(text))
        return None if controls > max(1, len(text) * BINARY_CONTROL_SHARE) else text
    return None


def sniff_delimiter(text: str) -> str:
    """Comma unless the first line is clearly split by semicolons or tabs (European or tab-separated exports)."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=first_line.count)


@dataclass
class CsvText:
    """The records of a CSV text as (first line, cells), the problems met reading it, and its physical lines."""

    delimiter: str
    rows: list[tuple[int, list[str]]]
    problems: list[dict[str, Any]]
    lines: list[str] = field(repr=False)

    def raw_line(self, line: int) -> str:
        """The text of one physical line, without its line break."""
        return _line_text(self.lines, line)


def _line_text(lines: list[str], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


def read_records(text: str, *, max_records: int, too_many: Callable[[], Exception]) -> CsvText:
    """Every record of the text with the line it starts on, and every problem of form by line.

    Reading stops at a quote the csv module cannot close (the rest of the file
    would be read as one value); other problems are collected and reading goes
    on, so that one upload names them all. `too_many()` is raised past
    `max_records` records.
    """
    delimiter = sniff_delimiter(text)
    lines = _LINE_BREAK.split(text)
    problems = [found for number, raw in enumerate(lines, start=1) if (found := _character_problem(number, raw))]
    bad_lines = {found["line"] for found in problems}
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            end = reader.line_num
            if end > start and start not in bad_lines:
                message = _(
                    "A quoted value starting on this line runs on to line %(end)d: a quote is not closed, "
                    "or a value holds a line break."
                )
                problems.append(problem(start, message % {"end": end}))
                bad_lines.add(start)
            elif start not in bad_lines and _has_unquoted_quote(_line_text(lines, start), cells, delimiter):
                message = _(
                    "A value on this line holds a quote but is not enclosed in quotes: enclose the whole value "
                    'in double quotes and double the quote inside it ("").'
                )
                problems.append(problem(start, message))
                bad_lines.add(start)
            rows.append((start, cells))
            if len(rows) > max_records:
                raise too_many()
            start = end + 1
    except csv.Error as exc:
        problems.append(problem(start, _quote_error_message(str(exc), start=start, end=reader.line_num)))
    return CsvText(delimiter=delimiter, rows=rows, problems=problems, lines=lines)


def _character_problem(line: int, raw: str) -> dict[str, Any] | None:
    control = CONTROL_CHARS.search(raw)
    if control and control.group() == "\x00":
        return problem(
            line, _("This line holds a NUL character (U+0000): the file is damaged or was not saved as CSV text.")
        )
    if control:
        message = _(
            "This line holds the control character U+%(code)04X, which text never contains: the file is damaged "
            "or was not saved as CSV text."
        )
        return problem(line, message % {"code": ord(control.group())})
    if BYTE_ORDER_MARK in raw:
        return problem(
            line,
            _(
                "This line holds a byte-order mark (U+FEFF), which belongs only at the very start of a file: "
                "two files were probably joined. Remove it."
            ),
        )
    return None


def _quote_error_message(error: str, *, start: int, end: int) -> str:
    """The csv module's English error, told in the user's language; `start` is the line the record began on."""
    if "unexpected end of data" in error or "EOF" in error:
        return _("A quote opened on this line is never closed: everything after it would be read as one value.")
    if "expected after" in error and end > start:
        message = _(
            "A quote opened on this line is closed only on line %(end)d, and more text follows it there: "
            "the quote is not closed where it should be."
        )
        return message % {"end": end}
    if "expected after" in error:
        return _(
            "A quoted value is followed by more text before the next delimiter: a quote inside a value must be "
            'doubled (""), or the closing quote is misplaced.'
        )
    return _("This line is not well-formed CSV.")


def _has_unquoted_quote(raw: str, cells: list[str], delimiter: str) -> bool:
    """A value not enclosed in quotes holds a quote: RFC 4180 allows a quote only inside a quoted value.

    The csv module keeps such a quote as text, so the record is walked again: a
    quoted value is written exactly as '"' + value with quotes doubled + '"' (strict
    mode refuses anything else), an unquoted one exactly as its text.
    """
    if '"' not in raw:
        return False
    position = 0
    for cell in cells:
        if raw.startswith('"', position):
            position += len(cell.replace('"', '""')) + 2
        elif '"' in cell:
            return True
        else:
            position += len(cell)
        position += len(delimiter)
    return False


def width_problems(
    csv_text: CsvText, *, header: list[str], data_rows: list[tuple[int, list[str]]]
) -> list[dict[str, Any]]:
    """A problem for each data row whose number of fields is not the header's; lines already at fault are skipped."""
    expected = len(header)
    bad_lines = {found["line"] for found in csv_text.problems}
    problems = []
    for line, cells in data_rows:
        if len(cells) == expected or line in bad_lines:
            continue
        hint = _other_delimiter(csv_text.raw_line(line), csv_text.delimiter, expected)
        if hint:
            message = _("This row is separated by %(found)s but the header by %(expected)s: use one delimiter.") % {
                "found": delimiter_name(hint),
                "expected": delimiter_name(csv_text.delimiter),
            }
        elif len(cells) > expected:
            message = _(
                "This row has %(found)d fields but the header has %(expected)d: a value holding %(delimiter)s "
                "must be enclosed in double quotes, or a field is extra."
            ) % {"found": len(cells), "expected": expected, "delimiter": delimiter_name(csv_text.delimiter)}
        else:
            message = _(
                "This row has %(found)d fields but the header has %(expected)d: a field is missing "
                "(leave an empty value between two delimiters instead)."
            ) % {"found": len(cells), "expected": expected}
        problems.append(problem(line, message))
    return problems


def _other_delimiter(raw: str, delimiter: str, expected: int) -> str | None:
    for other in DELIMITERS:
        if other != delimiter and other in raw:
            try:
                cells = next(csv.reader([raw], delimiter=other, strict=True))
            except (csv.Error, StopIteration):
                continue
            if len(cells) == expected:
                return other
    return None


def header_mixes_delimiters(header: list[str], *, delimiter: str, is_column: Callable[[str], bool]) -> str | None:
    """The other delimiter that splits a header cell into known column names, if the header mixes delimiters."""
    for cell in header:
        for other in DELIMITERS:
            if other != delimiter and other in cell and any(is_column(piece) for piece in cell.split(other)):
                return other
    return None


def header_problem(line: int, *, found: str, expected: str) -> dict[str, Any]:
    """The header line mixes two delimiters."""
    message = _("The header is separated by both %(expected)s and %(found)s: use one delimiter.") % {
        "found": delimiter_name(found),
        "expected": delimiter_name(expected),
    }
    return problem(line, message)


def cell_text_problem(line: int, value: Any) -> dict[str, Any] | None:
    """A text cell of a workbook with a control character or a byte-order mark, as the same problem as in CSV."""
    return _character_problem(line, value) if isinstance(value, str) else None


def malformed_detail(problems: list[dict[str, Any]]) -> str:
    """The one-sentence error of a malformed file: the first problem, its line, and how many lines are at fault."""
    first = min(problems, key=lambda found: found["line"])
    lines = len({found["line"] for found in problems})
    if lines == 1:
        message = _("The file is not well-formed, so nothing was saved. Line %(line)d: %(problem)s")
        return message % {"line": first["line"], "problem": first["message"]}
    message = _("The file is not well-formed on %(count)d lines, so nothing was saved. Line %(line)d: %(problem)s")
    return message % {"count": lines, "line": first["line"], "problem": first["message"]}
