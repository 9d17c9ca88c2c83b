"""CSV and XLSX writers for exports: rows go out as they come, memory stays bounded."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, Protocol

import xlsxwriter

FORMATS: Final = ("csv", "xlsx")
CONTENT_TYPES: Final = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class _Line:
    """A file-like sink that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(columns: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text line by line (RFC 4180 quoting, CRLF as Excel expects), for streaming."""
    writer = csv.writer(_Line())
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow(row)


class TextSink(Protocol):
    def write(self, text: str) -> object: ...


def csv_write(out: TextSink, columns: list[str], rows: Iterable[list[str]]) -> int:
    """Write CSV to an open text stream; returns the number of data rows."""
    count = -1
    for count, line in enumerate(csv_lines(columns, rows)):  # noqa: B007
        out.write(line)
    return max(count, 0)


def xlsx_write(path: Path, columns: list[str], rows: Iterable[list[str]], *, sheet: str) -> int:
    """Write an XLSX file in XlsxWriter's constant-memory mode (one row in memory at a time).

    Cells are text, as in the CSV, so amounts keep their exact decimal digits and ids keep their
    leading zeros; the importer reads them back the same way.
    """
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False}
    )
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        worksheet.write_row(0, 0, columns, bold)
        worksheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(rows, start=1):
            worksheet.write_row(count, 0, row)
    finally:
        workbook.close()
    return count
