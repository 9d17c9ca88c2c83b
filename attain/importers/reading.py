"""Reading CSV and XLSX files as they come out of CRMs, in bounded batches of text columns.

Everything is read as text (never type-inferred) and parsed later by `parsing`, so a bad value
becomes a row error naming its cell instead of a reader exception. CSV: encoding detected on a
sample (UTF-8 with or without BOM, UTF-16 with BOM, else charset-normalizer's guess, Windows-1252
by default), delimiter detected among `,` `;` tab; polars streams it in batches. XLSX: the first
sheet (or a named one) through python-calamine. Columns are named c0, c1, … in file order, so
duplicate or empty header names cannot collide; each batch carries the spreadsheet row number.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import polars as pl

from attain.core.errors import AttainError

ROW = "__row"
SAMPLE_BYTES = 256 * 1024
BATCH_ROWS = 50_000


class Unreadable(AttainError):
    """The file as a whole cannot be read (empty, binary, wrong format, no header)."""


@dataclass
class Table:
    """An opened file: its headers and a way to read its rows in batches."""

    path: Path
    format: str  # "csv" or "xlsx"
    headers: list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    _csv_path: Path | None = None
    _xlsx_rows: list[list[Any]] | None = field(default=None, repr=False)

    @property
    def columns(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.headers))]

    def batches(self, size: int | None = None) -> Iterator[pl.DataFrame]:
        """DataFrames of text columns c0…cN plus `__row` (spreadsheet row, header = 1).

        Rows with every cell empty (blank lines, trailing `,,,` lines) are left out.
        """
        for frame in self._raw_batches(size or BATCH_ROWS):
            yield frame.filter(~pl.all_horizontal(pl.col(self.columns).is_null()))

    def distinct(self, columns: list[str]) -> pl.DataFrame:
        """The distinct value combinations of some columns, in order of first appearance.

        Reads only those columns of a CSV (the first deal import scans the stages this way).
        """
        if self.format == "xlsx":
            frames = [f.select(columns) for f in self.batches()]
            joined = (
                pl.concat(frames)
                if frames
                else pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
            )
            return joined.unique(maintain_order=True)
        assert self._csv_path is not None
        lazy = pl.scan_csv(
            self._csv_path,
            separator=self.delimiter,
            has_header=True,
            infer_schema=False,
            new_columns=self.columns,
            truncate_ragged_lines=True,
            quote_char='"',
            encoding="utf8",
            raise_if_empty=False,
            missing_columns="insert",
        )
        try:
            return (
                lazy.select([pl.col(c).str.strip_chars() for c in columns])
                .unique(maintain_order=True)
                .collect()
            )
        except pl.exceptions.PolarsError as exc:
            raise Unreadable(f"the CSV could not be parsed: {_first_line(exc)}") from None

    def _raw_batches(self, size: int) -> Iterator[pl.DataFrame]:
        if self.format == "xlsx":
            yield from self._xlsx_batches(size)
            return
        assert self._csv_path is not None
        lazy = pl.scan_csv(
            self._csv_path,
            separator=self.delimiter,
            has_header=True,
            infer_schema=False,
            new_columns=self.columns,
            truncate_ragged_lines=True,
            quote_char='"',
            encoding="utf8",
            raise_if_empty=False,
            missing_columns="insert",
        ).with_row_index(ROW, offset=2)
        try:
            for frame in lazy.collect_batches(chunk_size=size):
                yield self._clean(frame)
        except pl.exceptions.PolarsError as exc:
            raise Unreadable(f"the CSV could not be parsed: {_first_line(exc)}") from None

    def _clean(self, frame: pl.DataFrame) -> pl.DataFrame:
        texts = [pl.col(c).str.strip_chars() for c in self.columns if c in frame.columns]
        frame = frame.with_columns(texts).with_columns(
            [
                pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                for c in self.columns
            ]
        )
        return frame.with_columns(pl.col(ROW).cast(pl.Int64))

    def _xlsx_batches(self, size: int) -> Iterator[pl.DataFrame]:
        rows = self._xlsx_rows or []
        width = len(self.headers)
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            data: dict[str, list[str | None]] = {
                c: [_cell_text(r[i]) if i < len(r) else None for r in chunk]
                for i, c in enumerate(self.columns)
            }
            frame = pl.DataFrame(
                {ROW: list(range(start + 2, start + 2 + len(chunk))), **data},
                schema={ROW: pl.Int64, **dict.fromkeys(self.columns, pl.String)},
            )
            if width:
                yield self._clean(frame)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _cell_text(value: object) -> str | None:
    """A spreadsheet cell as the text a CSV export would hold (dates ISO, whole floats as ints)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@contextmanager
def table_open(path: Path, *, sheet: str | None = None) -> Iterator[Table]:
    """Open a CSV or XLSX file for batch reading; Unreadable says why it cannot be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Unreadable(f"cannot open {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise Unreadable("the file is empty")
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith(b"PK\x03\x04"):
        yield _xlsx_open(path, sheet)
        return
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise Unreadable(f"{path.name} is not an Excel workbook (no XLSX signature)")
    if sheet:
        raise Unreadable("--sheet only applies to XLSX files")
    with _csv_open(path, head, size) as table:
        yield table


def _xlsx_open(path: Path, sheet: str | None) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise Unreadable(f"not a readable XLSX workbook: {_first_line(exc)}") from None
    names = list(book.sheet_names)
    if not names:
        raise Unreadable("the workbook has no sheets")
    if sheet is not None and sheet not in names:
        raise Unreadable(f"no sheet named {sheet!r}; the workbook has {', '.join(names)}")
    name = sheet or names[0]
    try:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=True)
    except Exception as exc:
        raise Unreadable(f"sheet {name!r} could not be read: {_first_line(exc)}") from None
    if not rows or all(_cell_text(v) is None for v in rows[0]):
        raise Unreadable(f"sheet {name!r} is empty (the first row must hold the headers)")
    headers = [(_cell_text(v) or "").strip() for v in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    return Table(path=path, format="xlsx", headers=headers, sheet=name, _xlsx_rows=rows[1:])


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    candidates = [m.encoding.lower() for m in from_bytes(head[:65536])]
    # Western CRM exports that are not UTF-8 are nearly always Windows-1252; short samples make
    # charset-normalizer name a sibling Latin code page (cp1250, cp775, …), so only a clearly
    # non-Latin guess (Cyrillic, Greek, CJK, …) is taken as it is.
    if candidates and all(c in _NON_LATIN for c in candidates):
        return candidates[0]
    return "cp1252"


_NON_LATIN = frozenset(
    {
        "cp1251",
        "koi8_r",
        "koi8_u",
        "iso8859_5",
        "mac_cyrillic",
        "cp866",
        "cp855",
        "cp1253",
        "iso8859_7",
        "cp1255",
        "iso8859_8",
        "cp1256",
        "iso8859_6",
        "cp874",
        "tis_620",
        "shift_jis",
        "cp932",
        "euc_jp",
        "iso2022_jp",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "cp950",
        "euc_kr",
        "cp949",
        "johab",
        "utf_16",
        "utf_32",
    }
)


def _looks_binary(head: bytes, encoding: str) -> bool:
    if encoding.startswith("utf-16"):
        return False
    sample = head[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return controls > max(8, len(sample) // 50)


def _detect_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    sample = "\n".join(lines)
    with suppress(csv.Error):
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    first = lines[0] if lines else ""
    return max((",", ";", "\t"), key=first.count)


@contextmanager
def _csv_open(path: Path, head: bytes, size: int) -> Iterator[Table]:
    encoding = _detect_encoding(head)
    if _looks_binary(head, encoding):
        raise Unreadable(
            f"{path.name} looks like a binary file, not CSV text; export the report as CSV or XLSX"
        )
    text = head.decode(encoding, errors="ignore")
    if not text.strip():
        raise Unreadable("the file is empty")
    delimiter = _detect_delimiter(text)
    try:
        header_line = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise Unreadable(f"the header line cannot be read as CSV: {exc}") from None
    headers = [h.replace("\ufeff", "").strip() for h in header_line]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise Unreadable("the first line holds no column headers")
    temp: Path | None = None
    try:
        if encoding in ("utf-8", "utf-8-sig"):
            csv_path = path
            if not _utf8_all(path):
                encoding = "cp1252"
        if encoding not in ("utf-8", "utf-8-sig"):
            fd, name = tempfile.mkstemp(suffix=".csv", prefix="attain-import-")
            os.close(fd)
            temp = Path(name)
            _transcode(path, temp, encoding)
            csv_path = temp
        yield Table(
            path=path,
            format="csv",
            headers=headers,
            encoding=encoding,
            delimiter=delimiter,
            _csv_path=csv_path,
        )
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def _utf8_all(path: Path) -> bool:
    """Whether the whole file is valid UTF-8 (a sample can be ASCII while row 90,000 is not)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(4 * 1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(source: Path, target: Path, encoding: str) -> None:
    try:
        with (
            source.open("r", encoding=encoding, errors="strict", newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Unreadable(f"the file is not valid {encoding} text: {_first_line(exc)}") from None


def is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)
