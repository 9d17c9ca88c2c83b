"""A big SQLite import checks foreign keys once before commit instead of row by row.

These tests run outside a test transaction (`transaction=True`): inside one, SQLite cannot switch
enforcement off and the import keeps the per-row checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from attain.crm.models import Account, Deal, DealStageChange, Stage
from attain.importers import loaders, services
from attain.importers.models import ImportRun, ImportStatus
from attain.importers.services import import_run
from attain.metrics.engine.rollups import rollup_verify
from attain.metrics.models import PersonDay
from tests.conftest import foreign_keys_on
from tests.importers.conftest import HUBSPOT_DEALS


def _every_file_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "BIG_FILE_BYTES", 0)
    monkeypatch.setattr(services, "BYTES_PER_ROW", 1)
    monkeypatch.setattr(services, "table_rows_estimate", lambda table: 0)


def _snapshot() -> list[Any]:
    return [
        list(Deal.objects.order_by("pk").values_list("pk", "owner_id", "account_id", "amount")),
        DealStageChange.objects.count(),
        Account.objects.count(),
        Stage.objects.count(),
        list(PersonDay.objects.order_by("pk").values_list("pk", "person_id", "day")),
    ]


def _during_finish(monkeypatch: pytest.MonkeyPatch, action: Any) -> None:
    """Run `action` inside the import's transaction, after the deal loader's last step."""
    finish = loaders.DealLoader.finish

    def patched(self: loaders.DealLoader) -> None:
        finish(self)
        action()

    monkeypatch.setattr(loaders.DealLoader, "finish", patched)


@pytest.mark.django_db(transaction=True)
def test_a_big_import_loads_without_per_row_checks_and_checks_once(
    reps, write_csv, monkeypatch, backend
):
    _every_file_big(monkeypatch)
    seen: list[bool] = []
    _during_finish(monkeypatch, lambda: seen.append(foreign_keys_on()))

    result = import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))

    assert result.committed and result.created == 4, result.errors
    assert seen == [backend != "sqlite"]
    assert ("check foreign keys" in result.steps) is (backend == "sqlite")
    assert foreign_keys_on()
    assert rollup_verify(samples=20, seed=3) == []


@pytest.mark.django_db(transaction=True)
def test_a_row_pointing_at_nothing_rolls_the_whole_import_back(
    reps, write_csv, monkeypatch, backend
):
    first = import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    assert first.committed
    before = _snapshot()
    stored = Deal.objects.get(external_id="9001")
    rows = [*HUBSPOT_DEALS, ["9006", "Another", "closedwon", "800", *HUBSPOT_DEALS[1][4:]]]
    rows[1][3] = "7100"  # a stored deal changes too

    def corrupt() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE crm_deal SET owner_id = 999999 WHERE id = %s", [stored.pk])

    _every_file_big(monkeypatch)
    _during_finish(monkeypatch, corrupt)
    result = import_run(actor=None, kind="deals", path=write_csv("hs2.csv", rows))

    assert not result.committed and result.unreadable
    reason = result.errors[0].reason
    assert reason.startswith("the database refused the import"), reason
    if backend == "sqlite":
        assert f"table 'crm_deal' row {stored.pk} has owner_id = 999999" in reason
        assert "table 'org_person'" in reason
    assert _snapshot() == before
    assert result.run_id is not None
    assert ImportRun.objects.get(pk=result.run_id).status == ImportStatus.UNREADABLE
    assert foreign_keys_on()


@pytest.mark.django_db
def test_inside_a_transaction_a_big_import_keeps_per_row_checks(reps, write_csv, monkeypatch):
    _every_file_big(monkeypatch)
    seen: list[bool] = []
    _during_finish(monkeypatch, lambda: seen.append(foreign_keys_on()))

    result = import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))

    assert result.committed and result.created == 4, result.errors
    assert seen == [True] and "check foreign keys" not in result.steps
