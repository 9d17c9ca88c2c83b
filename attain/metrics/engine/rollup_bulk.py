"""Set-based recompute of the rollups for a range of days: for rebuilds and big imports.

`rollups.rollup_refresh` fixes one person's few days through the ORM, which is right for a
service that changed one record. A rebuild or an import of a million rows touches hundreds of
thousands of person-days; recomputing them a row at a time in Python took most of an import's
time. Here the raw records are aggregated by the database (one grouped query per record kind,
amounts summed as integer cents so SQLite's floating point never touches money), joined to the
team memberships in polars, and written back in bulk; the monthly and team-tree rollups are then
derived from the person-days by two INSERT … SELECT statements.

The reference definition of every fact stays `rollups.raw_person_day_facts`, which
`rollup_verify` uses to check what this module wrote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection

from attain.core.bulk import deferred_indexes, table_rows_estimate, temporary_table
from attain.core.frames import frame_insert, frame_query, rows_frame
from attain.crm.models import Activity, Deal, DealStatus, Lead, Product
from attain.metrics.engine.facts import (
    ACTIVITY_FACT_BY_KIND,
    FACT_NAMES,
    MONEY_FACTS,
    deal_margin,
)
from attain.metrics.engine.quarters import (
    add_months,
    fiscal_start_month,
    quarter_of,
    quarters_covering,
)
from attain.metrics.models import NodeDay, PersonDay, PersonMonth, PersonQuarter
from attain.org.models import Team, TeamMembership

ROLLUP_TABLES = [
    PersonDay._meta.db_table,
    PersonMonth._meta.db_table,
    PersonQuarter._meta.db_table,
    NodeDay._meta.db_table,
]
# Rebuild the rollups' indexes once when writing at least a quarter of the table's rows ...
DEFER_SHARE = 4
# ... and at least this many (small refreshes keep their indexes).
DEFER_MIN_ROWS = 20_000
# A person filter longer than this is applied to the fetched frame instead of in SQL.
SQL_PERSON_LIMIT = 500
_CENT = Decimal("0.01")
_TEAM_NODES = "attain_rollup_team_nodes"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _day(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _cents(column: str) -> str:
    """SQL for a money column as an exact integer number of cents on either database."""
    if connection.vendor == "postgresql":
        return f"CAST({column} * 100 AS BIGINT)"
    # SQLite keeps decimals as REAL: round each value to its cent before summing integers.
    return f"CAST(ROUND({column} * 100) AS INTEGER)"


def _days_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(ROUND(julianday({later}) - julianday({earlier})) AS INTEGER)"


def _text_day(column: str) -> str:
    """A date column as selected: on SQLite as plain text, which polars parses far faster than
    the Python converter Django's SQLite connection applies to a declared date column."""
    return f"CAST({column} AS TEXT)" if connection.vendor == "sqlite" else column


def _scan() -> str:
    """SQLite walks the (owner, date) indexes row by row with a table lookup each, two to three
    times slower than scanning the deals table once; PostgreSQL's planner chooses for itself."""
    return " NOT INDEXED" if connection.vendor == "sqlite" else ""


def _month_start(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _person_filter(column: str, person_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    if person_ids is None or len(person_ids) > SQL_PERSON_LIMIT:
        return "", []
    if not person_ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(person_ids))})", list(person_ids)


def facts_frame(*, start: date, end: date, person_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Facts per (person, local day) in [start, end) from the raw tables, as a frame.

    Columns: person_id, day, then every fact; count facts as integers, money facts as integer
    cents. Only person-days with at least one raw record appear.
    """
    lo, hi = _day(start), _day(end)
    key = {"person_id": pl.Int64(), "day": pl.Date()}
    parts: list[pl.DataFrame] = []

    activity = _q(Activity._meta.db_table)
    where, extra = _person_filter("owner_id", person_ids)
    pivot = ", ".join(
        f"SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END) AS {fact}"
        for fact in ACTIVITY_FACT_BY_KIND.values()
    )
    parts.append(
        frame_query(
            f"SELECT owner_id, {_text_day('occurred_on')}, {pivot} FROM {activity} "
            f"WHERE occurred_on >= %s AND occurred_on < %s{where} GROUP BY owner_id, occurred_on",
            [*ACTIVITY_FACT_BY_KIND, lo, hi, *extra],
            {**key, **{fact: pl.Int64() for fact in ACTIVITY_FACT_BY_KIND.values()}},
        )
    )

    lead = _q(Lead._meta.db_table)
    parts.append(
        frame_query(
            f"SELECT owner_id, {_text_day('created_on')}, COUNT(*) FROM {lead} WHERE owner_id "
            f"IS NOT NULL AND created_on >= %s AND created_on < %s{where} "
            "GROUP BY owner_id, created_on",
            [lo, hi, *extra],
            {**key, "leads": pl.Int64()},
        )
    )

    deal = _q(Deal._meta.db_table)
    parts.append(
        frame_query(
            f"SELECT owner_id, {_text_day('created_on')}, COUNT(*), SUM({_cents('amount_base')}) "
            f"FROM {deal}{_scan()} "
            f"WHERE created_on >= %s AND created_on < %s{where} GROUP BY owner_id, created_on",
            [lo, hi, *extra],
            {**key, "deals_created": pl.Int64(), "pipeline_created": pl.Int64()},
        )
    )

    won, lost = DealStatus.WON.value, DealStatus.LOST.value
    parts.append(
        frame_query(
            f"SELECT owner_id, {_text_day('closed_on')}, "
            f"SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN status = %s THEN {_cents('amount_base')} ELSE 0 END), "
            f"SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN status = %s THEN {_cents('amount_base')} ELSE 0 END), "
            f"SUM(CASE WHEN status = %s THEN {_days_between('closed_on', 'created_on')} "
            f"ELSE 0 END) "
            f"FROM {deal}{_scan()} WHERE closed_on >= %s AND closed_on < %s{where} "
            f"GROUP BY owner_id, closed_on",
            [won, won, lost, lost, won, lo, hi, *extra],
            {
                **key,
                "deals_won": pl.Int64(),
                "revenue_won": pl.Int64(),
                "deals_lost": pl.Int64(),
                "value_lost": pl.Int64(),
                "won_cycle_days": pl.Int64(),
            },
        )
    )
    parts.append(_margin_frame(lo, hi, where, extra))

    frame = (
        pl.concat(parts, how="diagonal")
        .group_by("person_id", "day")
        .agg(pl.col(name).sum() for name in FACT_NAMES)
        # a day with only tasks (no fact of their own) has no rollup row
        .filter(pl.any_horizontal(pl.col(name) != 0 for name in FACT_NAMES))
        .select("person_id", "day", *FACT_NAMES)
    )
    if person_ids is not None and len(person_ids) > SQL_PERSON_LIMIT:
        frame = frame.filter(pl.col("person_id").is_in(list(person_ids)))
    return frame.sort("person_id", "day")


def _margin_frame(lo: Any, hi: Any, where: str, extra: list[Any]) -> pl.DataFrame:
    """Won revenue on costed products and its gross margin: each deal's margin is quantized to
    the cent on its own (`facts.deal_margin`), so this part is summed in Python."""
    deal, product = _q(Deal._meta.db_table), _q(Product._meta.db_table)
    sql = (
        f"SELECT d.owner_id, d.closed_on, d.amount_base, p.list_price, p.unit_cost "
        f"FROM {deal} d JOIN {product} p ON p.id = d.product_id "
        f"WHERE d.status = %s AND d.closed_on >= %s AND d.closed_on < %s "
        f"AND p.unit_cost IS NOT NULL AND p.list_price <> 0"
        + where.replace("owner_id", "d.owner_id")
    )
    totals: dict[tuple[int, Any], list[int]] = defaultdict(lambda: [0, 0])
    rows: list[tuple[Any, ...]] = []
    if Product.objects.filter(unit_cost__isnull=False).exclude(list_price=0).exists():
        with connection.cursor() as cursor:
            cursor.execute(sql, [DealStatus.WON.value, lo, hi, *extra])
            rows = cursor.fetchall()
    for owner_id, day, amount, price, cost in rows:
        amount, price, cost = _decimal(amount), _decimal(price), _decimal(cost)
        margin = deal_margin(amount, price, cost)
        bucket = totals[(owner_id, day)]
        bucket[0] += int(amount * 100)
        bucket[1] += int(margin * 100)
    return rows_frame(
        [(owner, day, a, m) for (owner, day), (a, m) in totals.items()],
        {
            "person_id": pl.Int64(),
            "day": pl.Date(),
            "revenue_with_cost": pl.Int64(),
            "margin_won": pl.Int64(),
        },
    )


def _decimal(value: Any) -> Decimal:
    """A stored money value as the ORM would return it (SQLite hands back floats)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(_CENT)


def memberships_frame(person_ids: Sequence[int] | None = None) -> pl.DataFrame:
    rows = TeamMembership.objects.order_by("person_id", "start_date")
    if person_ids is not None and len(person_ids) <= SQL_PERSON_LIMIT:
        rows = rows.filter(person_id__in=list(person_ids))
    return pl.DataFrame(
        list(rows.values_list("person_id", "start_date", "end_date", "team_id")),
        schema={
            "person_id": pl.Int64(),
            "start": pl.Date(),
            "end": pl.Date(),
            "team_id": pl.Int64(),
        },
        orient="row",
    )


def with_teams(facts: pl.DataFrame, memberships: pl.DataFrame) -> pl.DataFrame:
    """Add team_id: the team each person was in on each day (null when in none)."""
    joined = facts.sort("day").join_asof(
        memberships.sort("start"),
        left_on="day",
        right_on="start",
        by="person_id",
        strategy="backward",
        check_sortedness=False,  # both sorted above; polars cannot check within `by` groups
    )
    team = (
        pl.when(pl.col("end").is_null() | (pl.col("day") < pl.col("end")))
        .then(pl.col("team_id"))
        .otherwise(None)
    )
    return joined.with_columns(team.alias("team_id")).drop("start", "end")


def _money_columns(frame: pl.DataFrame) -> pl.DataFrame:
    hundred = pl.lit(100).cast(pl.Decimal(22, 2))
    return frame.with_columns(
        (pl.col(name).cast(pl.Decimal(22, 2)) / hundred).cast(pl.Decimal(22, 2)).alias(name)
        for name in MONEY_FACTS
    )


def _delete(
    table: str, column: str, start: date, end: date, person_ids: Sequence[int] | None
) -> None:
    sql = f"DELETE FROM {_q(table)} WHERE {_q(column)} >= %s AND {_q(column)} < %s"
    with connection.cursor() as cursor:
        if person_ids is None:
            cursor.execute(sql, [_day(start), _day(end)])
            return
        ids = sorted(person_ids)
        for offset in range(0, len(ids), SQL_PERSON_LIMIT):
            chunk = ids[offset : offset + SQL_PERSON_LIMIT]
            cursor.execute(
                f"{sql} AND person_id IN ({', '.join(['%s'] * len(chunk))})",
                [_day(start), _day(end), *chunk],
            )


def rollup_recompute(
    *,
    start: date,
    end: date,
    person_ids: Sequence[int] | None = None,
    defer_indexes: bool | None = None,
) -> tuple[int, int]:
    """Recompute every rollup row for days in [start, end) (of these persons, or everyone).

    Person-days come from the raw records; the months that contain the range (for these
    persons) and the team-tree days of the range (for every node) are derived from the
    person-days afterwards, so they include the persons and days not recomputed.
    Returns (person-days written, node-days written). Runs inside the caller's transaction.

    When the rows written are a good share of the rollup tables (a first big import), their
    indexes and foreign keys are dropped and rebuilt once (`defer_indexes` None decides so;
    a caller that already deferred them passes False): with them, PostgreSQL's COPY of 200,000
    person-days took 4.5 s, mostly foreign-key triggers.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("rollup_recompute must run inside transaction.atomic()")
    if start >= end:
        return 0, 0
    ids = sorted(set(person_ids)) if person_ids is not None else None
    facts = facts_frame(start=start, end=end, person_ids=ids)
    rows = with_teams(facts, memberships_frame(ids)).select(
        "person_id", "team_id", "day", *FACT_NAMES
    )
    if defer_indexes is None:
        stored = table_rows_estimate(PersonDay._meta.db_table)
        defer_indexes = rows.height * DEFER_SHARE >= stored and rows.height >= DEFER_MIN_ROWS
    month_lo, month_hi = start.replace(day=1), add_months(end, 1)
    if end == end.replace(day=1):
        month_hi = end
    with deferred_indexes(ROLLUP_TABLES) if defer_indexes else nullcontext():
        _delete(PersonDay._meta.db_table, "day", start, end, ids)
        person_days = 0
        if not rows.is_empty():
            person_days = frame_insert(PersonDay._meta.db_table, _money_columns(rows))
        _derive_months(month_lo, month_hi, ids)
        derive_quarters(*quarters_covering(month_lo, month_hi, fiscal_start_month()), ids)
        node_days = _derive_nodes(start, end)
    return person_days, node_days


def _sums(alias: str = "") -> str:
    """SUM of every fact; money rounded to the cent, so SQLite stores the REAL nearest the exact
    sum (as an ORM write of the Decimal would), not a float sum's last-digit noise."""
    return ", ".join(
        f"ROUND(SUM({alias}{_q(name)}), 2)" if name in MONEY_FACTS else f"SUM({alias}{_q(name)})"
        for name in FACT_NAMES
    )


def _fact_list() -> str:
    return ", ".join(_q(name) for name in FACT_NAMES)


def _derive_months(start: date, end: date, person_ids: Sequence[int] | None) -> None:
    """PersonMonth for the calendar months in [start, end): PersonDay summed by month and team."""
    _delete(PersonMonth._meta.db_table, "month", start, end, person_ids)
    month = _month_start("day")
    select = (
        f"INSERT INTO {_q(PersonMonth._meta.db_table)} (person_id, team_id, month, "
        f"{_fact_list()}) SELECT person_id, team_id, {month}, {_sums()} "
        f"FROM {_q(PersonDay._meta.db_table)} WHERE day >= %s AND day < %s"
    )
    group = f" GROUP BY person_id, team_id, {month}"
    with connection.cursor() as cursor:
        if person_ids is None:
            cursor.execute(select + group, [_day(start), _day(end)])
            return
        for offset in range(0, len(person_ids), SQL_PERSON_LIMIT):
            chunk = list(person_ids[offset : offset + SQL_PERSON_LIMIT])
            cursor.execute(
                f"{select} AND person_id IN ({', '.join(['%s'] * len(chunk))}){group}",
                [_day(start), _day(end), *chunk],
            )


def derive_quarters(
    start: date, end: date, person_ids: Sequence[int] | None, *, start_month: int | None = None
) -> None:
    """PersonQuarter for the blocks in [start, end) (block boundaries): PersonMonth summed by
    block and team, so a block holds its months whether or not they were just recomputed."""
    start_month = start_month or fiscal_start_month()
    _delete(PersonQuarter._meta.db_table, "quarter", start, end, person_ids)
    months = []
    month = start
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    if not months:
        return
    # Each month's block as a CASE over the range's months: the same SQL on both databases.
    block = "CASE month " + " ".join("WHEN %s THEN %s" for _ in months) + " END"
    block_params = [part for m in months for part in (_day(m), _day(quarter_of(m, start_month)))]
    select = (
        f"INSERT INTO {_q(PersonQuarter._meta.db_table)} (person_id, team_id, quarter, "
        f"{_fact_list()}) SELECT person_id, team_id, {block}, {_sums()} "
        f"FROM {_q(PersonMonth._meta.db_table)} WHERE month >= %s AND month < %s"
    )
    group = " GROUP BY 1, 2, 3"  # person, team, block
    params = [*block_params, _day(start), _day(end)]
    with connection.cursor() as cursor:
        if person_ids is None:
            cursor.execute(select + group, params)
            return
        for offset in range(0, len(person_ids), SQL_PERSON_LIMIT):
            chunk = list(person_ids[offset : offset + SQL_PERSON_LIMIT])
            cursor.execute(
                f"{select} AND person_id IN ({', '.join(['%s'] * len(chunk))}){group}",
                [*params, *chunk],
            )


def _derive_nodes(start: date, end: date) -> int:
    """NodeDay for days in [start, end): every node's subtree summed from PersonDay; facts of
    days in no team count at the root only (as `TeamLookup.nodes_for` says)."""
    pairs: list[tuple[int, int]] = []
    root_id: int | None = None
    for team_id, path, parent_id in Team.objects.values_list("id", "path", "parent_id"):
        pairs += [(team_id, int(part)) for part in path.strip("/").split("/") if part]
        if parent_id is None:
            root_id = team_id
    if root_id is not None:
        pairs.append((0, root_id))
    node_day = _q(NodeDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {node_day} WHERE day >= %s AND day < %s", [_day(start), _day(end)]
        )
    with (
        temporary_table(_TEAM_NODES, "team_id BIGINT, node_id BIGINT") as team_nodes,
        connection.cursor() as cursor,
    ):
        cursor.executemany(f"INSERT INTO {team_nodes} VALUES (%s, %s)", pairs)
        cursor.execute(
            f"INSERT INTO {node_day} (node_id, day, {_fact_list()}) "
            f"SELECT tn.node_id, pd.day, "
            + _sums("pd.")
            + f" FROM {_q(PersonDay._meta.db_table)} pd JOIN {team_nodes} tn "
            f"ON tn.team_id = COALESCE(pd.team_id, 0) WHERE pd.day >= %s AND pd.day < %s "
            f"GROUP BY tn.node_id, pd.day",
            [_day(start), _day(end)],
        )
        return int(cursor.rowcount)


__all__ = [
    "derive_quarters",
    "facts_frame",
    "memberships_frame",
    "rollup_recompute",
    "with_teams",
]
