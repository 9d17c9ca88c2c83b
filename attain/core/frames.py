"""Move whole polars frames in and out of the database: CSV COPY on PostgreSQL, executemany /
fetchall on SQLite.

attain.core.bulk takes Python tuples, one call per row on PostgreSQL's binary COPY; for import
batches that were validated as frames, letting polars write the COPY text (or the SQLite
parameters) skips building and encoding a tuple per row in Python. Values are written exactly as
the ORM stores them: instants in UTC (SQLite: Django's naive text form), dates as ISO text.
Big SQLite inserts into tables with a CHECK or AUTOINCREMENT go through a temporary table (see
`SQLITE_STAGE_ROWS`). Reading back (`frame_query`), PostgreSQL sends CSV that polars parses
without a Python object per value.
"""

from __future__ import annotations

import io
import re
from typing import Any

import polars as pl
from django.db import connection


def _sqlite_text(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            utc = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
            exprs.append(
                pl.when(utc.dt.microsecond() == 0)
                .then(utc.dt.strftime("%Y-%m-%d %H:%M:%S"))
                .otherwise(utc.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
                .alias(name)
            )
        elif isinstance(dtype, pl.Date):
            exprs.append(column.dt.strftime("%Y-%m-%d").alias(name))
        elif isinstance(dtype, pl.Decimal):
            # A decimal column has NUMERIC affinity: SQLite stores '12.30' as the REAL 12.3,
            # so handing it the float directly stores the same value without a Decimal per cell.
            exprs.append(column.cast(pl.Float64).alias(name))
    return frame.with_columns(exprs) if exprs else frame


# SQLite redoes some work each time a statement runs, which executemany does once per row: an
# AUTOINCREMENT table writes sqlite_sequence, and a CHECK with an IN list (Django's choices
# checks) builds a lookup table of the list's values. For 1M activity rows that was 4.3 of
# 6.9 s; executemany into an untyped temporary table and one INSERT ... SELECT took 4.0 s in
# all (measured alternately), with the same constraints checked.
SQLITE_STAGE_ROWS = 1_000
_SQLITE_STAGE = "attain_frame_stage"
_PER_STATEMENT = re.compile(r"\bAUTOINCREMENT\b|\bCHECK\s*\(", re.IGNORECASE)


def _per_statement_work(cursor: Any, table: str) -> bool:
    """Whether SQLite's `table` (a main-schema table) has AUTOINCREMENT or a CHECK."""
    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
    row = cursor.fetchone()
    return bool(row and _PER_STATEMENT.search(row[0] or ""))


def frame_insert(table: str, frame: pl.DataFrame) -> int:
    """Insert every row of `frame` (columns named as the table's) inside the open transaction."""
    if frame.is_empty():
        return 0
    if not connection.in_atomic_block:
        raise RuntimeError("frame_insert must run inside transaction.atomic()")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in frame.columns)
    if connection.vendor == "postgresql":
        # Strings are quoted, so an empty string stays empty; an unquoted empty field is NULL.
        text = frame.write_csv(
            include_header=False,
            quote_style="non_numeric",
            null_value="",
            datetime_format="%Y-%m-%d %H:%M:%S%.6f%z",
            date_format="%Y-%m-%d",
        )
        sql = f"COPY {quote(table)} ({columns}) FROM STDIN (FORMAT csv)"
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            copy.write(text.encode("utf-8"))
        return frame.height
    marks = ", ".join(["%s"] * frame.width)
    # Rows zipped lazily from whole columns: ~10 % faster than frame.rows() for 1M rows of
    # the activity table, measured alternately (polars builds each column's list in one call).
    columns_as_lists = [series.to_list() for series in _sqlite_text(frame).iter_columns()]
    with connection.cursor() as cursor:
        staged = frame.height >= SQLITE_STAGE_ROWS and _per_statement_work(cursor, table)
        target = _SQLITE_STAGE if staged else quote(table)
        if staged:
            # Untyped columns keep each value as bound; the target applies its own affinity
            # when the rows move, exactly as on a direct insert.
            cursor.execute(f"DROP TABLE IF EXISTS {_SQLITE_STAGE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {_SQLITE_STAGE} ({columns})")
        cursor.executemany(
            f"INSERT INTO {target} ({columns}) VALUES ({marks})",
            zip(*columns_as_lists, strict=True),  # type: ignore[arg-type]  # Django tees any iterable
        )
        if staged:
            try:
                cursor.execute(
                    f"INSERT INTO {quote(table)} ({columns}) SELECT {columns} FROM {_SQLITE_STAGE} "
                    "ORDER BY rowid"
                )
            finally:
                cursor.execute(f"DROP TABLE {_SQLITE_STAGE}")
    return frame.height


def frame_query(sql: str, params: list[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A query's rows as a frame with these columns. PostgreSQL sends them as CSV through COPY,
    which polars reads without a Python object per value (fetchall of 200,000 rows took
    seconds); SQLite's rows are fetched, and date columns it hands back as text parsed."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return rows_frame(cursor.fetchall(), schema)
        literal = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined]
        buffer = io.BytesIO()
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY ({literal}) TO STDOUT (FORMAT csv)") as copy,
        ):
            for block in copy:
                buffer.write(block)
    if not buffer.getbuffer().nbytes:
        return pl.DataFrame(schema=schema)
    buffer.seek(0)
    return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=schema)


def rows_frame(rows: list[tuple[Any, ...]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows as a frame; date columns that SQLite handed back as ISO text are parsed."""
    dates = [i for i, dtype in enumerate(schema.values()) if dtype == pl.Date()]
    text = [i for i in dates if rows and isinstance(rows[0][i], str)]
    names = list(schema)
    loose = {n: (pl.String() if i in text else t) for i, (n, t) in enumerate(schema.items())}
    frame = pl.DataFrame(rows, schema=loose, orient="row")
    return frame.with_columns(pl.col(names[i]).str.to_date("%Y-%m-%d") for i in text)
