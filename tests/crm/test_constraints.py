"""The database itself refuses inconsistent CRM rows, whatever code writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from attain.crm.models import Deal, DealStatus, Lead, LeadStatus, Stage
from attain.org.models import Person
from tests.conftest import berlin


def _deal(owner: Person, stage: Stage, **overrides: object) -> Deal:
    values: dict[str, object] = {
        "name": "Raw deal",
        "owner": owner,
        "amount": Decimal("100.00"),
        "currency": "EUR",
        "exchange_rate": Decimal("1"),
        "amount_base": Decimal("100.00"),
        "stage": stage,
        "created_at": berlin(2026, 1, 5, 9),
        "created_on": date(2026, 1, 5),
        "stage_entered_at": berlin(2026, 1, 5, 9),
        "status": DealStatus.OPEN,
    }
    values.update(overrides)
    return Deal(**values)


def _refused(obj: Deal | Lead) -> bool:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount": Decimal("-1.00")},
        {"amount_base": Decimal("-1.00")},
        {"exchange_rate": Decimal("0")},
        {"probability": 101},
        {"status": "gone"},
        {"status": DealStatus.WON},  # won without a close time
        {"closed_at": berlin(2026, 2, 1)},  # open with a close time
        {"lost_reason": "price"},  # a reason on a deal that is not lost
    ],
    ids=[
        "negative-amount",
        "negative-base-amount",
        "zero-rate",
        "probability-over-100",
        "unknown-status",
        "won-without-close-time",
        "open-with-close-time",
        "lost-reason-when-open",
    ],
)
def test_inconsistent_deals_are_refused_by_the_database(
    alice: Person, stages: dict[str, Stage], overrides: dict[str, object]
) -> None:
    assert _refused(_deal(alice, stages["Qualification"], **overrides))
    assert not Deal.objects.exists()


def test_a_consistent_raw_deal_is_accepted(alice: Person, stages: dict[str, Stage]) -> None:
    assert not _refused(
        _deal(
            alice,
            stages["Lost"],
            status=DealStatus.LOST,
            closed_at=berlin(2026, 2, 1),
            lost_reason="price",
        )
    )


def test_external_ids_are_unique_per_source_system(alice: Person, stages: dict[str, Stage]) -> None:
    stage = stages["Qualification"]
    _deal(alice, stage, external_id="006A", source_system="salesforce").save()
    _deal(alice, stage, external_id="006A", source_system="hubspot").save()
    _deal(alice, stage, external_id="", source_system="salesforce").save()
    _deal(alice, stage, external_id="", source_system="salesforce").save()

    assert _refused(_deal(alice, stage, external_id="006A", source_system="salesforce"))


def test_a_converted_lead_needs_its_conversion_time(alice: Person) -> None:
    lead = Lead(
        name="Lead",
        source="web",
        created_at=berlin(2026, 1, 1),
        created_on=date(2026, 1, 1),
        owner=alice,
        status=LeadStatus.CONVERTED,
    )
    assert _refused(lead)


def test_a_lead_cannot_convert_before_it_was_created(alice: Person) -> None:
    lead = Lead(
        name="Lead",
        source="web",
        created_at=berlin(2026, 1, 2),
        created_on=date(2026, 1, 2),
        owner=alice,
        status=LeadStatus.CONVERTED,
        converted_at=berlin(2026, 1, 1),
    )
    assert _refused(lead)


def test_a_won_stage_must_carry_probability_100(stages: dict[str, Stage]) -> None:
    won = stages["Won"]
    won.default_probability = 90
    with pytest.raises(IntegrityError), transaction.atomic():
        won.save()
