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
from collections.abc import Collection, Sequence
from contextlib import nullcontext
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection, models

from attain.core.bulk import (
    deferred_indexes,
    pages_have_room,
    pages_with_room,
    planner_settings,
    table_rows_estimate,
    temporary_table,
)
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
# Written with room for a later full update (`rollup_recompute(room=True)`).
ROOMY_TABLES = [PersonDay._meta.db_table, NodeDay._meta.db_table]
# A person filter longer than this is applied to the fetched frame instead of in SQL.
SQL_PERSON_LIMIT = 500
_CENT = Decimal("0.01")
_TEAM_NODES = "attain_rollup_team_nodes"
_INCREMENTS = "attain_rollup_increments"
_KEY: dict[str, pl.DataType] = {"person_id": pl.Int64(), "day": pl.Date()}
ACTIVITY_FACTS = frozenset(ACTIVITY_FACT_BY_KIND.values())
DEAL_FACTS = frozenset(FACT_NAMES) - ACTIVITY_FACTS - {"leads"}


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


def facts_frame(
    *,
    start: date,
    end: date,
    person_ids: Sequence[int] | None = None,
    facts: Collection[str] = FACT_NAMES,
) -> pl.DataFrame:
    """Facts per (person, local day) in [start, end) from the raw tables, as a frame.

    Columns: person_id, day, then each of `facts` (all by default) in catalog order; count facts
    as integers, money facts as integer cents. Only the raw tables that produce one of `facts`
    are read, and only person-days with one of them not zero appear.
    """
    lo, hi = _day(start), _day(end)
    wanted = [name for name in FACT_NAMES if name in facts]
    where, extra = _person_filter("owner_id", person_ids)
    parts: list[pl.DataFrame] = [pl.DataFrame(schema=_KEY)]
    if ACTIVITY_FACTS & set(wanted):
        parts.append(_activity_frame(lo, hi, where, extra))
    if "leads" in wanted:
        parts.append(_lead_frame(lo, hi, where, extra))
    if DEAL_FACTS & set(wanted):
        parts += _deal_frames(lo, hi, where, extra)
    joined = pl.concat(parts, how="diagonal")
    frame = (
        joined.with_columns(
            pl.lit(0, pl.Int64).alias(name) for name in wanted if name not in joined.columns
        )
        .group_by("person_id", "day")
        .agg(pl.col(name).sum() for name in wanted)
        # a day with only tasks (no fact of their own) has no rollup row
        .filter(pl.any_horizontal(pl.col(name) != 0 for name in wanted))
        .select("person_id", "day", *wanted)
    )
    if person_ids is not None and len(person_ids) > SQL_PERSON_LIMIT:
        frame = frame.filter(pl.col("person_id").is_in(list(person_ids)))
    return frame.sort("person_id", "day")


def _activity_frame(lo: Any, hi: Any, where: str, extra: list[Any]) -> pl.DataFrame:
    activity = _q(Activity._meta.db_table)
    pivot = ", ".join(
        f"SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END) AS {fact}"
        for fact in ACTIVITY_FACT_BY_KIND.values()
    )
    return frame_query(
        f"SELECT owner_id, {_text_day('occurred_on')}, {pivot} FROM {activity} "
        f"WHERE occurred_on >= %s AND occurred_on < %s{where} GROUP BY owner_id, occurred_on",
        [*ACTIVITY_FACT_BY_KIND, lo, hi, *extra],
        {**_KEY, **{fact: pl.Int64() for fact in ACTIVITY_FACT_BY_KIND.values()}},
    )


def _lead_frame(lo: Any, hi: Any, where: str, extra: list[Any]) -> pl.DataFrame:
    lead = _q(Lead._meta.db_table)
    return frame_query(
        f"SELECT owner_id, {_text_day('created_on')}, COUNT(*) FROM {lead} WHERE owner_id "
        f"IS NOT NULL AND created_on >= %s AND created_on < %s{where} "
        "GROUP BY owner_id, created_on",
        [lo, hi, *extra],
        {**_KEY, "leads": pl.Int64()},
    )


def _deal_frames(lo: Any, hi: Any, where: str, extra: list[Any]) -> list[pl.DataFrame]:
    deal = _q(Deal._meta.db_table)
    created = frame_query(
        f"SELECT owner_id, {_text_day('created_on')}, COUNT(*), SUM({_cents('amount_base')}) "
        f"FROM {deal}{_scan()} "
        f"WHERE created_on >= %s AND created_on < %s{where} GROUP BY owner_id, created_on",
        [lo, hi, *extra],
        {**_KEY, "deals_created": pl.Int64(), "pipeline_created": pl.Int64()},
    )
    won, lost = DealStatus.WON.value, DealStatus.LOST.value
    closed = frame_query(
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
            **_KEY,
            "deals_won": pl.Int64(),
            "revenue_won": pl.Int64(),
            "deals_lost": pl.Int64(),
            "value_lost": pl.Int64(),
            "won_cycle_days": pl.Int64(),
        },
    )
    return [created, closed, _margin_frame(lo, hi, where, extra)]


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
    """Money facts held as integer cents turned into decimals with two places."""
    hundred = pl.lit(100).cast(pl.Decimal(22, 2))
    return frame.with_columns(
        (pl.col(name).cast(pl.Decimal(22, 2)) / hundred).cast(pl.Decimal(22, 2)).alias(name)
        for name in MONEY_FACTS
        if name in frame.columns
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
    room: bool = False,
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

    With `room` (an import whose rows a later file adds to: deals, then their activities) the
    person-days and node-days are written with half-free pages on PostgreSQL, so `rollup_add`
    can update them in place without touching an index (`pages_have_room`).
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
    with (
        pages_with_room(ROOMY_TABLES) if room else nullcontext(),
        deferred_indexes(ROLLUP_TABLES) if defer_indexes else nullcontext(),
    ):
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
    pairs = _team_nodes()
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


def _team_nodes() -> list[tuple[int, int]]:
    """(team, node) for every node whose totals hold the team's facts (itself and its
    ancestors), and (0, root): facts of days in no team count at the root only."""
    pairs: list[tuple[int, int]] = []
    root_id: int | None = None
    for team_id, path, parent_id in Team.objects.values_list("id", "path", "parent_id"):
        pairs += [(team_id, int(part)) for part in path.strip("/").split("/") if part]
        if parent_id is None:
            root_id = team_id
    if root_id is not None:
        pairs.append((0, root_id))
    return pairs


def activity_increments(activities: pl.DataFrame) -> pl.DataFrame:
    """What new activities (columns owner_id, occurred_on, kind) add to the facts, per owner
    and day, for `rollup_add`."""
    return activities.group_by(
        pl.col("owner_id").alias("person_id"), pl.col("occurred_on").alias("day")
    ).agg(
        (pl.col("kind") == kind).sum().cast(pl.Int64).alias(fact)
        for kind, fact in ACTIVITY_FACT_BY_KIND.items()
    )


def rollup_add(increments: pl.DataFrame) -> int:
    """Add fact increments per (person, local day) to PersonDay, PersonMonth, PersonQuarter and
    NodeDay; returns how many person-days changed.

    For writes whose effect on the facts is known without reading raw records back: an import's
    new activities (their kinds, owners and days are in the frames it wrote), or the difference
    `rollup_recompute_facts` found. Columns: person_id, day and any facts (counts as integers,
    money as integer cents, as `facts_frame` gives them); facts not named are left as they are.
    Each person-day counts for the team its owner was in that day; rows left with every fact
    zero are removed. Exact when the rollups were, which every writer keeps so (`rollup_verify`
    checks). Runs inside the caller's transaction.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("rollup_add must run inside transaction.atomic()")
    facts = [name for name in FACT_NAMES if name in increments.columns]
    if not facts or increments.is_empty():
        return 0
    deltas = (
        increments.group_by("person_id", "day")
        .agg(pl.col(name).sum() for name in facts)
        .filter(pl.any_horizontal(pl.col(name) != 0 for name in facts))
    )
    if deltas.is_empty():
        return 0
    ids = deltas.get_column("person_id").unique().sort().to_list()
    days = with_teams(deltas, memberships_frame(ids))
    shrinks = any((days.get_column(name) < 0).any() for name in facts)
    # Changing most person-days (a first big activities import): on PostgreSQL every updated
    # row is a new row version with an entry in each index, so the secondary indexes, the
    # (person, day) unique constraint (which the update and the insert of missing person-days
    # cannot break: the increments have one row per person-day) and the foreign keys are built
    # once afterwards, and the rows are matched by one hash join.
    # SQLite updates rows in place, touching only indexes that hold a changed column (none).
    stored = table_rows_estimate(PersonDay._meta.db_table)
    big = (
        connection.vendor == "postgresql"
        and days.height * DEFER_SHARE >= stored
        and days.height >= DEFER_MIN_ROWS
    )
    # Unless the person-days' pages have room for the new versions (written by
    # `rollup_recompute(room=True)`): then the indexes stay and each row is updated in place.
    defer = big and not pages_have_room(PersonDay._meta.db_table)
    # Matching 200,000 increments to their person-days by probing the unique index row by
    # row, the planner's choice, took 2-3 times as long as one hash join.
    with (
        deferred_indexes([PersonDay._meta.db_table], unique_constraints=True)
        if defer
        else nullcontext(),
        planner_settings([("enable_nestloop", "off")]) if big else nullcontext(),
    ):
        _add_rows(PersonDay, ["person_id", "day"], days, facts, shrinks=shrinks, also=["team_id"])

    def add_summed(model: type[models.Model], frame: pl.DataFrame, *keys: str) -> None:
        summed = frame.group_by(*keys).agg(pl.col(name).sum() for name in facts)
        _add_rows(model, list(keys), summed, facts, shrinks=shrinks)

    months = days.with_columns(pl.col("day").dt.truncate("1mo").alias("month"))
    add_summed(PersonMonth, months, "person_id", "team_id", "month")
    start_month = fiscal_start_month()
    blocks = {m: quarter_of(m, start_month) for m in months.get_column("month").unique()}
    quarters = months.with_columns(
        pl.col("month").replace_strict(blocks, return_dtype=pl.Date).alias("quarter")
    )
    add_summed(PersonQuarter, quarters, "person_id", "team_id", "quarter")
    team_nodes = pl.DataFrame(
        _team_nodes(), schema={"team_id": pl.Int64(), "node_id": pl.Int64()}, orient="row"
    )
    nodes = days.with_columns(pl.col("team_id").fill_null(0)).join(team_nodes, on="team_id")
    add_summed(NodeDay, nodes, "node_id", "day")
    return deltas.height


def _add_rows(
    model: type[models.Model],
    keys: list[str],
    frame: pl.DataFrame,
    facts: list[str],
    *,
    shrinks: bool,
    also: Sequence[str] = (),
) -> None:
    """Add the frame's facts to the rows of `model` with the same keys (a null team matches a
    null team) and insert the rows missing, with `also` columns and the other facts zero; with
    `shrinks` (some increment is negative), delete the rows left with every fact zero."""
    if frame.is_empty():
        return
    table = _q(model._meta.db_table)
    columns = [*keys, *also, *facts]
    types = {
        name: "DATE"
        if name in ("day", "month", "quarter")
        else "NUMERIC(22, 2)"
        if name in MONEY_FACTS
        else "BIGINT"
        for name in columns
    }
    match = " AND ".join(
        f"(t.{k} = d.{k} OR (t.{k} IS NULL AND d.{k} IS NULL))"
        if k == "team_id"
        else f"t.{k} = d.{k}"
        for k in keys
    )
    added = ", ".join(
        f"{_q(n)} = ROUND(t.{_q(n)} + d.{_q(n)}, 2)"
        if n in MONEY_FACTS
        else f"{_q(n)} = t.{_q(n)} + d.{_q(n)}"
        for n in facts
    )
    inserted = [
        *(f"d.{c}" for c in (*keys, *also)),
        *(f"d.{_q(n)}" if n in facts else "0" for n in FACT_NAMES),
    ]
    declared = ", ".join(f"{_q(c)} {types[c]}" for c in columns)
    with (
        temporary_table(_INCREMENTS, declared) as increments,
        connection.cursor() as cursor,
    ):
        frame_insert(increments, _money_columns(frame.select(columns)))
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {increments}")
        cursor.execute(f"UPDATE {table} AS t SET {added} FROM {increments} AS d WHERE {match}")
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_q(c) for c in (*keys, *also, *FACT_NAMES))}) "
            f"SELECT {', '.join(inserted)} FROM {increments} AS d "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
        )
        if shrinks:
            zero = " AND ".join(f"t.{_q(n)} = 0" for n in FACT_NAMES)
            cursor.execute(
                f"DELETE FROM {table} AS t WHERE {zero} AND EXISTS "
                f"(SELECT 1 FROM {increments} AS d WHERE {match})"
            )


def rollup_recompute_facts(
    *, start: date, end: date, facts: Collection[str], person_ids: Sequence[int] | None = None
) -> int:
    """Recompute only some facts for days in [start, end) (of these persons, or everyone) and
    apply the difference to every rollup (`rollup_add`); returns the person-days changed.

    For writes that can change only these facts: an activities import reads the activity
    table alone and leaves the deal and lead facts of the same person-days as they are,
    instead of deleting and rewriting whole rows from every raw table.
    """
    ids = sorted(set(person_ids)) if person_ids is not None else None
    wanted = [name for name in FACT_NAMES if name in facts]
    if not wanted or start >= end:
        return 0
    fresh = facts_frame(start=start, end=end, person_ids=ids, facts=wanted)
    where, extra = _person_filter("person_id", ids)
    stored = frame_query(
        f"SELECT person_id, {_text_day('day')}, "
        + ", ".join(_cents(_q(n)) if n in MONEY_FACTS else _q(n) for n in wanted)
        + f" FROM {_q(PersonDay._meta.db_table)} WHERE day >= %s AND day < %s{where}",
        [_day(start), _day(end), *extra],
        {**_KEY, **{name: pl.Int64() for name in wanted}},
    )
    if ids is not None and len(ids) > SQL_PERSON_LIMIT:
        stored = stored.filter(pl.col("person_id").is_in(ids))
    difference = fresh.join(
        stored, on=["person_id", "day"], how="full", coalesce=True, suffix="_stored"
    ).select(
        "person_id",
        "day",
        *((pl.col(n).fill_null(0) - pl.col(f"{n}_stored").fill_null(0)).alias(n) for n in wanted),
    )
    return rollup_add(difference)


__all__ = [
    "activity_increments",
    "derive_quarters",
    "facts_frame",
    "memberships_frame",
    "rollup_add",
    "rollup_recompute",
    "rollup_recompute_facts",
    "with_teams",
]
