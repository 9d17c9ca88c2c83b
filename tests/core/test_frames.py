"""attain.core.frames: frame inserts store what the ORM would, whichever route SQLite takes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from attain.core import frames
from attain.core.frames import frame_insert
from attain.crm.models import Activity

ACTIVITY_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "kind": pl.String(),
    "owner_id": pl.Int64(),
    "occurred_at": pl.Datetime("us", "UTC"),
    "occurred_on": pl.Date(),
    "outcome": pl.String(),
    "duration_minutes": pl.Int64(),
    "subject": pl.String(),
    "external_id": pl.String(),
    "source_system": pl.String(),
}


def _activities(first_id: int, owner_id: int, kind: str = "call") -> pl.DataFrame:
    at = datetime(2026, 3, 8, 14, 30, 15, 250, tzinfo=UTC)
    return pl.DataFrame(
        [
            (first_id, kind, owner_id, at, date(2026, 3, 8), "connected", 12, "Renewal", "", ""),
            (
                first_id + 1,
                "email",
                owner_id,
                at.replace(microsecond=0),
                date(2026, 3, 8),
                "",
                None,
                "",
                "",
                "",
            ),
        ],
        schema=ACTIVITY_SCHEMA,
        orient="row",
    )


def _stored(table: str, ids: list[int]) -> list[tuple[Any, ...]]:
    """Each row's values and, on SQLite, their storage classes, without the id."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {table} WHERE id IN ({', '.join(map(str, ids))}) ORDER BY id"
        )
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        kinds: list[dict[str, str]] = []
        if connection.vendor == "sqlite":
            typeof = ", ".join(f"typeof({connection.ops.quote_name(n)})" for n in names)
            cursor.execute(
                f"SELECT {typeof} FROM {table} WHERE id IN ({', '.join(map(str, ids))}) ORDER BY id"
            )
            kinds = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [
        (tuple(v for k, v in row.items() if k != "id"), tuple(kinds[i].values()) if kinds else ())
        for i, row in enumerate(rows)
    ]


@pytest.mark.django_db
def test_a_staged_insert_stores_exactly_what_a_direct_insert_stores(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction.atomic():
        monkeypatch.setattr(frames, "SQLITE_STAGE_ROWS", 10**9)
        frame_insert("crm_activity", _activities(1, alice.pk))
        monkeypatch.setattr(frames, "SQLITE_STAGE_ROWS", 1)
        frame_insert("crm_activity", _activities(11, alice.pk))
        rates = pl.DataFrame(
            {
                "id": [1, 2],
                "currency": ["CHF", "CHF"],
                "valid_from": [date(2026, 1, 1), date(2026, 2, 1)],
                "rate": ["1", "0.12345678"],
            }
        ).with_columns(pl.col("rate").cast(pl.Decimal(18, 8)))
        monkeypatch.setattr(frames, "SQLITE_STAGE_ROWS", 10**9)
        frame_insert("crm_exchangerate", rates)
        monkeypatch.setattr(frames, "SQLITE_STAGE_ROWS", 1)
        frame_insert(
            "crm_exchangerate", rates.with_columns(pl.col("id") + 10, currency=pl.lit("SEK"))
        )

    assert _stored("crm_activity", [1, 2]) == _stored("crm_activity", [11, 12])
    direct = [(values[1:], kinds) for values, kinds in _stored("crm_exchangerate", [1, 2])]
    staged = [(values[1:], kinds) for values, kinds in _stored("crm_exchangerate", [11, 12])]
    assert direct == staged


def _moves_from_stage(queries: list[dict[str, str]]) -> list[str]:
    """The tables that rows were moved into from the staging table, in order."""
    return [
        q["sql"].split()[2].strip('"')
        for q in queries
        if q["sql"].startswith("INSERT INTO")
        and "SELECT" in q["sql"]
        and "FROM attain_frame_stage" in q["sql"]
    ]


@pytest.mark.django_db
def test_sqlite_stages_big_frames_for_tables_with_checks_only(
    alice: Any, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames, "SQLITE_STAGE_ROWS", 2)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        frame_insert("crm_activity", _activities(1, alice.pk))  # CHECKs and AUTOINCREMENT
        moves = _moves_from_stage(queries.captured_queries)
        frame_insert("crm_activity", _activities(11, alice.pk).head(1))  # below the threshold
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE plain_ids (id BIGINT)")
        frame_insert("plain_ids", pl.DataFrame({"id": [1, 2, 3]}))  # nothing to save
        later = _moves_from_stage(queries.captured_queries)

    assert Activity.objects.count() == 3
    assert moves == (["crm_activity"] if backend == "sqlite" else [])
    assert later == moves


@pytest.mark.django_db
def test_a_staged_insert_still_enforces_the_tables_checks(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames, "SQLITE_STAGE_ROWS", 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        frame_insert("crm_activity", _activities(1, alice.pk, kind="lunch"))

    assert not Activity.objects.exists()
