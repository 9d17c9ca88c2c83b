"""An activities import changes only the activity facts of the rollups: the deal facts of the
person-days it shares with deals stay as they were, in the same rows, and everything equals a
rebuild. New rows are added from the frames written; changed rows recompute activity facts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from attain.importers import services
from attain.importers.loaders import ActivityLoader
from attain.importers.services import import_run
from attain.metrics.engine.facts import FACT_NAMES
from attain.metrics.engine.rollup_bulk import ACTIVITY_FACTS
from attain.metrics.engine.rollups import rollup_verify
from attain.metrics.models import PersonDay
from tests.importers.conftest import HUBSPOT_DEALS
from tests.metrics.snapshots import rebuilt_rows, rollup_rows

pytestmark = pytest.mark.django_db

HEADERS = ["Record ID", "Activity type", "Activity assigned to", "Activity date", "Subject"]
# On the days of HubSpot deals: Wayne created 1 Apr and won 10 May (Alice), Oscorp lost
# 20 May (Bob), Cyberdyne created 1 May (Carol); and on days without a deal.
ACTIVITIES = [
    HEADERS,
    ["7001", "Call", "Alice Rep", "2026-04-01 09:00", "Intro"],
    ["7002", "Email", "Alice Rep", "2026-05-10 16:00", "Thanks"],
    ["7003", "Meeting", "Alice Rep", "2026-05-10 17:00", "Kick-off"],
    ["7004", "Call", "Bob Rep", "2026-05-20 08:00", "Why?"],
    ["7005", "Task", "Carol Rep", "2026-05-01 13:00", "Draft"],
    ["7006", "Call", "Carol Rep", "2026-07-07 10:00", "Check-in"],
]
DEAL_FACTS = [name for name in FACT_NAMES if name not in ACTIVITY_FACTS]


def _deal_rows() -> dict[tuple[int, date], tuple[Any, ...]]:
    """Each person-day's row id and deal facts."""
    return {
        (person, day): rest
        for person, day, *rest in PersonDay.objects.values_list(
            "person_id", "day", "id", *DEAL_FACTS
        )
    }


def _import(write_csv: Any, rows: list[list[str]], **kw: Any) -> Any:
    result = import_run(actor=None, kind="activities", path=write_csv("act.csv", rows), **kw)
    assert result.errors == [], result.errors
    return result


@pytest.mark.parametrize("path", ["frames", "rows"])
def test_an_activities_import_leaves_the_deal_facts_of_its_person_days_intact(
    reps, write_csv, monkeypatch, path
):
    """Frames: new rows add their increments. Rows: the row-by-row path, with more touched
    person-days than are refreshed one by one, recomputes the activity facts in bulk."""
    if path == "rows":
        monkeypatch.setattr(ActivityLoader, "_insert_new", lambda self, out, *args: out)
        monkeypatch.setattr(services, "REFRESH_LIMIT", 0)
    import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    deals = _deal_rows()
    assert len(deals) == 6
    assert _import(write_csv, ACTIVITIES).created == 6
    assert {key: _deal_rows()[key] for key in deals} == deals
    alice = reps["alice"].pk
    won_day = PersonDay.objects.get(person_id=alice, day=date(2026, 5, 10))
    assert (won_day.emails, won_day.meetings, won_day.deals_won) == (1, 1, 1)
    assert PersonDay.objects.count() == 7  # Carol's 7 Jul call is a new person-day
    assert rollup_verify(samples=40, seed=31) == []
    assert rollup_rows() == rebuilt_rows()


def test_changed_activities_recompute_activity_facts_only(reps, write_csv, monkeypatch):
    monkeypatch.setattr(services, "REFRESH_LIMIT", 0)
    import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    deals = _deal_rows()
    _import(write_csv, ACTIVITIES)
    changed = [list(row) for row in ACTIVITIES]
    changed[2][1:4] = ["Call", "Bob Rep", "2026-05-20 18:00"]  # to Bob's lost-deal day
    changed[6][3] = "2026-07-08 10:00"  # Carol's call a day later: 7 Jul is left empty
    result = _import(write_csv, changed)
    assert (result.updated, result.unchanged) == (2, 4)
    assert {key: _deal_rows()[key] for key in deals} == deals
    carol = reps["carol"].pk
    assert not PersonDay.objects.filter(person_id=carol, day=date(2026, 7, 7)).exists()
    lost_day = PersonDay.objects.get(person_id=reps["bob"].pk, day=date(2026, 5, 20))
    assert (lost_day.calls, lost_day.deals_lost) == (2, 1)
    assert rollup_verify(samples=40, seed=32) == []
    assert rollup_rows() == rebuilt_rows()


def test_a_dry_run_or_a_rejected_activities_import_leaves_the_rollups(reps, write_csv):
    import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    before = rollup_rows()
    dry = import_run(
        actor=None, kind="activities", path=write_csv("act.csv", ACTIVITIES), dry_run=True
    )
    assert dry.created == 6 and not dry.committed
    bad = [*ACTIVITIES, ["7007", "Call", "Nobody Known", "2026-05-11 09:00", ""]]
    rejected = import_run(actor=None, kind="activities", path=write_csv("bad.csv", bad))
    assert rejected.rejected == 1 and not rejected.committed
    assert rollup_rows() == before
