"""Daily rollups: computing facts from raw records, rebuilding, refreshing and verifying them.

Raw records are the truth; PersonDay and NodeDay are a cache that must always equal what
`raw_person_day_facts` computes. Services call `rollup_refresh` for the person and days they
touched, inside their own transaction; bulk loaders call `rollup_rebuild`; `rollup_verify`
recomputes samples from raw rows and reports every difference.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, Sum

from attain.core.bulk import deferred_indexes
from attain.crm.models import Activity, Deal, DealStatus, Lead
from attain.metrics.engine.facts import (
    ACTIVITY_FACT_BY_KIND,
    FACT_NAMES,
    MONEY_FACTS,
    deal_margin,
)
from attain.metrics.engine.quarters import add_months, fiscal_start_month, quarter_of
from attain.metrics.engine.rollup_bulk import ROLLUP_TABLES, derive_quarters, rollup_recompute
from attain.metrics.models import NodeDay, PersonDay, PersonMonth, PersonQuarter
from attain.org.models import Team, TeamMembership

Facts = dict[str, Any]
Key = tuple[int, date]

ZERO_MONEY = Decimal("0.00")


def empty_facts() -> Facts:
    return {name: (ZERO_MONEY if name in MONEY_FACTS else 0) for name in FACT_NAMES}


def _is_empty(facts: Facts) -> bool:
    return all(not value for value in facts.values())


# ----------------------------------------------------------------------------- raw facts


def raw_person_day_facts(
    *,
    start: date,
    end: date,
    person_ids: Iterable[int] | None = None,
) -> dict[Key, Facts]:
    """Facts per (person, local day) in [start, end), computed from the raw tables."""
    ids = list(person_ids) if person_ids is not None else None
    result: dict[Key, Facts] = defaultdict(empty_facts)

    activities = Activity.objects.filter(occurred_on__gte=start, occurred_on__lt=end)
    if ids is not None:
        activities = activities.filter(owner_id__in=ids)
    for owner_id, day, kind, n in (
        activities.values_list("owner_id", "occurred_on", "kind").annotate(n=Count("id")).order_by()
    ):
        result[(owner_id, day)][ACTIVITY_FACT_BY_KIND[kind]] += n

    leads = Lead.objects.filter(created_on__gte=start, created_on__lt=end, owner__isnull=False)
    if ids is not None:
        leads = leads.filter(owner_id__in=ids)
    for owner_id, day, n in (
        leads.values_list("owner_id", "created_on").annotate(n=Count("id")).order_by()
    ):
        result[(owner_id, day)]["leads"] += n

    created = Deal.objects.filter(created_on__gte=start, created_on__lt=end)
    if ids is not None:
        created = created.filter(owner_id__in=ids)
    for owner_id, day, n, amount in (
        created.values_list("owner_id", "created_on")
        .annotate(n=Count("id"), amount=Sum("amount_base"))
        .order_by()
    ):
        facts = result[(owner_id, day)]
        facts["deals_created"] += n
        facts["pipeline_created"] += amount

    closed = Deal.objects.filter(closed_on__gte=start, closed_on__lt=end)
    if ids is not None:
        closed = closed.filter(owner_id__in=ids)
    for owner_id, closed_on, status, amount, created_on, price, cost in closed.values_list(
        "owner_id",
        "closed_on",
        "status",
        "amount_base",
        "created_on",
        "product__list_price",
        "product__unit_cost",
    ).iterator(5000):
        if closed_on is None:  # excluded by the filter; narrows the type
            continue
        facts = result[(owner_id, closed_on)]
        if status == DealStatus.WON:
            facts["deals_won"] += 1
            facts["revenue_won"] += amount
            facts["won_cycle_days"] += (closed_on - created_on).days
            if cost is not None and price:
                facts["revenue_with_cost"] += amount
                facts["margin_won"] += deal_margin(amount, price, cost)
        elif status == DealStatus.LOST:
            facts["deals_lost"] += 1
            facts["value_lost"] += amount
    return dict(result)


# ----------------------------------------------------------------------------- team attribution


@dataclass
class TeamLookup:
    """Which team each person was in on a day, and each team's ancestors (itself included)."""

    intervals: dict[int, list[tuple[date, date | None, int]]]
    ancestors: dict[int, list[int]]
    root_id: int | None

    @classmethod
    def load(cls, person_ids: Iterable[int] | None = None) -> TeamLookup:
        memberships = TeamMembership.objects.order_by("person_id", "start_date")
        if person_ids is not None:
            memberships = memberships.filter(person_id__in=list(person_ids))
        intervals: dict[int, list[tuple[date, date | None, int]]] = defaultdict(list)
        for person_id, start, end, team_id in memberships.values_list(
            "person_id", "start_date", "end_date", "team_id"
        ):
            intervals[person_id].append((start, end, team_id))
        ancestors: dict[int, list[int]] = {}
        root_id: int | None = None
        for team_id, path, parent_id in Team.objects.values_list("id", "path", "parent_id"):
            ancestors[team_id] = [int(part) for part in path.strip("/").split("/") if part]
            if parent_id is None:
                root_id = team_id
        return cls(dict(intervals), ancestors, root_id)

    def team_on(self, person_id: int, day: date) -> int | None:
        spans = self.intervals.get(person_id)
        if not spans:
            return None
        index = bisect.bisect_right([s[0] for s in spans], day) - 1
        if index < 0:
            return None
        _start, end, team_id = spans[index]
        return team_id if end is None or day < end else None

    def nodes_for(self, team_id: int | None) -> list[int]:
        """Nodes whose totals include a fact of this team (the root takes team-less facts)."""
        if team_id is None:
            return [self.root_id] if self.root_id is not None else []
        return self.ancestors.get(team_id, [])


# ----------------------------------------------------------------------------- rebuild


def _month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass
class RebuildStats:
    person_days: int = 0
    node_days: int = 0
    start: date | None = None
    end: date | None = None
    chunks: list[str] = field(default_factory=list)


def raw_date_span() -> tuple[date, date] | None:
    """First and last local day with any raw record."""
    days: list[date] = []
    for model, fields in (
        (Activity, ("occurred_on",)),
        (Deal, ("created_on", "closed_on")),
        (Lead, ("created_on",)),
    ):
        for name in fields:
            row = model.objects.aggregate(lo=Min(name), hi=Max(name))
            days += [v for v in (row["lo"], row["hi"]) if v is not None]
    if not days:
        return None
    return min(days), max(days)


def _month_chunks(start: date, end: date) -> Iterator[tuple[date, date]]:
    current = start
    while current < end:
        nxt = (current.replace(day=1) + timedelta(days=32)).replace(day=1)
        yield current, min(nxt, end)
        current = nxt


def _quarter_chunks(start: date, end: date) -> Iterator[tuple[date, date]]:
    """[start, end) cut at every third month boundary: memory stays bounded by three months."""
    months = list(_month_chunks(start, end))
    for index in range(0, len(months), 3):
        group = months[index : index + 3]
        yield group[0][0], group[-1][1]


@transaction.atomic
def rollup_rebuild(
    *, since: date | None = None, progress: Callable[[str], None] | None = None
) -> RebuildStats:
    """Recompute both rollups from raw records for every day on or after `since` (all if None).

    Works a quarter at a time (`rollup_bulk.rollup_recompute`), so memory stays bounded by
    three months of person-days.
    """
    stats = RebuildStats()
    person_days = PersonDay.objects.all()
    node_days = NodeDay.objects.all()
    person_months = PersonMonth.objects.all()
    person_quarters = PersonQuarter.objects.all()
    if since is not None:
        person_days = person_days.filter(day__gte=since)
        node_days = node_days.filter(day__gte=since)
        person_months = person_months.filter(month__gte=_month_of(since))
        # The block that holds `since` is derived again whole, from its months.
        person_quarters = person_quarters.filter(
            quarter__gte=quarter_of(since, fiscal_start_month())
        )
    person_days.delete()
    node_days.delete()
    person_months.delete()
    person_quarters.delete()
    span = raw_date_span()
    if span is None:
        return stats
    start = max(span[0], since) if since else span[0]
    end = span[1] + timedelta(days=1)
    if since is not None:  # at least the day `since`: its month and quarter are derived again
        end = max(end, since + timedelta(days=1))
    if start >= end:
        return stats
    stats.start, stats.end = start, end
    # A rebuild of all or most of the history writes each rollup index once, at the end.
    defer = since is None or (end - start).days * 4 >= (end - span[0]).days * 3
    with deferred_indexes(ROLLUP_TABLES) if defer else nullcontext():
        for chunk_start, chunk_end in _quarter_chunks(start, end):
            written_person_days, written_node_days = rollup_recompute(
                start=chunk_start, end=chunk_end, defer_indexes=False
            )
            stats.person_days += written_person_days
            stats.node_days += written_node_days
            stats.chunks.append(chunk_start.strftime("%Y-%m"))
            if progress is not None:
                progress(chunk_start.strftime("%Y-%m"))
    return stats


# ----------------------------------------------------------------------------- refresh


def rollup_refresh(*, person_id: int, days: Iterable[date] = (), since: date | None = None) -> None:
    """Recompute one person's rollup rows for some days (and/or every stored day since a date).

    Called by services inside their transaction after they change raw records or memberships;
    applies the difference to the person's row and to every node above the old and new team.
    """
    wanted = set(days)
    if since is not None:
        wanted |= set(
            PersonDay.objects.filter(person_id=person_id, day__gte=since).values_list(
                "day", flat=True
            )
        )
    if not wanted:
        return
    lookup = TeamLookup.load([person_id])
    start_month = fiscal_start_month()
    lo, hi = min(wanted), max(wanted) + timedelta(days=1)
    if since is not None:
        span = raw_date_span()
        hi = max(hi, span[1] + timedelta(days=1) if span else hi)
    fresh = raw_person_day_facts(start=lo, end=hi, person_ids=[person_id])
    wanted |= {day for (_, day) in fresh}
    existing = {
        row.day: row
        for row in PersonDay.objects.select_for_update().filter(person_id=person_id, day__in=wanted)
    }
    for day in sorted(wanted):
        new_values = fresh.get((person_id, day), empty_facts())
        new_team = lookup.team_on(person_id, day)
        row = existing.get(day)
        old_values = {n: getattr(row, n) for n in FACT_NAMES} if row is not None else empty_facts()
        old_team = row.team_id if row is not None else None
        if row is not None and old_team == new_team and old_values == new_values:
            continue
        if row is not None and old_team == new_team:
            # Same team (a second activity on a day, a deal closing): the difference goes to
            # the same node, month and quarter rows, one write each instead of a subtraction
            # and an addition.
            difference = {n: new_values[n] - old_values[n] for n in FACT_NAMES}
            _apply_to_nodes(lookup.nodes_for(new_team), day, difference, sign=1)
            _apply_to_blocks(person_id, new_team, day, difference, start_month, sign=1)
            if _is_empty(new_values):
                row.delete()
            else:
                PersonDay.objects.filter(pk=row.pk).update(**new_values)
            continue
        if row is not None:
            _apply_to_nodes(lookup.nodes_for(old_team), day, old_values, sign=-1)
            _apply_to_blocks(person_id, old_team, day, old_values, start_month, sign=-1)
        if _is_empty(new_values):
            if row is not None:
                row.delete()
        else:
            if row is None:
                PersonDay.objects.create(
                    person_id=person_id, team_id=new_team, day=day, **new_values
                )
            else:
                PersonDay.objects.filter(pk=row.pk).update(team_id=new_team, **new_values)
            _apply_to_nodes(lookup.nodes_for(new_team), day, new_values, sign=1)
            _apply_to_blocks(person_id, new_team, day, new_values, start_month, sign=1)


def _apply_to_nodes(nodes: list[int], day: date, values: Facts, *, sign: int) -> None:
    if _is_empty(values):
        return
    changes = {name: F(name) + sign * values[name] for name in FACT_NAMES if values[name]}
    for node_id in nodes:
        updated = NodeDay.objects.filter(node_id=node_id, day=day).update(**changes)
        if not updated:
            NodeDay.objects.create(
                node_id=node_id,
                day=day,
                **{name: sign * values[name] for name in FACT_NAMES},
            )
    NodeDay.objects.filter(node_id__in=nodes, day=day, **_all_zero()).delete()


def _apply_to_blocks(
    person_id: int, team_id: int | None, day: date, values: Facts, start_month: int, *, sign: int
) -> None:
    """Add (or take away) one person-day's facts to its PersonMonth and PersonQuarter rows."""
    if _is_empty(values):
        return
    changes = {name: F(name) + sign * values[name] for name in FACT_NAMES if values[name]}
    blocks: tuple[tuple[type[PersonMonth] | type[PersonQuarter], str, date], ...] = (
        (PersonMonth, "month", _month_of(day)),
        (PersonQuarter, "quarter", quarter_of(day, start_month)),
    )
    for model, column, start in blocks:
        rows = model.objects.filter(person_id=person_id, **{column: start})
        rows = rows.filter(team__isnull=True) if team_id is None else rows.filter(team_id=team_id)
        if not rows.update(**changes):
            model.objects.create(
                person_id=person_id,
                team_id=team_id,
                **{column: start},
                **{name: sign * values[name] for name in FACT_NAMES},
            )
        rows.filter(**_all_zero()).delete()


def _all_zero() -> dict[str, Any]:
    return dict.fromkeys(FACT_NAMES, 0)


# ----------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Mismatch:
    where: str
    fact: str
    rollup: Any
    raw: Any

    def __str__(self) -> str:
        return f"{self.where}: {self.fact} rollup={self.rollup} raw={self.raw}"


def rollup_verify(*, samples: int = 40, seed: int | None = None) -> list[Mismatch]:
    """Recompute a sample of person-months and node-days, plus company totals, from raw rows."""
    rng = random.Random(seed)
    span = raw_date_span()
    if span is None:
        leftover = sum(
            model.objects.count() for model in (PersonDay, NodeDay, PersonMonth, PersonQuarter)
        )
        return [Mismatch("whole database", "rows", leftover, 0)] if leftover else []
    lookup = TeamLookup.load()
    mismatches: list[Mismatch] = []
    months = list(_month_chunks(span[0], span[1] + timedelta(days=1)))
    person_ids = sorted(
        set(Activity.objects.values_list("owner_id", flat=True).distinct()[:5000])
        | set(Deal.objects.values_list("owner_id", flat=True).distinct())
    )
    for _ in range(samples if person_ids else 0):
        person_id = rng.choice(person_ids)
        start, end = rng.choice(months)
        raw = raw_person_day_facts(start=start, end=end, person_ids=[person_id])
        stored = {
            (row["person_id"], row["day"]): row
            for row in PersonDay.objects.filter(
                person_id=person_id, day__gte=start, day__lt=end
            ).values("person_id", "day", "team_id", *FACT_NAMES)
        }
        for key in sorted(set(raw) | set(stored)):
            raw_values = raw.get(key, empty_facts())
            row = stored.get(key)
            where = f"person {key[0]} on {key[1].isoformat()}"
            if row is None:
                if not _is_empty(raw_values):
                    mismatches.append(Mismatch(where, "row", "missing", "present"))
                continue
            for name in FACT_NAMES:
                if row[name] != raw_values[name]:
                    mismatches.append(Mismatch(where, name, row[name], raw_values[name]))
            if row["team_id"] != lookup.team_on(key[0], key[1]):
                mismatches.append(
                    Mismatch(where, "team", row["team_id"], lookup.team_on(key[0], key[1]))
                )
    mismatches += _verify_blocks(rng, months, person_ids, samples)
    mismatches += _verify_nodes(rng, months, lookup, samples)
    return mismatches


def _verify_blocks(
    rng: random.Random, months: list[tuple[date, date]], person_ids: list[int], samples: int
) -> list[Mismatch]:
    """Each sampled person-month and person-quarter row equals the sum of that person's days
    in its month or quarter, per team."""
    start_month = fiscal_start_month()

    def month(day: date) -> tuple[date, date, str]:
        first = _month_of(day)
        return first, add_months(first, 1), f"{first:%Y-%m}"

    def quarter(day: date) -> tuple[date, date, str]:
        first = quarter_of(day, start_month)
        return first, add_months(first, 3), f"the quarter from {first:%Y-%m}"

    grains: tuple[tuple[type[PersonMonth] | type[PersonQuarter], str, Any], ...] = (
        (PersonMonth, "month", month),
        (PersonQuarter, "quarter", quarter),
    )
    mismatches: list[Mismatch] = []
    for model, column, block_of in grains:
        for _ in range(max(1, samples // 2) if person_ids else 0):
            person_id = rng.choice(person_ids)
            first, end, label = block_of(rng.choice(months)[0])
            expected: dict[int | None, Facts] = defaultdict(empty_facts)
            for row in PersonDay.objects.filter(
                person_id=person_id, day__gte=first, day__lt=end
            ).values("team_id", *FACT_NAMES):
                for name in FACT_NAMES:
                    expected[row["team_id"]][name] += row[name]
            stored = {
                row["team_id"]: row
                for row in model.objects.filter(person_id=person_id, **{column: first}).values(
                    "team_id", *FACT_NAMES
                )
            }
            for team_id in sorted(set(expected) | set(stored), key=lambda t: t or 0):
                want = expected.get(team_id, empty_facts())
                got = stored.get(team_id)
                where = f"person {person_id} in {label} (team {team_id})"
                for name in FACT_NAMES:
                    have = got[name] if got is not None else 0
                    if have != want[name]:
                        mismatches.append(Mismatch(where, name, have, want[name]))
    return mismatches


def rollup_quarters_realign() -> None:
    """Derive every PersonQuarter row again from PersonMonth, in blocks that start on the
    fiscal year's current first month (`organisation_configure` calls it when that changes)."""
    span = PersonMonth.objects.aggregate(lo=Min("month"), hi=Max("month"))
    PersonQuarter.objects.all().delete()
    if span["lo"] is None:
        return
    start_month = fiscal_start_month()
    derive_quarters(
        quarter_of(span["lo"], start_month),
        add_months(quarter_of(span["hi"], start_month), 3),
        None,
        start_month=start_month,
    )


def _verify_nodes(
    rng: random.Random,
    months: list[tuple[date, date]],
    lookup: TeamLookup,
    samples: int,
) -> list[Mismatch]:
    mismatches: list[Mismatch] = []
    nodes = list(lookup.ancestors)
    if not nodes:
        return mismatches
    for _ in range(max(1, samples // 4)):
        start, end = rng.choice(months)
        raw = raw_person_day_facts(start=start, end=end)
        expected: dict[Key, Facts] = defaultdict(empty_facts)
        for (person_id, day), values in raw.items():
            for node_id in lookup.nodes_for(lookup.team_on(person_id, day)):
                for name in FACT_NAMES:
                    expected[(node_id, day)][name] += values[name]
        node_id = rng.choice(nodes)
        stored = {
            row["day"]: row
            for row in NodeDay.objects.filter(node_id=node_id, day__gte=start, day__lt=end).values(
                "day", *FACT_NAMES
            )
        }
        days = {day for (n, day) in expected if n == node_id} | set(stored)
        for day in sorted(days):
            want = expected.get((node_id, day), empty_facts())
            got = stored.get(day)
            for name in FACT_NAMES:
                have = got[name] if got is not None else 0
                if have != want[name]:
                    mismatches.append(
                        Mismatch(f"node {node_id} on {day.isoformat()}", name, have, want[name])
                    )
    return mismatches


__all__ = [
    "Mismatch",
    "RebuildStats",
    "TeamLookup",
    "deal_margin",
    "empty_facts",
    "raw_date_span",
    "raw_person_day_facts",
    "rollup_quarters_realign",
    "rollup_rebuild",
    "rollup_refresh",
    "rollup_verify",
]
