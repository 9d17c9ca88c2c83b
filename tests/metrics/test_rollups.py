"""Rollups equal raw records: after service writes, after a rebuild, and after changes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from attain.crm.services import activity_log, deal_change_stage, deal_update
from attain.metrics.engine.rollups import raw_date_span, rollup_rebuild, rollup_verify
from attain.metrics.engine.subjects import Subject
from attain.metrics.models import NodeDay, PersonDay, PersonMonth, PersonQuarter
from attain.metrics.selectors import facts_for
from attain.org.services import membership_start, organisation_configure
from tests.conftest import berlin
from tests.metrics.conftest import History


def _rows() -> tuple[list[Any], list[Any], list[Any]]:
    people = sorted(
        tuple(row)
        for row in PersonDay.objects.values_list(
            "person_id",
            "team_id",
            "day",
            "calls",
            "revenue_won",
            "deals_won",
            "won_cycle_days",
            "pipeline_created",
            "leads",
            "margin_won",
        )
    )
    nodes = sorted(
        tuple(row)
        for row in NodeDay.objects.values_list(
            "node_id", "day", "calls", "revenue_won", "deals_won", "pipeline_created", "leads"
        )
    )
    months = sorted(
        (
            tuple(row)
            for row in PersonMonth.objects.values_list(
                "person_id", "team_id", "month", "calls", "revenue_won", "deals_won", "margin_won"
            )
        ),
        key=lambda row: (row[0], row[1] or 0, row[2]),
    )
    quarters = sorted(
        (
            tuple(row)
            for row in PersonQuarter.objects.values_list(
                "person_id", "team_id", "quarter", "calls", "revenue_won", "deals_won", "margin_won"
            )
        ),
        key=lambda row: (row[0], row[1] or 0, row[2]),
    )
    return people, nodes, months + quarters


def test_incrementally_maintained_rollups_equal_a_full_rebuild(history: History) -> None:
    incremental = _rows()
    rollup_rebuild()
    assert _rows() == incremental
    assert incremental[0], "the history produced rollup rows"
    assert incremental[2], "and person-month rows"
    assert PersonQuarter.objects.exists(), "and person-quarter rows"


def test_a_rebuild_from_the_day_after_the_last_record_keeps_its_quarter(
    history: History,
) -> None:
    """The last record is on 30 Jun; with the fiscal year from February the quarter May-Jul
    holds it, and a rebuild since 1 Jul deletes that quarter: it must be derived again."""
    organisation_configure(actor=None, fiscal_year_start_month=2)
    before = _rows()
    span = raw_date_span()
    assert span is not None and span[1] == date(2026, 6, 30)
    rollup_rebuild(since=span[1] + timedelta(days=1))
    assert _rows() == before
    assert rollup_verify(samples=40, seed=8) == []


def test_a_rebuild_from_mid_month_keeps_the_month_rows_whole(history: History) -> None:
    before = _rows()
    rollup_rebuild(since=date(2026, 5, 15))
    assert _rows() == before
    assert rollup_verify(samples=40, seed=6) == []


def test_verify_reports_a_tampered_person_month(history: History) -> None:
    PersonMonth.objects.filter(person=history.alice, calls__gt=0).update(calls=77)
    mismatches = rollup_verify(samples=80, seed=7)
    assert any(m.fact == "calls" and m.rollup == 77 for m in mismatches)


def test_verify_finds_no_difference_after_service_writes(history: History) -> None:
    assert rollup_verify(samples=30, seed=1) == []


def test_verify_reports_a_tampered_rollup(history: History) -> None:
    PersonDay.objects.filter(person=history.alice, calls__gt=0).update(calls=99)
    mismatches = rollup_verify(samples=60, seed=2)
    assert any(m.fact == "calls" and m.rollup == 99 for m in mismatches)


def test_reopening_a_won_deal_takes_its_revenue_out_of_every_level(
    history: History, stages: dict[str, Any]
) -> None:
    q2 = (date(2026, 4, 1), date(2026, 7, 1))
    deal_change_stage(
        actor=None,
        deal=history.deals["alpha"],
        stage=stages["Negotiation"],
        changed_at=berlin(2026, 7, 2),
    )

    for subject in (
        Subject.for_person(history.alice),
        Subject.for_team(history.north),
        Subject.company(),
    ):
        assert facts_for(subject, *q2)["deals_won"] in (0, 1, 2)
    assert facts_for(Subject.for_person(history.alice), *q2)["revenue_won"] == 0
    assert facts_for(Subject.company(), *q2)["revenue_won"] == 5000
    assert rollup_verify(samples=30, seed=3) == []


def test_changes_within_a_team_keep_every_level_equal_to_a_rebuild(
    history: History, stages: dict[str, Any]
) -> None:
    """A person-day changed without a team change takes the difference at each level: a second
    call on a day, a won deal's amount lowered, and a day emptied by reopening its only win."""
    activity_log(actor=None, kind="call", owner=history.alice, occurred_at=berlin(2026, 4, 8, 15))
    deal_update(actor=None, deal=history.deals["epsilon"], amount=Decimal("1500"))
    won_day = date(2026, 4, 20)
    assert PersonDay.objects.filter(person=history.alice, day=won_day).exists()
    deal_change_stage(
        actor=None,
        deal=history.deals["alpha"],
        stage=stages["Negotiation"],
        changed_at=berlin(2026, 7, 2),
    )
    assert not PersonDay.objects.filter(person=history.alice, day=won_day).exists()
    incremental = _rows()
    rollup_rebuild()
    assert _rows() == incremental
    assert facts_for(Subject.for_team(history.north), date(2026, 4, 8), date(2026, 4, 9))[
        "calls"
    ] == 2  # fmt: skip


def test_changing_a_won_deal_s_amount_updates_revenue(history: History) -> None:
    from decimal import Decimal

    deal_update(actor=None, deal=history.deals["zeta"], amount=Decimal("3500"))
    q2 = (date(2026, 4, 1), date(2026, 7, 1))
    assert facts_for(Subject.for_team(history.south), *q2)["revenue_won"] == Decimal("3500.00")
    assert rollup_verify(samples=30, seed=4) == []


def test_a_backdated_team_move_reattributes_existing_rollup_rows(history: History) -> None:
    # Carol moves to North from 1 Apr: her 20 Apr call must leave South and join North.
    membership_start(
        actor=None, person=history.carol, team=history.north, start_date=date(2026, 7, 1)
    )
    q2 = (date(2026, 4, 1), date(2026, 7, 1))
    before_north = facts_for(Subject.for_team(history.north), *q2)["calls"]
    activity_log(actor=None, kind="call", owner=history.carol, occurred_at=berlin(2026, 7, 2, 9))
    assert facts_for(Subject.for_team(history.north), *q2)["calls"] == before_north
    july = (date(2026, 7, 1), date(2026, 8, 1))
    assert facts_for(Subject.for_team(history.north), *july)["calls"] == 1
    assert rollup_verify(samples=30, seed=5) == []


def test_the_upgrade_migration_fills_quarters_as_the_rollups_keep_them(history: History) -> None:
    """An installation upgraded with month rows gets the same quarter rows a rebuild writes."""
    import importlib

    from django.apps import apps

    fill = importlib.import_module("attain.metrics.migrations.0004_person_quarter_fill").fill
    organisation_configure(actor=None, fiscal_year_start_month=2)
    kept = _rows()
    assert PersonQuarter.objects.exists()
    PersonQuarter.objects.all().delete()
    fill(apps, None)
    assert _rows() == kept
