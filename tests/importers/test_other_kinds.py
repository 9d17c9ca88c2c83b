"""Activities, accounts, leads, people and targets from vendor and generic files."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from attain.crm.models import Account, Activity, Deal, Lead, LeadStatus
from attain.importers.services import import_run
from attain.metrics.engine.rollups import rollup_verify
from attain.metrics.models import Target
from attain.org.models import Person, Role
from tests.importers.conftest import HUBSPOT_DEALS, PIPEDRIVE_DEALS

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("bulk_deal_refresh", [False, True], ids=["per-deal", "grouped"])
def test_pipedrive_activities_join_due_date_and_time_and_link_deals(
    reps, write_csv, monkeypatch, bulk_deal_refresh
):
    from attain.importers import loaders

    if bulk_deal_refresh:  # the grouped last-activity refresh a big import takes
        monkeypatch.setattr(loaders, "BULK_DEAL_REFRESH", 0)
    import_run(actor=None, kind="deals", path=write_csv("pd.csv", PIPEDRIVE_DEALS))
    rows = [
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
        ],
        [
            "5001",
            "call",
            "Intro call",
            "2026-01-07",
            "09:30",
            "00:15",
            "Alice Rep",
            "101",
            "Acme Corp",
        ],
        ["5002", "meeting", "Demo", "2026-01-20", "", "01:30", "Alice Rep", "101", ""],
        ["5003", "task", "Send proposal", "2026-02-01", "14:00", "", "Bob Rep", "999", ""],
        ["5004", "deadline", "Renewal", "2026-03-01", "", "", "Carol Rep", "", "Vandelay"],
    ]
    result = import_run(actor=None, kind="activities", path=write_csv("act.csv", rows))
    assert result.errors == [] and result.created == 4 and result.source == "pipedrive"
    call = Activity.objects.get(external_id="5001")
    assert call.occurred_at == datetime(2026, 1, 7, 9, 30, tzinfo=BERLIN)
    assert (call.kind, call.duration_minutes) == ("call", 15)
    assert call.deal == Deal.objects.get(external_id="101")
    assert Activity.objects.get(external_id="5002").duration_minutes == 90
    assert Activity.objects.get(external_id="5003").deal is None
    assert any("not imported" in n for n in result.notes)
    assert Deal.objects.get(external_id="101").last_activity_at == datetime(
        2026, 1, 20, tzinfo=BERLIN
    )
    again = import_run(actor=None, kind="activities", path=write_csv("act.csv", rows))
    assert (again.created, again.unchanged) == (0, 4)
    rows[2][2] = "Demo, second round"  # subject of 5002 changes
    rows[3][6] = "Carol Rep"  # 5003 moves from Bob to Carol
    changed = import_run(actor=None, kind="activities", path=write_csv("act2.csv", rows))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 2)
    assert Activity.objects.get(external_id="5002").subject == "Demo, second round"
    assert Activity.objects.get(external_id="5003").owner == reps["carol"]
    assert rollup_verify(samples=30, seed=4) == []
    rows[1][7] = rows[2][7] = ""  # both activities of deal 101 leave it
    import_run(actor=None, kind="activities", path=write_csv("act3.csv", rows))
    assert Deal.objects.get(external_id="101").last_activity_at is None
    rows[2][7] = "101"  # the meeting comes back
    import_run(actor=None, kind="activities", path=write_csv("act4.csv", rows))
    assert Deal.objects.get(external_id="101").last_activity_at == datetime(
        2026, 1, 20, tzinfo=BERLIN
    )


@pytest.mark.parametrize("per_batch", [False, True], ids=["deals-read-once", "deals-per-batch"])
def test_activities_link_the_same_deals_whether_deals_are_read_once_or_per_batch(
    reps, write_csv, monkeypatch, per_batch
):
    from attain.importers import loaders

    # The source's deals are read once when there are no more than the file's estimated rows.
    monkeypatch.setattr(loaders, "BYTES_PER_ROW", 10**9 if per_batch else 1)
    lookups: list[int] = []
    per_batch_lookup = loaders.Loader.stored_frame

    def counted(self, model, *args, **kwargs):
        if model is Deal:  # activities read their own stored rows the same way
            lookups.append(1)
        return per_batch_lookup(self, model, *args, **kwargs)

    monkeypatch.setattr(loaders.Loader, "stored_frame", counted)
    import_run(actor=None, kind="deals", path=write_csv("pd.csv", PIPEDRIVE_DEALS))
    lookups.clear()  # the deal import reads its own stored deals the same way
    rows = [
        [
            "Activity - ID",
            "Activity - Type",
            "Activity - Due date",
            "Activity - Assigned to user",
            "Deal - ID",
        ],
        ["5001", "call", "2026-01-07", "Alice Rep", "101"],
        ["5002", "meeting", "2026-01-20", "Alice Rep", "999"],
        ["5003", "call", "2026-01-21", "Bob Rep", ""],
    ]
    result = import_run(actor=None, kind="activities", path=write_csv("act.csv", rows))

    assert result.errors == [] and result.created == 3
    deal = Deal.objects.get(external_id="101")
    call = Activity.objects.get(external_id="5001")
    assert (call.deal_id, call.account_id) == (deal.pk, deal.account_id)
    assert deal.account_id is not None
    assert Activity.objects.get(external_id="5002").deal is None
    assert Activity.objects.get(external_id="5003").deal is None
    assert any("1 activities name deals that were not imported" in n for n in result.notes)
    assert bool(lookups) == per_batch


def test_salesforce_and_hubspot_activities(reps, write_csv):
    salesforce = [
        ["Activity ID", "Assigned", "Subject", "Type", "Date", "Company / Account"],
        ["00T1", "Alice Rep", "Call Globex", "Call", "3/2/2026", "Globex"],
        ["00T2", "Bob Rep", "Email", "Email", "3/3/2026", ""],
        ["00T3", "Bob Rep", "Lunch", "Fax", "3/4/2026", ""],
    ]
    result = import_run(actor=None, kind="activities", path=write_csv("sf.csv", salesforce))
    assert result.source == "salesforce" and result.rejected == 1
    assert (result.errors[0].row, result.errors[0].column, result.errors[0].value) == (
        4,
        "Type",
        "Fax",
    )
    hubspot = [
        ["Record ID", "Activity type", "Activity date", "Activity assigned to", "Call outcome"],
        ["7001", "CALL", "2026-03-02 10:00", "Carol Rep", "Connected"],
        ["7002", "MEETING", "2026-03-05 15:30", "Carol Rep", "Completed"],
    ]
    result = import_run(actor=None, kind="activities", path=write_csv("hs.csv", hubspot))
    assert result.errors == [] and result.source == "hubspot" and result.created == 2
    assert Activity.objects.get(external_id="7001").outcome == "connected"


def test_accounts_upsert_by_id_then_name(reps, write_csv):
    rows = [
        ["Record ID", "Company name", "Industry", "Company owner", "Create Date"],
        ["1", "Globex", "Manufacturing", "Alice Rep", "2025-05-01 10:00"],
        ["2", "Initech", "Software", "", "2025-06-01 10:00"],
    ]
    result = import_run(actor=None, kind="accounts", path=write_csv("c.csv", rows))
    assert result.errors == [] and result.created == 2
    rows[2][2] = "IT services"
    again = import_run(actor=None, kind="accounts", path=write_csv("c2.csv", rows))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert Account.objects.get(name="Initech").industry == "IT services"
    assert Account.objects.get(name="Globex").owner == reps["alice"]


def test_leads_map_vendor_statuses(reps, write_csv):
    rows = [
        [
            "Lead ID",
            "Name",
            "Company / Account",
            "Email",
            "Lead Source",
            "Lead Owner",
            "Lead Status",
            "Create Date",
        ],
        [
            "00Q1",
            "Ann Lee",
            "Globex",
            "ann@globex.test",
            "Web",
            "Alice Rep",
            "Open - Not Contacted",
            "2/1/2026",
        ],
        [
            "00Q2",
            "Ben Ho",
            "Initech",
            "ben@initech.test",
            "Partner",
            "Bob Rep",
            "Closed - Converted",
            "2/2/2026",
        ],
        ["00Q3", "Cy Ng", "", "not-an-email", "", "", "Working - Contacted", "2/3/2026"],
    ]
    result = import_run(actor=None, kind="leads", path=write_csv("l.csv", rows))
    assert result.rejected == 1 and result.errors[0].column == "Email"
    result = import_run(actor=None, kind="leads", path=write_csv("l.csv", rows[:3]))
    assert result.created == 2 and result.source == "salesforce"
    assert Lead.objects.get(external_id="00Q2").status == LeadStatus.CONVERTED
    assert Lead.objects.get(external_id="00Q1").created_on == date(2026, 2, 1)
    assert rollup_verify(samples=20, seed=9) == []


def test_people_then_targets(org, company, write_csv):
    people = [
        ["Full Name", "Email", "Attain Role", "Title", "Start Date"],
        ["Dana Diaz", "dana@acme.test", "rep", "AE", "1/15/2025"],
        ["Eli Ek", "eli@acme.test", "Sales manager", "", "3/1/2025"],
        ["Bad Role", "bad@acme.test", "wizard", "", "3/1/2025"],
    ]
    result = import_run(
        actor=None, kind="people", path=write_csv("p.csv", people), skip_bad_rows=True
    )
    assert (result.created, result.rejected) == (2, 1)
    dana = Person.objects.get(email="dana@acme.test")
    assert (dana.role, dana.hire_date) == (Role.REP, date(2025, 1, 15))
    assert Person.objects.get(email="eli@acme.test").role == Role.MANAGER
    targets = [
        ["kpi", "subject", "period", "value"],
        ["revenue_won", "dana@acme.test", "FY2026-Q1", "50,000"],
        ["revenue_won", "Acme", "FY2026", "1000000"],
        ["revenue_won", "company", "FY2026-Q1", "250000"],
        ["no_such_kpi", "company", "FY2026-Q1", "1"],
        ["revenue_won", "Nobody", "FY2026-Q1", "1"],
    ]
    result = import_run(
        actor=None, kind="targets", path=write_csv("t.csv", targets), skip_bad_rows=True
    )
    assert (result.created, result.rejected) == (3, 2)
    assert Target.objects.get(person=dana).value == Decimal("50000.00")
    again = import_run(actor=None, kind="targets", path=write_csv("t.csv", targets[:4]))
    assert again.unchanged == 3


def test_hubspot_file_twice_and_then_activities_keep_rollups(reps, write_csv):
    import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    assert rollup_verify(samples=20, seed=11) == []


def test_batches_keep_row_numbers_and_catch_duplicates_across_them(reps, write_csv, monkeypatch):
    from attain.importers import reading

    monkeypatch.setattr(reading, "BATCH_ROWS", 2)
    rows = [
        ["Activity - ID", "Activity - Type", "Activity - Due date", "Activity - Assigned to user"]
    ]
    rows += [[str(n), "call", f"2026-01-{n:02d}", "Alice Rep"] for n in range(1, 8)]
    rows.append(["3", "call", "2026-01-09", "Alice Rep"])  # row 9 repeats row 4's id
    rows.append(["9", "call", "2026-01-10", "Nobody"])  # row 10
    result = import_run(
        actor=None, kind="activities", path=write_csv("a.csv", rows), skip_bad_rows=True
    )
    assert (result.created, result.rejected) == (7, 2)
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(9, "Activity - ID"), (10, "Activity - Assigned to user")}
    assert "row 4" in next(e.reason for e in result.errors if e.row == 9)
    assert Activity.objects.get(external_id="7").occurred_on == date(2026, 1, 7)
    assert rollup_verify(samples=20, seed=12) == []


def _deal_indexes() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Deal._meta.db_table)
    return {name for name, info in constraints.items() if info["index"] or info["unique"]}


def test_moving_most_deals_last_activity_keeps_every_deal_index(reps, write_csv, monkeypatch):
    """The path of a first big activities file: on PostgreSQL the deal table's indexes, its
    unique (source, id) index too, are dropped around the update and rebuilt."""
    import polars as pl
    from django.db import connection, transaction

    from attain.core.bulk import deferred_indexes
    from attain.importers import loaders

    monkeypatch.setattr(loaders, "BULK_DEAL_REFRESH", 0)
    monkeypatch.setattr(loaders, "pages_have_room", lambda table: False)
    # ANALYZE's row counts outlive a rolled-back test on PostgreSQL: count instead.
    monkeypatch.setattr(loaders, "table_rows_estimate", lambda table: Deal.objects.count())
    deferred: list[dict[str, object]] = []
    real = deferred_indexes

    def spy(tables, **options):
        deferred.append({"tables": tables, **options})
        return real(tables, **options)

    import_run(actor=None, kind="deals", path=write_csv("hs.csv", HUBSPOT_DEALS))
    first, second = Deal.objects.order_by("pk").values_list("pk", flat=True)[:2]
    early, late = datetime(2026, 1, 5, tzinfo=BERLIN), datetime(2026, 2, 5, tzinfo=BERLIN)
    Deal.objects.filter(pk=second).update(last_activity_at=late)
    before = _deal_indexes()
    monkeypatch.setattr(loaders, "deferred_indexes", spy)

    with transaction.atomic():
        loaders.deal_last_activity_advance(
            pl.DataFrame(
                {"id": [first, second], "latest": [early, early]},
                schema={"id": pl.Int64, "latest": pl.Datetime("us", "UTC")},
            )
        )

    assert Deal.objects.get(pk=first).last_activity_at == early
    assert Deal.objects.get(pk=second).last_activity_at == late, "never moved backwards"
    assert _deal_indexes() == before
    if connection.vendor == "postgresql":
        assert deferred == [
            {
                "tables": [Deal._meta.db_table],
                "unique": True,
                "foreign_keys": False,
                "analyze": False,
            }
        ]
        assert "deal_unique_external_id" in before
    else:
        assert deferred == []


def test_a_first_big_deals_file_leaves_room_for_the_last_activity_update(
    reps, write_csv, monkeypatch
):
    """On PostgreSQL a source's first big deals file is written with half-free pages (the
    table's own setting restored afterwards), so the activities file's update of nearly every
    deal's last activity keeps the indexes and updates each row on its page (HOT)."""
    from django.db import connection, transaction

    from attain.core.bulk import deferred_indexes, page_fill
    from attain.importers import loaders, services
    from attain.metrics.engine.rollup_bulk import rollup_recompute

    monkeypatch.setattr(services, "BIG_FILE_BYTES", 0)
    monkeypatch.setattr(services, "BYTES_PER_ROW", 1)
    monkeypatch.setattr(loaders, "BULK_DEAL_REFRESH", 0)
    recomputed: list[bool] = []

    def recompute_spy(**options):
        recomputed.append(options.get("room", False))
        return rollup_recompute(**options)

    monkeypatch.setattr(services, "rollup_recompute", recompute_spy)
    monkeypatch.setattr(services, "REFRESH_LIMIT", 0)
    header, row = HUBSPOT_DEALS[0], HUBSPOT_DEALS[1]
    deals = [[str(100_000 + n), f"Deal {n}", *row[2:]] for n in range(1_500)]
    path = write_csv("hs.csv", [header, *deals])
    assert import_run(actor=None, kind="deals", path=path).committed
    assert recomputed == [True], "its person-days get room too"
    deferred: list[list[str]] = []

    def spy(tables, **options):
        deferred.append(tables)
        return deferred_indexes(tables, **options)

    monkeypatch.setattr(loaders, "deferred_indexes", spy)
    moment = datetime(2026, 6, 1, 12, tzinfo=BERLIN)
    ids = list(Deal.objects.values_list("pk", flat=True))
    before = _deal_indexes()
    with transaction.atomic():
        loaders.deal_last_activity_advance(
            pl.DataFrame(
                {"id": ids, "latest": [moment] * len(ids)},
                schema={"id": pl.Int64, "latest": pl.Datetime("us", "UTC")},
            )
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                    "WHERE relname = %s",
                    [Deal._meta.db_table],
                )
                updated, hot = cursor.fetchone()
                cursor.execute(
                    "SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)",
                    [Deal._meta.db_table],
                )
                options = cursor.fetchone()[0]

    assert set(Deal.objects.values_list("last_activity_at", flat=True)) == {moment}
    assert deferred == [] and _deal_indexes() == before
    if connection.vendor == "postgresql":
        assert options is None, "the table's own fill factor is back"
        assert updated >= 1_500 and hot >= 1_450
    else:
        assert page_fill(Deal._meta.db_table) is None
