"""Insert a whole polars frame at once: CSV COPY on PostgreSQL, executemany on SQLite.

attain.core.bulk takes Python tuples, one call per row on PostgreSQL's binary COPY; for import
batches that were validated as frames, letting polars write the COPY text (or the SQLite
parameters) skips building and encoding a tuple per row in Python. Values are written exactly as
the ORM stores them: instants in UTC (SQLite: Django's naive text form), dates as ISO text.
"""

from __future__ import annotations

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
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})",
            _sqlite_text(frame).rows(),
        )
    return frame.height
