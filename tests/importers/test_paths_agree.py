"""The frame path (new valid rows) and the row-by-row path store exactly the same records."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from attain.crm.models import Account, Activity, Deal, DealStageChange, Pipeline, Stage
from attain.importers.loaders import ActivityLoader, DealLoader
from attain.importers.services import import_run
from tests.importers.conftest import PIPEDRIVE_DEALS, SALESFORCE_DEALS

pytestmark = pytest.mark.django_db

ACTIVITIES = [
    [
        "Activity - ID",
        "Activity - Type",
        "Activity - Subject",
        "Activity - Due date",
        "Activity - Due time",
        "Activity - Duration",
        "Activity - Assigned to user",
        "Deal - ID",
        "Activity - Organization",
        "Activity - Outcome",
    ],
    ["5001", "call", "Intro", "2026-01-07", "09:30", "00:15", "Alice Rep", "101", "", "busy"],
    ["5002", "lunch", "", "2026-03-29", "02:30", "", "Bob Rep", "", "Soylent", ""],
    ["5003", "email", "Offer", "2026-02-01", "", "5", "carol@acme.test", "999", "", ""],
]
PIPEDRIVE_STAGES = {
    "Negotiations Started": "Negotiation/Review",
    "Proposal Made": "Negotiation/Review",
    "Qualified": "Prospecting",
}


class _Rollback(Exception):
    pass


def _snapshot() -> dict[str, Any]:
    stages = dict(Stage.objects.values_list("id", "name"))
    deals = []
    for deal in Deal.objects.all():
        values = {f.attname: getattr(deal, f.attname) for f in Deal._meta.concrete_fields}
        values.pop("updated_at")
        values["stage_id"] = stages[values["stage_id"]]
        deals.append(tuple(sorted(values.items())))
    return {
        "deals": sorted(deals),
        "changes": sorted(
            (deal, stages[to], at)
            for deal, to, at in DealStageChange.objects.values_list(
                "deal_id", "to_stage_id", "changed_at"
            )
        ),
        "accounts": sorted(Account.objects.values_list("id", "name", "created_at")),
        "activities": sorted(
            tuple(getattr(a, f.attname) for f in Activity._meta.concrete_fields)
            for a in Activity.objects.all()
        ),
    }


def _load(write_csv) -> None:
    for kind, name, rows, stages in (
        ("deals", "sf.csv", SALESFORCE_DEALS, None),
        ("deals", "pd.csv", PIPEDRIVE_DEALS, PIPEDRIVE_STAGES),
        ("activities", "act.csv", ACTIVITIES, None),
    ):
        result = import_run(actor=None, kind=kind, path=write_csv(name, rows), stage_mapping=stages)
        assert result.errors == [] and result.committed, result.errors


def test_both_paths_store_the_same_rows(reps, usd_rate, write_csv, monkeypatch):
    _load(write_csv)
    fast = _snapshot()
    assert len(fast["deals"]) == 9 and len(fast["activities"]) == 3
    with pytest.raises(_Rollback), transaction.atomic():
        for model in (Activity, DealStageChange, Deal, Account, Stage, Pipeline):
            model.objects.all().delete()
        monkeypatch.setattr(DealLoader, "_insert_new", lambda self, out, *args: out)
        monkeypatch.setattr(ActivityLoader, "_insert_new", lambda self, out, *args: out)
        _load(write_csv)
        slow = _snapshot()
        raise _Rollback
    assert slow == fast
