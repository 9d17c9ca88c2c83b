"""Fill PersonQuarter from the PersonMonth rows an existing installation already has.

Without it, an upgraded database would read whole fiscal quarters from an empty table (zero
for every rep) until `attain metrics rebuild`. Historical models only: each month's row is added
to its fiscal-aligned three-month block, per person and team, in exact integers and Decimals.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db import migrations

FACTS = (
    "leads",
    "calls",
    "emails",
    "meetings",
    "quotes",
    "follow_ups",
    "deals_created",
    "pipeline_created",
    "deals_won",
    "revenue_won",
    "deals_lost",
    "value_lost",
    "won_cycle_days",
    "revenue_with_cost",
    "margin_won",
)


def _block(month: date, start_month: int) -> date:
    index = month.year * 12 + month.month - 1 - (month.month - start_month) % 3
    return date(index // 12, index % 12 + 1, 1)


def fill(apps: Any, schema_editor: Any) -> None:
    organisation = apps.get_model("org", "Organisation")
    person_month = apps.get_model("metrics", "PersonMonth")
    person_quarter = apps.get_model("metrics", "PersonQuarter")
    start_month = (
        organisation.objects.values_list("fiscal_year_start_month", flat=True).first() or 1
    )
    sums: dict[tuple[int, int | None, date], dict[str, Any]] = defaultdict(dict)
    rows = person_month.objects.values_list("person_id", "team_id", "month", *FACTS)
    for person_id, team_id, month, *values in rows.iterator(chunk_size=10_000):
        block = sums[(person_id, team_id, _block(month, start_month))]
        for name, value in zip(FACTS, values, strict=True):
            block[name] = block.get(name, 0) + value
    person_quarter.objects.bulk_create(
        (
            person_quarter(person_id=person_id, team_id=team_id, quarter=quarter, **facts)
            for (person_id, team_id, quarter), facts in sums.items()
        ),
        batch_size=5_000,
    )


class Migration(migrations.Migration):
    dependencies = [("metrics", "0003_person_quarter")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
