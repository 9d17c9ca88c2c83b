"""Every rollup row, for tests that compare the rollups with a rebuild."""

from __future__ import annotations

from typing import Any

from attain.metrics.engine.facts import FACT_NAMES
from attain.metrics.models import NodeDay, PersonDay, PersonMonth, PersonQuarter

Rows = dict[str, list[tuple[Any, ...]]]


def rollup_rows() -> Rows:
    """Every row of the four rollups with every fact, without ids, in a stable order."""

    def rows(model: Any, *keys: str) -> list[tuple[Any, ...]]:
        values = model.objects.values_list(*keys, *FACT_NAMES)
        return sorted(values, key=lambda row: tuple(-1 if v is None else v for v in row[:3]))

    return {
        "days": rows(PersonDay, "person_id", "day", "team_id"),
        "months": rows(PersonMonth, "person_id", "month", "team_id"),
        "quarters": rows(PersonQuarter, "person_id", "quarter", "team_id"),
        "nodes": rows(NodeDay, "node_id", "day"),
    }


def rebuilt_rows() -> Rows:
    """The rows a full rebuild from the raw records writes (it replaces the stored ones)."""
    from attain.metrics.engine.rollups import rollup_rebuild

    rollup_rebuild()
    return rollup_rows()
