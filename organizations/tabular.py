"""Reading the tables people upload: CSV as spreadsheets write it, and XLSX workbooks.

Shared by the people importer and the metric values importer, so that both decode, split and
number rows the same way and refuse the same broken files with the same messages.

- **Decoding** (``decode_text``): UTF-8 with or without a byte-order mark; UTF-16 little- or
  big-endian by its byte-order mark (Excel's "Unicode Text", which is tab-separated); and
  Windows-1252, which Excel on Windows writes for "CSV (Comma delimited)". Anything else that is
  not text (a zip or Excel workbook, UTF-16 without a byte-order mark, any file holding NUL or
  other control characters) is refused with a message saying what to do.
- **Splitting** (``read_csv``): standard CSV (RFC 4180): a cell may be quoted with ``"``, and a
  quoted cell may hold the separator, line breaks and doubled quotes (``""``). The separator is
  the comma, the semicolon (Excel in locales with a decimal comma) or the tab, chosen by which
  one splits the header row into the most cells *when quotes are respected* (or named by
  Excel's ``sep=;`` first line); rows are then read with that separator and standard quoting,
  never with quoting rules guessed from a sample. A quoting error (a quote never closed, text
  after a closing quote) is reported on its row and reading goes on.
- **Numbering and width**: rows are numbered like the spreadsheet (the header is row 1; a line
  break inside a quoted cell does not start a new row). Blank rows are skipped. A row with fewer
  or more cells than the header is reported (``TableRow.problem``), never padded: a missing cell
  would otherwise read as an empty one, which an importer takes to mean "clear this field".
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

# Excel reads (and some exports write) a first line "sep=;" naming the separator.
_SEP_HINT = re.compile(r'"?sep=([,;\t|])"?[^\S\r\n]*(?:\r\n|\r|\n)', re.IGNORECASE)
ZIP_MAGIC = b"PK\x03\x04"
# C0 control characters other than tab, line feed and carriage return: no spreadsheet writes
# them into a CSV file, and PostgreSQL cannot store NUL in a text column.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class FileRefused(ValueError):
    """The file as a whole cannot be read. ``row`` is the spreadsheet row where reading stopped,
    when there is one."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass(frozen=True, slots=True)
class TableRow:
    number: int  # the spreadsheet's row number: the header is row 1
    cells: list[str]
    problem: str | None = None  # set when the row cannot be matched to the header


@dataclass
class Table:
    header: list[str]
    header_row: int
    rows: Iterator[TableRow]  # data rows, read lazily; a broken row comes with its problem
    delimiter: str | None = None  # None for a workbook


def size_problem(size: int, limit: int) -> str | None:
    """The message refusing a file of ``size`` bytes, if it is over ``limit``."""
    if size <= limit:
        return None
    return _(
        "The file is %(size)s; at most %(limit)s is accepted. Split it into smaller files."
    ) % {"size": _megabytes(size), "limit": _megabytes(limit)}


def _megabytes(size: int) -> str:
    """Whole megabytes when exact (a limit); otherwise rounded up to a tenth, so a file just over
    a limit never reads as equal to it."""
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f} MB"


def decode_text(raw: bytes) -> str:
    """The text of a CSV or "Unicode Text" file, or ``FileRefused`` saying why it is not one."""
    save_as = _("Save it from the spreadsheet as “CSV UTF-8” and try again.")
    if raw.startswith(ZIP_MAGIC):
        raise FileRefused(
            _("This is a zip file or an Excel workbook (.xlsx), not a CSV file. %s") % save_as
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")  # reads the byte-order mark and drops it
        except UnicodeDecodeError:
            raise FileRefused(
                _("The file starts like UTF-16 text but is not valid UTF-16. %s") % save_as
            ) from None
    else:
        text = ""
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise FileRefused(_("The file is not text. %s") % save_as)
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise FileRefused(
            _(
                "The file is not text: line %(line)s holds a control character (%(code)s), as "
                "binary files and UTF-16 text without a byte-order mark do. %(save_as)s"
            )
            % {"line": line, "code": f"U+{ord(control.group()):04X}", "save_as": save_as}
        )
    return text


def _reader(text: str, delimiter: str) -> Iterator[list[str]]:
    # Standard quoting (csv.excel): quotechar ", doubled quotes, no escape character. Strict, so
    # that a quoted cell never closed (which would swallow the rows after it) or text after a
    # closing quote is an error on its row rather than a guess; the reader goes on with the next
    # row. A quote inside an unquoted cell (5'10") is kept as a character, as spreadsheets do.
    return csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter, strict=True)


def _first_record(text: str, delimiter: str) -> list[str]:
    try:
        for record in _reader(text, delimiter):
            if any(cell.strip() for cell in record):
                return record
    except csv.Error:
        return []
    return []


def guess_delimiter(text: str) -> str:
    """The separator that splits the header row into the most cells, quotes respected. On a tie
    the rarer separator wins (tab, then semicolon, then comma): a header split by tabs may still
    hold a comma inside a column name, but a comma-separated one holds no tab."""
    best, best_count = ",", 0
    for delimiter in ("\t", ";", ","):
        count = len(_first_record(text, delimiter))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _width_problem(got: int, want: int) -> str:
    if got < want:
        return _(
            "The row has %(got)s cells but the header has %(want)s columns: a cell is missing "
            "(the row may be cut short), so its values cannot be matched to the columns."
        ) % {"got": got, "want": want}
    return _(
        "The row has %(got)s cells but the header has %(want)s columns: a cell holding the "
        "separator must be quoted."
    ) % {"got": got, "want": want}


def _quoting_problem(error: str, delimiter: str) -> str:
    if "unexpected end of data" in error:
        return _(
            "A quoted cell on this row is never closed, so it runs to the end of the file: a "
            'closing quote (") is missing.'
        )
    if "expected after" in error:
        return _(
            "A quoted cell must end with a quote followed by the separator (%(separator)s) or the "
            'end of the row; quote the whole cell and double any quote inside it ("").'
        ) % {"separator": "tab" if delimiter == "\t" else delimiter}
    if "field larger than field limit" in error:
        return _(
            "A cell is longer than %(limit)s characters: probably a quote that is not closed."
        ) % {"limit": f"{csv.field_size_limit():,}"}
    return _("The row is not valid CSV (%s).") % error


def read_csv(text: str) -> Table:
    """The header and the data rows of CSV text (see the module's docstring for the rules).
    ``FileRefused`` when there is no readable header; a row that breaks the CSV rules comes
    with its ``problem`` and reading goes on."""
    text = text.removeprefix("\ufeff")
    hint = _SEP_HINT.match(text)
    if hint:  # Excel's "sep=;" first line names the separator; Excel does not show it as a row
        delimiter, text = hint.group(1), text[hint.end() :]
    else:
        delimiter = guess_delimiter(text)
    records = _reader(text, delimiter)
    number = 0
    header: list[str] | None = None
    try:
        for record in records:
            number += 1
            if any(cell.strip() for cell in record):
                header = record
                break
    except csv.Error as exc:
        raise FileRefused(_("The header row cannot be read (%s).") % exc, row=number) from None
    if header is None:
        raise FileRefused(_("The file is empty."))
    header_row, width = number, len(header)

    def rows() -> Iterator[TableRow]:
        row = header_row
        while True:
            row += 1
            try:
                record = next(records)
            except StopIteration:
                return
            except csv.Error as exc:
                yield TableRow(row, [], _quoting_problem(str(exc), delimiter))
                continue
            if not any(cell.strip() for cell in record):
                continue  # blank lines are common at the end of exported files
            problem = _width_problem(len(record), width) if len(record) != width else None
            yield TableRow(row, record, problem)

    return Table(header=header, header_row=header_row, rows=rows(), delimiter=delimiter)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes) -> Table:
    """The first sheet of an XLSX workbook as text cells, with the same numbering and width rules
    as ``read_csv``. A workbook has no cut-short rows (a row ends where its last value is), so a
    row is reported only when it holds a value in a column that has no header."""
    from openpyxl import load_workbook

    if not data.startswith(ZIP_MAGIC):
        raise FileRefused(_("This is not an XLSX workbook: save it from Excel as .xlsx."))
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception:  # openpyxl raises many kinds on a broken file
        raise FileRefused(_("This is not a readable XLSX file.")) from None
    if sheet is None:
        raise FileRefused(_("The workbook has no sheet."))
    values = sheet.iter_rows(values_only=True)
    header: list[str] | None = None
    number = 0
    for record in values:
        number += 1
        cells = _trimmed(record)
        if cells:
            header = cells
            break
    if header is None:
        raise FileRefused(_("The file is empty."))
    header_row, width = number, len(header)

    def rows() -> Iterator[TableRow]:
        row = header_row
        for record in values:
            row += 1
            cells = _trimmed(record)
            if not cells:
                continue
            problem = None
            if len(cells) > width:
                problem = _("The row has a value in column %(column)s, which has no header.") % {
                    "column": _column_letter(width + 1)
                }
            yield TableRow(row, cells + [""] * (width - len(cells)), problem)

    return Table(header=header, header_row=header_row, rows=rows())


def _trimmed(record: tuple[Any, ...]) -> list[str]:
    cells = [_cell_text(value) for value in record]
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
