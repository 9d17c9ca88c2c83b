"""Rollups changed by increments (`rollup_add`) and by recomputing some facts only
(`rollup_recompute_facts`) equal a full rebuild, and leave the other facts' rows alone."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from django.db import connection, transaction

from attain.core.bulk import deferred_indexes
from attain.crm.models import Activity
from attain.metrics.engine.facts import FACT_NAMES
from attain.metrics.engine.rollup_bulk import (
    ACTIVITY_FACTS,
    activity_increments,
    rollup_add,
    rollup_recompute_facts,
)
from attain.metrics.engine.rollups import rollup_verify
from attain.metrics.models import PersonDay, PersonMonth
from attain.org.models import Person
from attain.org.services import organisation_configure
from tests.conftest import berlin
from tests.metrics.conftest import History
from tests.metrics.snapshots import rebuilt_rows, rollup_rows


def _log_raw(rows: list[tuple[str, Person, tuple[int, ...]]]) -> pl.DataFrame:
    """Store activities without the services (which would refresh the rollups themselves);
    return them as the frame an import writes."""
    activities = [
        Activity(kind=kind, owner=owner, occurred_at=berlin(*at), occurred_on=date(*at[:3]))
        for kind, owner, at in rows
    ]
    Activity.objects.bulk_create(activities)
    return pl.DataFrame(
        {
            "owner_id": [a.owner_id for a in activities],
            "occurred_on": [a.occurred_on for a in activities],
            "kind": [a.kind for a in activities],
        }
    )


def _deal_facts(person: Person, day: date) -> tuple[Any, ...]:
    deal_facts = [name for name in FACT_NAMES if name not in ACTIVITY_FACTS]
    return tuple(PersonDay.objects.values_list("id", *deal_facts).get(person=person, day=day))


@pytest.mark.parametrize(
    ("big", "roomy"), [(False, False), (True, False), (True, True)], ids=["small", "big", "roomy"]
)
def test_activity_increments_added_equal_a_rebuild(
    history: History, frank: Person, big: bool, roomy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New activities on a day with a won deal, either side of Bob's team move (15 May), in a
    month with no rollup row yet, and by Frank, who is in no team (the root's only). Big: as
    for a first big import (on PostgreSQL, indexes rebuilt afterwards and hash joins); roomy:
    the person-days' pages have room (`pages_have_room`), so the indexes stay."""
    from attain.metrics.engine import rollup_bulk

    if big:
        monkeypatch.setattr(rollup_bulk, "DEFER_MIN_ROWS", 0)
        monkeypatch.setattr(rollup_bulk, "DEFER_SHARE", 10**6)
    monkeypatch.setattr(rollup_bulk, "pages_have_room", lambda table: roomy)
    deferred: list[list[str]] = []

    def spy(tables: list[str], **options: Any) -> Any:
        deferred.append(tables)
        return deferred_indexes(tables, **options)

    monkeypatch.setattr(rollup_bulk, "deferred_indexes", spy)
    organisation_configure(actor=None, fiscal_year_start_month=2)
    alpha_day = (history.alice, date(2026, 4, 20))  # Alpha won: revenue and margin
    before = _deal_facts(*alpha_day)
    frame = _log_raw(
        [
            ("call", history.alice, (2026, 4, 20, 9)),
            ("email", history.alice, (2026, 4, 20, 11)),
            ("email", history.bob, (2026, 5, 14, 10)),
            ("email", history.bob, (2026, 5, 15, 10)),
            ("meeting", history.bob, (2026, 8, 3, 10)),
            ("quote", frank, (2026, 6, 3, 10)),
            ("follow_up", history.carol, (2026, 6, 4, 10)),
            ("follow_up", history.carol, (2026, 6, 4, 15)),
        ]
    )
    with transaction.atomic():
        assert rollup_add(activity_increments(frame)) == 6
    added = rollup_rows()
    postgresql = connection.vendor == "postgresql"
    assert deferred == ([[PersonDay._meta.db_table]] if big and not roomy and postgresql else [])
    assert _deal_facts(*alpha_day) == before, "the row kept its id and its deal facts"
    assert rollup_verify(samples=60, seed=21) == []
    assert rebuilt_rows() == added


def test_a_partial_recompute_removes_rows_left_empty(history: History) -> None:
    """Carol's one call (20 Apr) is her only record that day and that month."""
    Activity.objects.filter(owner=history.carol, occurred_on=date(2026, 4, 20)).delete()
    with transaction.atomic():
        changed = rollup_recompute_facts(
            start=date(2026, 4, 1),
            end=date(2026, 7, 1),
            facts=ACTIVITY_FACTS,
            person_ids=[history.carol.pk],
        )
    assert changed == 1
    assert not PersonDay.objects.filter(person=history.carol, day=date(2026, 4, 20)).exists()
    assert not PersonMonth.objects.filter(person=history.carol, month=date(2026, 4, 1)).exists()
    assert rollup_rows() == rebuilt_rows()


def test_a_partial_recompute_moves_activities_between_people_and_days(history: History) -> None:
    """An activity changed behind the rollups' back (owner and day), then only activity facts
    recomputed for both people: every level equals a rebuild."""
    call = Activity.objects.filter(owner=history.alice, kind="call").order_by("occurred_at")[0]
    Activity.objects.filter(pk=call.pk).update(
        owner=history.bob, occurred_at=berlin(2026, 6, 2, 10), occurred_on=date(2026, 6, 2)
    )
    with transaction.atomic():
        rollup_recompute_facts(
            start=date(2026, 1, 1),
            end=date(2027, 1, 1),
            facts=ACTIVITY_FACTS,
            person_ids=[history.alice.pk, history.bob.pk],
        )
    assert rollup_verify(samples=60, seed=22) == []
    assert rollup_rows() == rebuilt_rows()


def test_an_activity_facts_recompute_reads_and_writes_no_deal_fact(history: History) -> None:
    """Proof that the deal facts are left as stored: a value no raw record gives survives,
    beside the activity facts of the same row, which are recomputed."""
    day = date(2026, 4, 20)
    PersonDay.objects.filter(person=history.alice, day=day).update(revenue_won=1)
    calls = PersonDay.objects.get(person=history.alice, day=day).calls
    _log_raw([("call", history.alice, (2026, 4, 20, 16))])
    with transaction.atomic():
        rollup_recompute_facts(
            start=date(2026, 4, 1),
            end=date(2026, 5, 1),
            facts=ACTIVITY_FACTS,
            person_ids=[history.alice.pk],
        )
    row = PersonDay.objects.get(person=history.alice, day=day)
    assert (row.calls, row.revenue_won) == (calls + 1, 1)


def test_increments_that_cancel_out_change_nothing(history: History) -> None:
    before = rollup_rows()
    frame = pl.DataFrame(
        {
            "person_id": [history.alice.pk, history.alice.pk],
            "day": [date(2026, 4, 20), date(2026, 4, 20)],
            "calls": [2, -2],
        }
    )
    with transaction.atomic():
        assert rollup_add(frame) == 0
    assert rollup_rows() == before


@pytest.mark.parametrize("room", [False, True], ids=["dense", "room"])
def test_a_recompute_with_room_leaves_room_in_the_day_rollups_only_when_asked(
    history: History, room: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from attain.core.bulk import pages_with_room
    from attain.metrics.engine import rollup_bulk

    asked: list[list[str]] = []

    def spy(tables: list[str], **options: Any) -> Any:
        asked.append(tables)
        return pages_with_room(tables, **options)

    monkeypatch.setattr(rollup_bulk, "pages_with_room", spy)
    before = rollup_rows()
    with transaction.atomic():
        rollup_bulk.rollup_recompute(start=date(2026, 1, 1), end=date(2027, 1, 1), room=room)

    assert asked == ([["metrics_personday", "metrics_nodeday"]] if room else [])
    assert rollup_rows() == before
