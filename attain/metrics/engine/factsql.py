"""Hand-written SQL for summing rollup facts: the hot path of every dashboard figure.

The ORM builds these statements correctly but slowly: compiling 45 filtered `Sum`s costs ~15 ms
of Python for a query the database answers in 1 ms. The shapes are few and fixed (sum the fact
columns of one rollup over date ranges, optionally grouped by person or day), so they are written
here once, with parameters, portable between SQLite and PostgreSQL.

Money on SQLite: Django stores decimals in NUMERIC columns, which SQLite keeps as integers or
doubles; SUM returns a double. It is turned into a Decimal exactly as Django's own SQLite
converter does (15 significant digits, quantized to cents), so these sums equal the ORM's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Context, Decimal
from typing import Any

from django.db import connection, transaction

from attain.core.bulk import planner_settings
from attain.metrics.engine import quarters
from attain.metrics.engine.facts import FACT_NAMES, MONEY_FACTS
from attain.metrics.models import NodeDay, PersonDay, PersonMonth, PersonQuarter
from attain.org.directory import people_directory
from attain.org.models import Role, Team, TeamMembership

Number = Decimal | int
Facts = dict[str, Number]

CENT = Decimal("0.01")
_FLOAT_CONTEXT = Context(prec=15)


# PostgreSQL planner settings for a short read of a few thousand cached index probes (see below).
_PROBE_SETTINGS = (("max_parallel_workers_per_gather", "0"), ("random_page_cost", "1.1"))


@contextmanager
def index_probe_plan() -> Iterator[None]:
    """On PostgreSQL, plan the statements inside as the cached, serial index probes they are.

    A team's stage changes in a period are a probe of (deal, changed_at) for each of its few
    thousand deals: ~5 ms of work on pages that are in memory. The default cost model prices
    each probe as a disk read (random_page_cost 4), so the planner either hashes every change of
    the period (300k rows at large) or splits the loop over parallel workers, whose start-up
    alone costs 20 ms. These two settings, transaction-local and restored on exit, describe the
    read as it is. SQLite: no effect.
    """
    if connection.vendor != "postgresql":
        yield
        return
    # Outside a transaction the block's own commit ends the transaction-local settings;
    # inside one they would outlive the block, so they are put back.
    nested = connection.in_atomic_block
    with transaction.atomic(), planner_settings(_PROBE_SETTINGS, restore=nested):
        yield


def _money(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        return _FLOAT_CONTEXT.create_decimal_from_float(value).quantize(CENT)
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return Decimal(value).quantize(CENT)


def _count(value: Any) -> int:
    return 0 if value is None else int(value)


def facts_from_row(values: Sequence[Any], names: Sequence[str] = FACT_NAMES) -> Facts:
    """Python values for one row of fact sums, in `names` order; NULL sums are zero."""
    return {
        name: convert(value)
        for name, convert, value in zip(names, _converters(names), values, strict=True)
    }


def _converters(names: Sequence[str]) -> list[Callable[[Any], Number]]:
    """Each fact's SQL-to-Python conversion, in `names` order (looked up once per result)."""
    return [_money if name in MONEY_FACTS else _count for name in names]


def _day(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _table_and_filter(kind: str, key: int | None) -> tuple[str, str, list[Any]]:
    """(table, extra WHERE condition, its parameters) for a rollup source."""
    if kind == "person":
        return PersonDay._meta.db_table, " AND person_id = %s", [key]
    if kind == "node":
        return NodeDay._meta.db_table, " AND node_id = %s", [key]
    return PersonDay._meta.db_table, "", []  # "all": every person-day (no team tree yet)


def facts_sum_ranges(
    *, kind: str, key: int | None, ranges: Sequence[tuple[date, date]]
) -> list[Facts]:
    """Summed facts of one rollup source for each [start, end) in `ranges`, in ONE statement.

    `kind` is "person" (key = person id), "node" (key = team node id) or "all".
    """
    if not ranges:
        return []
    table, where, where_params = _table_and_filter(kind, key)
    columns: list[str] = []
    params: list[Any] = []
    for start, end in ranges:
        for name in FACT_NAMES:
            columns.append(f"SUM(CASE WHEN day >= %s AND day < %s THEN {name} END)")
            params += [_day(start), _day(end)]
    low = min(start for start, _ in ranges)
    high = max(end for _, end in ranges)
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE day >= %s AND day < %s{where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _day(low), _day(high), *where_params])
        row = cursor.fetchone()
    width = len(FACT_NAMES)
    return [facts_from_row(row[i * width : (i + 1) * width]) for i in range(len(ranges))]


def facts_by_group(
    *,
    kind: str,
    key: int | None,
    start: date,
    end: date,
    group: str,
    names: Sequence[str],
    team_path: str | None = None,
) -> dict[Any, Facts]:
    """Facts `names` summed per `group` ("person_id" or "day") over [start, end).

    With `team_path` (only for kind "all"), person-days are limited to those spent in that
    team's subtree (leaderboards of a team count only what each rep did while in it). Per-person
    sums read whole fiscal quarters from PersonQuarter, whole months from PersonMonth and only
    the edge days from PersonDay.
    """
    if group not in ("person_id", "day"):
        raise ValueError(f"cannot group rollups by {group!r}")
    unknown = set(names) - set(FACT_NAMES)
    if unknown:
        raise ValueError(f"unknown facts {sorted(unknown)}")
    if team_path is not None and kind != "all":
        raise ValueError("a team filter applies to person rollups only")
    if kind == "all" and group == "person_id":
        return _per_person(start=start, end=end, names=names, team_path=team_path)
    table, where, where_params = _table_and_filter(kind, key)
    day_where = "r.day >= %s AND r.day < %s"
    return _grouped(
        table=table,
        group=f"r.{group}",
        names=names,
        condition=day_where
        + where.replace("person_id", "r.person_id").replace("node_id", "r.node_id"),
        params=[_day(start), _day(end), *where_params],
        team_path=team_path,
        dates=group == "day",
    )


def _per_person(
    *, start: date, end: date, names: Sequence[str], team_path: str | None
) -> dict[Any, Facts]:
    """Per-person sums (see `_person_sums_sql`), in blocks of the stored fiscal year."""
    sql, params = _person_sums_sql(
        start=start,
        end=end,
        names=names,
        team_path=team_path,
        start_month=quarters.fiscal_start_month(),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(names)
    return {
        row[0]: {
            name: convert(value)
            for name, convert, value in zip(names, converters, row[1:], strict=True)
        }
        for row in rows
    }


RepRow = tuple[Any, ...]
"""A rep on a leaderboard as one plain row: (id, full_name, email, fte, then the sum of each fact
asked for, in that order). Plain tuples, not objects: a board has thousands."""
REP_SUMS = 4  # the index of the first sum in a RepRow


def reps_with_facts(
    *,
    start: date,
    end: date,
    names: Sequence[str],
    start_month: int,
    team_path: str | None = None,
) -> list[RepRow]:
    """Reps employed during [start, end), each as (id, full_name, email, fte, *sums of facts
    `names` over the period), ordered by name in code-point order (as Python compares
    strings), then id: boards break ties by name, and with the reps in that order they sort
    by value only (a stable sort). With `team_path`, only reps in that team's subtree at some
    point in the period, and each rep's sums count only the days spent in it.
    `start_month` is the organisation's fiscal year start (the quarter rollup's blocks).
    A rep with no rollup rows has zero sums.

    Who the reps are comes from the process's people directory (attain.org.directory: one
    short version read when nothing changed); the database sends only the sums, one row per
    rep with facts. Receiving 2,000 names and e-mail addresses with them cost ~2 ms of a
    ~10 ms board on PostgreSQL.
    """
    unknown = set(names) - set(FACT_NAMES)
    if unknown:
        raise ValueError(f"unknown facts {sorted(unknown)}")
    reps = people_directory().employed(Role.REP.value, start, end)
    if team_path is not None:
        members = _team_members(team_path, start, end)
        reps = [rep for rep in reps if rep[0] in members]
    if not names:
        return [rep[:REP_SUMS] for rep in reps]
    sql, params = _person_sums_sql(
        start=start, end=end, names=names, team_path=team_path, start_month=start_month
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        # Already Python's types: numeric(18, 2) sums as Decimals in cents, integer sums as ints.
        sums = {row[0]: row[1:] for row in rows}
    else:
        # SQLite returns money as floats or ints: convert as Django does.
        converters = _converters(names)
        sums = {
            row[0]: tuple(convert(v) for convert, v in zip(converters, row[1:], strict=True))
            for row in rows
        }
    zeros = tuple(Decimal("0.00") if name in MONEY_FACTS else 0 for name in names)
    get = sums.get
    return [(*rep[:REP_SUMS], *get(rep[0], zeros)) for rep in reps]


def _team_members(team_path: str, start: date, end: date) -> set[int]:
    """People in the team's subtree on some day of [start, end)."""
    join, params = _team_join(team_path)
    sql = (
        f"SELECT DISTINCT r.person_id FROM {TeamMembership._meta.db_table} r{join}"
        " WHERE r.start_date < %s AND (r.end_date IS NULL OR r.end_date > %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _day(end), _day(start)])
        return {row[0] for row in cursor.fetchall()}


def _person_sums_sql(
    *, start: date, end: date, names: Sequence[str], team_path: str | None, start_month: int
) -> tuple[str, list[Any]]:
    """SELECT person_id, SUM(name) AS name, … over [start, end), one row per person: whole
    fiscal-aligned three-month blocks from PersonQuarter (one row a rep for a fiscal quarter),
    whole calendar months outside them from PersonMonth, the days at either edge from
    PersonDay, summed together in the database. With `team_path`, only rows of that subtree (a
    rep's days while in it). `start_month` is the fiscal year's first month (the blocks' phase).
    """
    join, join_params = _team_join(team_path)
    blocks, months, days = quarters.split(start, end, start_month)
    parts: list[str] = []
    params: list[Any] = []
    columns = "".join(f", r.{name}" for name in names)
    reads: list[tuple[str, str, list[tuple[date, date]]]] = [
        (PersonQuarter._meta.db_table, "quarter", [blocks] if blocks else []),
        (PersonMonth._meta.db_table, "month", months),
        (PersonDay._meta.db_table, "day", days),
    ]
    for table, column, ranges in reads:
        if not ranges:
            continue
        condition = " OR ".join(f"(r.{column} >= %s AND r.{column} < %s)" for _ in ranges)
        parts.append(f"SELECT r.person_id{columns} FROM {table} r{join} WHERE {condition}")
        params += [*join_params, *(_day(d) for span in ranges for d in span)]
    sums = "".join(f", SUM(r.{name}) AS {name}" for name in names)
    rows = " UNION ALL ".join(parts)
    return f"SELECT r.person_id{sums} FROM ({rows}) r GROUP BY r.person_id", params


def _team_join(team_path: str | None) -> tuple[str, list[Any]]:
    """The JOIN that keeps only rollup rows `r` of the team's subtree (none without a team)."""
    if team_path is None:
        return "", []
    if not set(team_path) <= set("0123456789/"):
        raise ValueError(f"not a team path: {team_path!r}")
    return f" JOIN {Team._meta.db_table} t ON t.id = r.team_id AND t.path LIKE %s", [
        team_path + "%"
    ]


def _grouped(
    *,
    table: str,
    group: str,
    names: Sequence[str],
    condition: str,
    params: list[Any],
    team_path: str | None,
    dates: bool = False,
) -> dict[Any, Facts]:
    sums = ", ".join(f"SUM(r.{name})" for name in names)
    join, join_params = _team_join(team_path)
    sql = f"SELECT {group}, {sums} FROM {table} r{join} WHERE {condition} GROUP BY {group}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*join_params, *params])
        rows = cursor.fetchall()
    result: dict[Any, Facts] = {}
    converters = _converters(names)
    for row in rows:
        group_key = row[0]
        if dates and isinstance(group_key, str):
            group_key = date.fromisoformat(group_key)
        result[group_key] = {
            name: convert(value)
            for name, convert, value in zip(names, converters, row[1:], strict=True)
        }
    return result
