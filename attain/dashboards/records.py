"""The drill-down page's content: the records behind one KPI value, as labelled table cells.

The rows are exactly those `attain.metrics.selectors.kpi_records` returns (the records the value
counts); this module only names the columns and formats cells, and marks which rows link to a
deal page the viewer may open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from attain.core.periods import Period
from attain.crm.models import ActivityKind, ActivityOutcome, DealStatus, LeadStatus
from attain.metrics.definitions.catalog import Kpi
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import KpiValue, RecordPage, kpi_get, kpi_records, kpi_value

PAGE_SIZE = 50

# column → (heading, kind); kinds: text, money, date, datetime, choice:<name>, hidden
COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("", "hidden"),
    "deal_id": ("Deal", "deal_link"),
    "name": ("Name", "text"),
    "deal__name": ("Deal", "deal_name"),
    "owner__full_name": ("Owner", "text"),
    "account__name": ("Account", "text"),
    "stage__name": ("Stage", "text"),
    "from_stage__name": ("From stage", "text"),
    "to_stage__name": ("To stage", "text"),
    "status": ("Status", "choice"),
    "amount_base": ("Amount", "money"),
    "created_at": ("Created", "datetime"),
    "changed_at": ("Changed", "datetime"),
    "occurred_at": ("When", "datetime"),
    "expected_close_date": ("Expected close", "date"),
    "closed_on": ("Closed", "date"),
    "next_step": ("Next step", "text"),
    "kind": ("Kind", "choice"),
    "outcome": ("Outcome", "choice"),
    "subject": ("Subject", "text"),
    "company": ("Company", "text"),
    "source": ("Source", "text"),
}
CHOICES: dict[str, dict[str, dict[str, str]]] = {
    "deal": {"status": dict(DealStatus.choices)},
    "activity": {"kind": dict(ActivityKind.choices), "outcome": dict(ActivityOutcome.choices)},
    "lead": {"status": dict(LeadStatus.choices)},
    "stage_change": {},
}
MODEL_LABELS = {
    "deal": ("deal", "deals"),
    "activity": ("activity", "activities"),
    "lead": ("lead", "leads"),
    "stage_change": ("stage change", "stage changes"),
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str


@dataclass(frozen=True)
class Cell:
    column: Column
    value: Any


@dataclass(frozen=True)
class RecordRow:
    deal_id: int | None  # the deal page this row opens, when the viewer may open it
    title: str
    cells: tuple[Cell, ...]


@dataclass
class RecordsPage:
    kpi: Kpi
    value: KpiValue
    subject: Subject
    period: Period
    model: str
    columns: tuple[Column, ...]
    rows: list[RecordRow]
    page: int
    pages: int
    total: int

    @property
    def noun(self) -> str:
        singular, plural = MODEL_LABELS[self.model]
        return singular if self.total == 1 else plural

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * PAGE_SIZE)


def _deal_of(model: str, row: dict[str, Any]) -> int | None:
    if model == "deal":
        return int(row["id"])
    if model in ("activity", "stage_change"):
        return row.get("deal_id")
    return None


def _cell_value(model: str, column: Column, raw: Any) -> Any:
    if column.kind == "choice":
        return CHOICES.get(model, {}).get(column.key, {}).get(raw, raw) if raw else ""
    return raw


def records_page(
    *,
    key: str,
    subject: Subject,
    period: Period,
    page: int,
    ctx: MetricsContext,
    deals_openable: Callable[[Iterable[int]], Iterable[int]],
) -> RecordsPage:
    """One page of the records behind `key` for the subject and period.

    `deals_openable` is a callable taking deal ids and returning those the viewer may open (one
    query), so a link never leads to a 404. Raises NotFound for an unknown KPI.
    """
    kpi = kpi_get(key)
    value = kpi_value(key=kpi.key, subject=subject, period=period, ctx=ctx, comparisons=False)
    result: RecordPage = kpi_records(
        key=kpi.key, subject=subject, period=period, page=page, page_size=PAGE_SIZE, ctx=ctx
    )
    if result.total and page > result.pages:  # past the end: show the last page
        result = kpi_records(
            key=kpi.key,
            subject=subject,
            period=period,
            page=result.pages,
            page_size=PAGE_SIZE,
            ctx=ctx,
        )
    columns = tuple(
        Column(
            name, *COLUMNS.get(name, (name.replace("__", " ").replace("_", " ").title(), "text"))
        )
        for name in result.columns
    )
    # A deal's name, when the rows carry it, is the link; the bare "Open deal" column is then
    # redundant.
    has_name = any(c.kind == "deal_name" for c in columns)
    visible_columns = tuple(
        c for c in columns if c.kind != "hidden" and not (has_name and c.kind == "deal_link")
    )
    deal_ids = {d for d in (_deal_of(result.model, row) for row in result.rows) if d is not None}
    openable: set[int] = set(deals_openable(deal_ids)) if deal_ids else set()
    rows = []
    for row in result.rows:
        deal_id = _deal_of(result.model, row)
        cells = tuple(
            Cell(c, _cell_value(result.model, c, row.get(c.key))) for c in visible_columns
        )
        title = str(row.get("name") or row.get("deal__name") or row.get("subject") or "")
        rows.append(RecordRow(deal_id if deal_id in openable else None, title, cells))
    return RecordsPage(
        kpi=kpi,
        value=value,
        subject=subject,
        period=period,
        model=result.model,
        columns=visible_columns,
        rows=rows,
        page=result.page,
        pages=result.pages,
        total=result.total,
    )
