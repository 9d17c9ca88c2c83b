"""Hand-written SQL for the raw-record reads of a KPI request: deals, stage changes, quotes.

The figures that cannot come from the rollups (pipeline snapshots, deal ages, health flags,
customers and lifetime value) read a few hundred deal rows in ~1 ms of database time; through the
ORM the same read cost 5–10 ms of Python (building the querysets and their attribution
conditions, compiling them, converting every cell). The shapes are few and fixed, so they are
written here once, portable between SQLite and PostgreSQL, as `factsql.py` does for the rollups.

Attribution follows `subjects.attributed()` exactly (the same span split): a person's own
records; a team's by the owner's membership of its subtree on the record's local day (or on one
fixed day for snapshots); the company's, all of them.

Values come back as Python types the ORM would give: money as cent-exact Decimal (SQLite returns
doubles, converted as Django's own SQLite converter does), dates as `date` (SQLite returns text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from attain.crm.models import (
    Activity,
    ActivityKind,
    Deal,
    DealStageChange,
    DealStatus,
    Pipeline,
    Stage,
)
from attain.metrics.engine.factsql import _money as money
from attain.metrics.engine.subjects import Span, Subject, db_date, members_on, spans_split
from attain.metrics.models import Target

DEAL = Deal._meta.db_table
CHANGE = DealStageChange._meta.db_table
ACTIVITY = Activity._meta.db_table

Where = tuple[str, list[Any]]  # an SQL condition and its parameters


def day_param(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def moment_param(value: datetime) -> Any:
    """An aware moment as the database compares it (SQLite: naive UTC text, as Django stores)."""
    return connection.ops.adapt_datetimefield_value(value)


def _in(column: str, ids: Sequence[int]) -> Where:
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _case(column: str, mapping: dict[int, Any], default: str) -> tuple[str, list[Any]]:
    """CASE column WHEN key THEN value ... ELSE default END, with its parameters."""
    if not mapping:
        return default, []
    whens = " ".join("WHEN %s THEN %s" for _ in mapping)
    return f"CASE {column} {whens} ELSE {default} END", [
        part for item in sorted(mapping.items()) for part in item
    ]


def attribution(
    subject: Subject,
    spans: list[Span] | None,
    *,
    owner: str = "owner_id",
    day: str | date,
    within: tuple[date | None, date | None] = (None, None),
) -> Where:
    """SQL twin of `subjects.attributed()`: which rows of `owner` are the subject's.

    `day` is the column with the record's local day, or one fixed day (snapshots). `within` is the
    [start, end) the statement already limits `day` to (None: unbounded on that side).
    """
    if subject.kind == "company":
        return "1 = 1", []
    if subject.kind == "person":
        return f"{owner} = %s", [subject.person_id]
    if spans is None:
        raise ValueError("a team subject needs its memberships (subtree_spans)")
    if not isinstance(day, str):
        return _in(owner, members_on(spans, day))
    low, high = within
    bounded = (low or date.min, high or date.max) if low or high else None
    whole, partial = spans_split(spans, bounded)
    parts: list[str] = []
    params: list[Any] = []
    if whole:
        sql, ids = _in(owner, sorted(whole))
        parts.append(sql)
        params += ids
    for person_id, start, end in partial:
        terms = [f"{owner} = %s"]
        params.append(person_id)
        if low is None or start > low:
            terms.append(f"{day} >= %s")
            params.append(day_param(start))
        if end is not None and (high is None or end < high):
            terms.append(f"{day} < %s")
            params.append(day_param(end))
        parts.append("(" + " AND ".join(terms) + ")")
    if not parts:
        return "1 = 0", []
    return "(" + " OR ".join(parts) + ")", params


def stage_rows() -> list[tuple[Any, ...]]:
    """(id, name, position, default probability, forecast category, in default pipeline,
    stall days) of every stage, by pipeline name and position."""
    sql = (
        "SELECT s.id, s.name, s.position, s.default_probability, s.forecast_category,"
        " p.is_default, s.stall_after_days"
        f" FROM {Stage._meta.db_table} s JOIN {Pipeline._meta.db_table} p"
        " ON p.id = s.pipeline_id ORDER BY p.name, s.position"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [(*row[:5], bool(row[5]), row[6]) for row in cursor.fetchall()]


TargetRow = tuple[str, date, date, Decimal]  # (kpi, period start, period end, value)


def _targets(
    owner: str, owner_params: list[Any], keys: Sequence[str], start: date, end: date
) -> list[tuple[Any, ...]]:
    """(person_id, kpi, period start, period end, value) of the targets matching `owner` (a
    condition on subject kind, person or team) for `keys`, with periods inside [start, end)."""
    sql = (
        "SELECT person_id, kpi, period_start, period_end, value"
        f" FROM {Target._meta.db_table} WHERE {owner}"
        f" AND kpi IN ({', '.join(['%s'] * len(keys))})"
        " AND period_start >= %s AND period_end <= %s ORDER BY kpi, period_start, period_end"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*owner_params, *keys, day_param(start), day_param(end)])
        rows = cursor.fetchall()
    return [
        (person, kpi, db_date(lo), db_date(hi), money(value)) for person, kpi, lo, hi, value in rows
    ]


def target_rows(keys: Sequence[str], subject: Subject, start: date, end: date) -> list[TargetRow]:
    """(kpi, period start, period end, value) of the subject's targets for `keys` whose periods
    lie inside [start, end), ordered by kpi and period."""
    if not keys:
        return []
    owner, owner_params = {
        "person": ("person_id = %s", [subject.person_id]),
        "team": ("team_id = %s", [subject.team_id]),
    }.get(subject.kind, ("1 = 1", []))
    rows = _targets(
        f"subject_kind = %s AND {owner}", [subject.kind, *owner_params], keys, start, end
    )
    return [row[1:] for row in rows]


def person_target_rows(
    keys: Sequence[str], person_ids: Sequence[int], start: date, end: date
) -> dict[int, list[TargetRow]]:
    """`target_rows` of many people at once (a leaderboard's reps), by person id."""
    by_person: dict[int, list[TargetRow]] = {}
    if not keys or not person_ids:
        return by_person
    people, people_params = _in("person_id", sorted(set(person_ids)))
    for person, *row in _targets(
        f"subject_kind = %s AND {people}", ["person", *people_params], keys, start, end
    ):
        by_person.setdefault(person, []).append(tuple(row))
    return by_person


# ----------------------------------------------------------------------------- won deals

WonRow = tuple[date, date, int | None, Decimal]  # (close day, created day, account, amount)


def _won_where(subject: Subject, spans: list[Span] | None, start: date | None, end: date) -> Where:
    """The subject's won deals closed in [start, end) (start None: since the beginning),
    attributed on each close day."""
    where, params = attribution(subject, spans, day="closed_on", within=(start, end))
    low = "closed_on >= %s AND " if start is not None else ""
    bounds = [day_param(start)] if start is not None else []
    return (
        f"status = %s AND {low}closed_on < %s AND {where}",
        [DealStatus.WON.value, *bounds, day_param(end), *params],
    )


def won_rows(
    subject: Subject, spans: list[Span] | None, start: date | None, end: date
) -> list[WonRow]:
    """(close day, created day, account, base amount) of the subject's deals won in
    [start, end) (start None: since the beginning), attributed on each close day."""
    where, params = _won_where(subject, spans, start, end)
    sql = f"SELECT closed_on, created_on, account_id, amount_base FROM {DEAL} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":  # dates and numeric(…, 2) decimals already
        return list(rows)
    return [(db_date(c), db_date(o), a, money(v)) for c, o, a, v in rows]  # type: ignore[misc]


def won_customers(
    subject: Subject, spans: list[Span] | None, start: date | None, end: date
) -> tuple[Decimal, int, int]:
    """Revenue, deal count and distinct accounts of the subject's won deals with an account
    closed in [start, end), aggregated in SQL (the company's are too many rows to read)."""
    where, params = _won_where(subject, spans, start, end)
    sql = (
        "SELECT SUM(amount_base), COUNT(*), COUNT(DISTINCT account_id)"
        f" FROM {DEAL} WHERE {where} AND account_id IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    revenue, deals, accounts = row if row is not None else (None, 0, 0)
    return money(revenue), int(deals or 0), int(accounts or 0)


def new_customers(subject: Subject, spans: list[Span] | None, start: date, end: date) -> int:
    """Accounts whose first-ever won deal (by close time, then id) is one of the subject's won
    deals closed in [start, end)."""
    where, params = attribution(
        subject, spans, owner="d.owner_id", day="d.closed_on", within=(start, end)
    )
    sql = (
        f"SELECT COUNT(DISTINCT d.account_id) FROM {DEAL} d"
        " WHERE d.status = %s AND d.closed_on >= %s AND d.closed_on < %s"
        f" AND d.account_id IS NOT NULL AND {where} AND NOT EXISTS ("
        f"SELECT 1 FROM {DEAL} e WHERE e.account_id = d.account_id AND e.status = %s"
        " AND (e.closed_at < d.closed_at OR (e.closed_at = d.closed_at AND e.id < d.id)))"
    )
    won = DealStatus.WON.value
    with connection.cursor() as cursor:
        cursor.execute(sql, [won, day_param(start), day_param(end), *params, won])
        row = cursor.fetchone()
    return int(row[0]) if row is not None else 0


# ----------------------------------------------------------------------------- open deals


@dataclass(frozen=True)
class OpenRow:
    id: int
    amount: Decimal
    probability: int | None  # the deal's own override, if any
    stage_id: int
    created_on: date
    expected_close_date: date | None


def _open_at(
    subject: Subject, spans: list[Span] | None, *, at: datetime, at_day: date, live: bool
) -> Where:
    """The condition for deals (alias d) open at the moment `at`, attributed on `at_day`.

    Live (the moment is now): open deals created before it. A past moment: open now, or won/lost
    at or after it (a deal is open exactly when it has no close time) — each branch carrying the
    owners and the local close day that implies, so each is a range of an owner index.
    """
    where, owners = attribution(subject, spans, day=at_day, owner="d.owner_id")
    moment = moment_param(at)
    open_now = f"d.status = %s AND d.created_at < %s AND {where}"
    if live:
        return open_now, [DealStatus.OPEN.value, moment, *owners]
    closed_since = (
        "d.status IN (%s, %s) AND d.closed_on >= %s AND d.closed_at >= %s AND d.created_at < %s"
        f" AND {where}"
    )
    return f"(({open_now}) OR ({closed_since}))", [
        DealStatus.OPEN.value,
        moment,
        *owners,
        DealStatus.WON.value,
        DealStatus.LOST.value,
        day_param(at_day),
        moment,
        moment,
        *owners,
    ]


def open_rows(
    subject: Subject,
    spans: list[Span] | None,
    *,
    at: datetime,
    at_day: date,
    live: bool,
) -> list[OpenRow]:
    """Deals open at the moment `at` (see `_open_at`) with the stage they were in then: the
    current one when live, else each deal's newest stage change before the moment."""
    where, params = _open_at(subject, spans, at=at, at_day=at_day, live=live)
    stage, stage_params = _stage_then(at=at, live=live)
    sql = (
        f"SELECT d.id, d.amount_base, d.probability, {stage}, d.created_on,"
        f" d.expected_close_date FROM {DEAL} d WHERE {where}"
    )
    params = [*stage_params, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":  # dates and numeric(…, 2) decimals already
        return [OpenRow(*row) for row in rows]
    return [
        OpenRow(pk, money(amount), override, stage_id, db_date(created), db_date(close))  # type: ignore[arg-type]
        for pk, amount, override, stage_id, created, close in rows
    ]


def _stage_then(*, at: datetime, live: bool) -> Where:
    """The stage a deal (alias d) was in at the moment `at`: its current one when live, else
    its newest stage change before the moment (a probe of the (deal, changed_at) index)."""
    if live:
        return "d.stage_id", []
    return (
        f"(SELECT c.to_stage_id FROM {CHANGE} c WHERE c.deal_id = d.id AND c.changed_at < %s"
        " ORDER BY c.changed_at DESC, c.id DESC LIMIT 1)"
    ), [moment_param(at)]


def open_ages(
    subject: Subject,
    spans: list[Span] | None,
    *,
    at: datetime,
    at_day: date,
    live: bool,
) -> dict[int, tuple[int, int]]:
    """Deals open at the moment `at` (see `_open_at`) per the stage they were in then:
    {stage id: (count, summed age in days)}, an age being `at_day` minus the local created day.
    Summed in the database: a team's average age needs a handful of rows, not every deal."""
    where, params = _open_at(subject, spans, at=at, at_day=at_day, live=live)
    stage, stage_params = _stage_then(at=at, live=live)
    if connection.vendor == "postgresql":
        age = "%s::date - d.created_on"
    else:  # whole days between two ISO dates: exact in julian days
        age = "CAST(julianday(%s) - julianday(d.created_on) AS INTEGER)"
    sql = f"SELECT {stage}, COUNT(*), SUM({age}) FROM {DEAL} d WHERE {where} GROUP BY 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*stage_params, day_param(at_day), *params])
        rows = cursor.fetchall()
    return {stage_id: (int(count), int(days)) for stage_id, count, days in rows}


def open_groups(
    subject: Subject,
    spans: list[Span] | None,
    *,
    at: datetime,
    at_day: date,
    live: bool,
    due: tuple[date, date],
) -> list[tuple[int, bool, int, Decimal]]:
    """Deals open at `at` grouped by effective probability and whether their close date is in
    `due`: (probability, due, count, summed amount). For a past moment the probability is 0: its
    weighting needs each deal's stage then (see `open_rows`)."""
    where, params = _open_at(subject, spans, at=at, at_day=at_day, live=live)
    probability = "COALESCE(d.probability, s.default_probability, 0)" if live else "0"
    join = f" JOIN {Stage._meta.db_table} s ON s.id = d.stage_id" if live else ""
    sql = (
        f"SELECT {probability},"
        " CASE WHEN d.expected_close_date >= %s AND d.expected_close_date < %s THEN 1 ELSE 0 END,"
        f" COUNT(*), SUM(d.amount_base) FROM {DEAL} d{join} WHERE {where} GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day_param(due[0]), day_param(due[1]), *params])
        rows = cursor.fetchall()
    return [(int(p), bool(d), int(n), money(v)) for p, d, n, v in rows]


# ----------------------------------------------------------------------------- health (now)


@dataclass(frozen=True)
class HealthCounts:
    open: int
    no_next_step: int
    past_close: int
    no_recent_activity: int
    stalled: int


def health_counts(
    subject: Subject,
    spans: list[Span] | None,
    *,
    today: date,
    no_activity_before: datetime,
    stall_before: dict[int, datetime],
) -> HealthCounts:
    """Open deals now and how many carry each health flag, in one statement.

    Stalled: the last touch (the later of the last activity and the stage entry) is before the
    deal's stage's cutoff in `stall_before` (stage id -> moment); a stage not in it never stalls.
    """
    where, owners = attribution(subject, spans, day=today)
    last_touch = (
        "CASE WHEN last_activity_at IS NOT NULL AND last_activity_at > stage_entered_at"
        " THEN last_activity_at ELSE stage_entered_at END"
    )
    cutoff, cutoff_params = _case(
        "stage_id", {stage: moment_param(at) for stage, at in stall_before.items()}, "NULL"
    )
    stalled = f"SUM(CASE WHEN {last_touch} < ({cutoff}) THEN 1 ELSE 0 END)" if stall_before else "0"
    sql = (
        "SELECT COUNT(*),"
        " SUM(CASE WHEN next_step = '' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN expected_close_date < %s THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN last_activity_at IS NULL OR last_activity_at < %s THEN 1 ELSE 0 END),"
        f" {stalled} FROM {DEAL} WHERE status = %s AND {where}"
    )
    params = [
        day_param(today),
        moment_param(no_activity_before),
        *cutoff_params,
        DealStatus.OPEN.value,
        *owners,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    values = [int(v or 0) for v in row] if row is not None else [0] * 5
    return HealthCounts(*values)


# ----------------------------------------------------------------------------- stage history


def stage_step_counts(
    subject: Subject,
    spans: list[Span] | None,
    *,
    start_at: datetime,
    end_at: datetime,
    as_of: datetime,
    as_of_day: date,
    position: dict[int, int],
    reached: dict[int, int],
) -> dict[int, tuple[int, int]]:
    """Per stage of `position`: how many of the subject's deals entered it in
    [start_at, end_at), and how many of those had reached a stage further on (a stage of
    `reached`, by position) before `as_of`. Deals are attributed by owner on `as_of_day`.

    One range of the (deal, changed_at) index per deal serves both what a deal entered in the
    period and the furthest it had reached, and the counting is done in SQL (a handful of rows
    back, not the thousands of changes). Only deals whose current stage was entered at or after
    `start_at` are read: `stage_entered_at` is the moment of a deal's latest stage change (every
    writer keeps it so), so a deal that entered its stage before the period had no change in
    it. At large that is a few hundred deals, not every deal the team ever had.
    """
    where, owners = attribution(subject, spans, day=as_of_day, owner="d.owner_id")
    furthest, furthest_params = _case("to_stage_id", reached, "0")
    stage_position, position_params = _case("h.to_stage_id", position, "NULL")
    start = moment_param(start_at)
    sql = (
        "WITH h AS ("
        f" SELECT c.deal_id, c.to_stage_id, c.changed_at FROM {DEAL} d"
        f" JOIN {CHANGE} c ON c.deal_id = d.id"
        f" WHERE {where} AND d.stage_entered_at >= %s AND c.changed_at < %s),"
        f" f AS (SELECT deal_id, MAX({furthest}) AS furthest FROM h WHERE changed_at < %s"
        " GROUP BY deal_id)"
        " SELECT h.to_stage_id, COUNT(DISTINCT h.deal_id),"
        f" COUNT(DISTINCT CASE WHEN COALESCE(f.furthest, 0) > {stage_position}"
        " THEN h.deal_id END)"
        " FROM h LEFT JOIN f ON f.deal_id = h.deal_id WHERE h.changed_at >= %s"
        " GROUP BY h.to_stage_id"
    )
    params = [
        *owners,
        start,
        moment_param(end_at),
        *furthest_params,
        moment_param(as_of),
        *position_params,
        start,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {stage: (int(n), int(moved or 0)) for stage, n, moved in rows if stage in position}


# ----------------------------------------------------------------------------- follow-ups


def quotes_followed_up(
    subject: Subject,
    spans: list[Span] | None,
    *,
    start: date,
    end: date,
    window: timedelta,
) -> tuple[int, int]:
    """(quotes followed up within `window`, all quotes) of the subject in local days
    [start, end): a follow-up on the same deal (or, for a quote with no deal, the same account)
    after the quote and at most `window` later, whoever logged it.

    The window end is computed in SQL without a function call per row: on SQLite, Django
    stores UTC timestamps as text, so N days later is the same text with the date part moved
    (UTC has no daylight saving); the ORM's date arithmetic there calls Python for every quote.
    """
    where, owners = attribution(
        subject, spans, owner="q.owner_id", day="q.occurred_on", within=(start, end)
    )
    if connection.vendor == "sqlite":
        if window % timedelta(days=1):
            raise ValueError("the follow-up window is a whole number of days")
        limit = "date(substr(q.occurred_at, 1, 10), %s) || substr(q.occurred_at, 11)"
        limit_params: list[Any] = [f"+{window.days} days"]
    else:
        limit = "q.occurred_at + %s"
        limit_params = [window]
    follow_up = (
        f"SELECT 1 FROM {ACTIVITY} f WHERE f.kind = %s AND f.occurred_at > q.occurred_at"
        f" AND f.occurred_at <= {limit}"
    )
    sql = (
        "SELECT COUNT(*), SUM(CASE WHEN"
        f" (q.deal_id IS NOT NULL AND EXISTS ({follow_up} AND f.deal_id = q.deal_id))"
        f" OR (q.deal_id IS NULL AND EXISTS ({follow_up} AND f.account_id = q.account_id))"
        f" THEN 1 ELSE 0 END) FROM {ACTIVITY} q"
        f" WHERE q.kind = %s AND q.occurred_on >= %s AND q.occurred_on < %s AND {where}"
    )
    kind = ActivityKind.FOLLOW_UP.value
    params = [
        kind,
        *limit_params,
        kind,
        *limit_params,
        ActivityKind.QUOTE.value,
        day_param(start),
        day_param(end),
        *owners,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    total, followed = row if row is not None else (0, 0)
    return int(followed or 0), int(total or 0)
