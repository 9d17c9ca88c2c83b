"""Deal services: stage history, closing, currency, time zones, audit, all-or-nothing writes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import transaction

from attain.core.errors import ValidationFailed
from attain.core.periods import PeriodKind
from attain.crm.models import Deal, DealStageChange, DealStatus, Stage
from attain.crm.services import (
    activity_log,
    deal_change_stage,
    deal_create,
    deal_update,
    exchange_rate_set,
)
from attain.org.models import Person
from attain.org.selectors import fiscal_calendar
from tests.conftest import berlin


def _new_deal(owner: Person, stage: Stage, **kwargs: object) -> Deal:
    values: dict[str, object] = {
        "actor": None,
        "name": "Globex renewal",
        "owner": owner,
        "amount": Decimal("1200.00"),
        "stage": stage,
        "created_at": berlin(2026, 1, 5, 9),
    }
    values.update(kwargs)
    return deal_create(**values)  # type: ignore[arg-type]


def test_creating_a_deal_writes_its_first_stage_history_row(
    alice: Person, stages: dict[str, Stage]
) -> None:
    deal = _new_deal(alice, stages["Qualification"])

    history = list(DealStageChange.objects.filter(deal=deal))
    assert [(h.from_stage_id, h.to_stage_id) for h in history] == [
        (None, stages["Qualification"].pk)
    ]
    assert deal.status == DealStatus.OPEN
    assert deal.amount_base == Decimal("1200.00")


def test_moving_through_stages_records_every_move_and_closing_sets_status(
    alice: Person, stages: dict[str, Stage]
) -> None:
    deal = _new_deal(alice, stages["Qualification"])
    deal_change_stage(
        actor=None, deal=deal, stage=stages["Proposal"], changed_at=berlin(2026, 2, 1)
    )
    deal = deal_change_stage(
        actor=alice.user, deal=deal, stage=stages["Won"], changed_at=berlin(2026, 3, 3, 15)
    )

    moves = list(
        DealStageChange.objects.filter(deal=deal).values_list("to_stage__name", "changed_by")
    )
    assert moves == [("Qualification", None), ("Proposal", None), ("Won", alice.user_id)]
    assert deal.status == DealStatus.WON
    assert deal.closed_at == berlin(2026, 3, 3, 15)
    assert deal.closed_on == date(2026, 3, 3)


def test_a_deal_closed_at_2330_local_on_the_last_day_of_a_quarter_belongs_to_it(
    alice: Person, stages: dict[str, Stage]
) -> None:
    # 23:30 in Berlin on 31 March is 21:30 UTC, and 1 April already in Asia; the org's zone rules.
    deal = _new_deal(alice, stages["Qualification"])
    deal = deal_change_stage(
        actor=None, deal=deal, stage=stages["Won"], changed_at=berlin(2026, 3, 31, 23, 30)
    )

    q1 = fiscal_calendar().period_of(date(2026, 3, 1), PeriodKind.QUARTER)
    assert deal.closed_on == date(2026, 3, 31)
    assert q1.label == "FY2026-Q1"
    assert q1.contains(deal.closed_on)


def test_losing_a_deal_keeps_the_reason_and_reopening_clears_the_close(
    alice: Person, stages: dict[str, Stage]
) -> None:
    deal = _new_deal(alice, stages["Proposal"])
    deal = deal_change_stage(
        actor=None,
        deal=deal,
        stage=stages["Lost"],
        changed_at=berlin(2026, 2, 1),
        lost_reason="Price",
    )
    assert (deal.status, deal.lost_reason) == (DealStatus.LOST, "Price")

    deal = deal_change_stage(
        actor=None, deal=deal, stage=stages["Negotiation"], changed_at=berlin(2026, 2, 10)
    )
    assert (deal.status, deal.closed_at, deal.closed_on, deal.lost_reason) == (
        DealStatus.OPEN,
        None,
        None,
        "",
    )


def test_a_stage_change_into_the_past_is_refused_and_nothing_is_written(
    alice: Person, stages: dict[str, Stage]
) -> None:
    deal = _new_deal(alice, stages["Qualification"])
    entries_before = LogEntry.objects.count()

    with pytest.raises(ValidationFailed) as error:
        deal_change_stage(
            actor=None, deal=deal, stage=stages["Proposal"], changed_at=berlin(2025, 12, 1)
        )

    assert "changed_at" in error.value.problems
    assert DealStageChange.objects.filter(deal=deal).count() == 1
    assert LogEntry.objects.count() == entries_before
    deal.refresh_from_db()
    assert deal.stage == stages["Qualification"]


def test_foreign_currency_amounts_convert_at_the_stored_rate(
    alice: Person, stages: dict[str, Stage]
) -> None:
    exchange_rate_set(actor=None, currency="USD", valid_from=date(2026, 1, 1), rate=Decimal("0.9"))
    exchange_rate_set(actor=None, currency="USD", valid_from=date(2026, 2, 1), rate=Decimal("0.85"))

    deal = _new_deal(alice, stages["Qualification"], currency="usd", amount=Decimal("1000.005"))

    assert (deal.currency, deal.amount, deal.exchange_rate) == (
        "USD",
        Decimal("1000.01"),
        Decimal("0.90000000"),
    )
    assert deal.amount_base == Decimal("900.01")


def test_a_currency_without_a_rate_is_refused(alice: Person, stages: dict[str, Stage]) -> None:
    with pytest.raises(ValidationFailed, match="no exchange rate for GBP"):
        _new_deal(alice, stages["Qualification"], currency="GBP")
    assert not Deal.objects.exists()


def test_deal_validation_reports_all_problems(alice: Person, stages: dict[str, Stage]) -> None:
    with pytest.raises(ValidationFailed) as error:
        _new_deal(
            alice,
            stages["Qualification"],
            name="",
            amount=Decimal("-5"),
            probability=120,
            currency="XXQ",
            lost_reason="because",
        )
    assert set(error.value.problems) == {
        "name",
        "amount",
        "probability",
        "currency",
        "lost_reason",
    }


def test_deal_update_refuses_stage_changes_and_audits_field_diffs(
    alice: Person, stages: dict[str, Stage]
) -> None:
    deal = _new_deal(alice, stages["Qualification"])
    with pytest.raises(ValidationFailed, match="deal_change_stage"):
        deal_update(actor=None, deal=deal, stage=stages["Won"])

    deal_update(actor=None, deal=deal, next_step="Send proposal", amount=Decimal("1500"))

    entry = LogEntry.objects.filter(object_pk=str(deal.pk)).order_by("-id").first()
    assert entry is not None
    assert entry.changes["next_step"] == ["", "Send proposal"]
    assert entry.changes["amount_base"] == ["1200.00", "1500.00"]


def test_logging_an_activity_refreshes_the_deal_s_last_activity(
    alice: Person, stages: dict[str, Stage]
) -> None:
    deal = _new_deal(alice, stages["Qualification"])
    activity_log(
        actor=None, kind="call", owner=alice, occurred_at=berlin(2026, 1, 8, 10), deal=deal
    )
    activity_log(
        actor=None, kind="email", owner=alice, occurred_at=berlin(2026, 1, 7, 10), deal=deal
    )
    activity = activity_log(
        actor=None, kind="meeting", owner=alice, occurred_at=berlin(2026, 1, 9, 23, 45), deal=deal
    )

    deal.refresh_from_db()
    assert deal.last_activity_at == berlin(2026, 1, 9, 23, 45)
    assert activity.occurred_on == date(2026, 1, 9)


def test_a_failure_after_a_write_rolls_back_the_write_and_its_audit_record(
    alice: Person, stages: dict[str, Stage]
) -> None:
    entries_before = LogEntry.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        _new_deal(alice, stages["Qualification"])
        raise RuntimeError("boom")

    assert not Deal.objects.exists()
    assert LogEntry.objects.count() == entries_before


def test_a_deal_cannot_close_before_it_was_created(alice: Person, stages: dict[str, Stage]) -> None:
    with pytest.raises(ValidationFailed) as error:
        _new_deal(alice, stages["Won"], closed_at=berlin(2025, 12, 1))
    assert "closed_at" in error.value.problems
    assert not Deal.objects.exists()


def test_a_deal_can_come_from_only_one_lead(alice: Person, stages: dict[str, Stage]) -> None:
    from attain.crm.services import lead_convert, lead_create

    deal = _new_deal(alice, stages["Qualification"])
    first, second = (
        lead_create(actor=None, name=n, source="web", created_at=berlin(2026, 1, 1), owner=alice)
        for n in ("First", "Second")
    )
    lead_convert(actor=None, lead=first, deal=deal, converted_at=berlin(2026, 1, 5, 9))

    with pytest.raises(ValidationFailed) as error:
        lead_convert(actor=None, lead=second, deal=deal, converted_at=berlin(2026, 1, 5, 9))
    assert "deal" in error.value.problems
