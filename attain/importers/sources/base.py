"""The fields Attain reads per import kind, and the shape of a vendor's conventions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

FieldType = Literal["text", "datetime", "date", "money", "percent", "int", "currency"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType = "text"
    required: bool = False
    help: str = ""


# The fields each kind reads, in the order a generic template lists them.
FIELDS: Final[dict[str, tuple[Field, ...]]] = {
    "deals": (
        Field("external_id", required=True, help="the CRM's id; re-imports update by it"),
        Field("name", required=True),
        Field("owner", required=True, help="e-mail or full name of an Attain person"),
        Field("amount", "money", required=True),
        Field("currency", "currency", help="ISO code; else from the amount, else the base"),
        Field("stage", required=True),
        Field("status", help="open/won/lost where the CRM keeps it apart from the stage"),
        Field("created_at", "datetime", required=True),
        Field("close_date", "datetime", help="expected close while open, actual once closed"),
        Field("won_at", "datetime", help="actual win time (Pipedrive)"),
        Field("lost_at", "datetime", help="actual loss time (Pipedrive)"),
        Field("probability", "percent"),
        Field("account", help="account name; created when missing"),
        Field("product", help="product name from the catalog"),
        Field("lead_source"),
        Field("next_step"),
        Field("lost_reason"),
        Field("pipeline"),
    ),
    "activities": (
        Field("external_id", required=True),
        Field("kind", required=True, help="call, email, meeting, quote, follow-up (or vendor's)"),
        Field("owner", required=True),
        Field("occurred_at", "datetime", required=True),
        Field("occurred_time", help="time of day when the CRM writes it in its own column"),
        Field("subject"),
        Field("outcome"),
        Field("duration_minutes", "int"),
        Field("deal", help="the deal's id in the same CRM"),
        Field("account", help="account name"),
    ),
    "accounts": (
        Field("external_id"),
        Field("name", required=True),
        Field("industry"),
        Field("owner"),
        Field("created_at", "datetime"),
    ),
    "people": (
        Field("full_name", required=True),
        Field("email", required=True),
        Field("role"),
        Field("title"),
        Field("hire_date", "date"),
        Field("external_id"),
    ),
    "leads": (
        Field("external_id", required=True),
        Field("name", required=True),
        Field("company"),
        Field("email"),
        Field("source"),
        Field("owner"),
        Field("status"),
        Field("created_at", "datetime", required=True),
    ),
    "targets": (
        Field("kpi", required=True, help="a KPI key of the catalog, e.g. revenue_won"),
        Field("subject", required=True, help="a person's e-mail or name, a team name, or company"),
        Field("period", required=True, help="FY2026-Q1, FY2026, 2026-01-01..2026-04-01, …"),
        Field("value", "money", required=True),
    ),
}


@dataclass(frozen=True)
class Source:
    """One CRM's export conventions."""

    key: str
    label: str
    # kind -> field -> header names (first: the vendor's standard export header)
    headers: dict[str, dict[str, tuple[str, ...]]]
    # headers that identify this vendor's files (used by source_detect)
    signature: tuple[str, ...]
    # stage (or status) values meaning won / lost, compared case-insensitively
    won: tuple[str, ...] = ("closed won", "won", "closedwon")
    lost: tuple[str, ...] = ("closed lost", "lost", "closedlost")
    # internal stage ids the CRM may write instead of labels
    stage_labels: dict[str, str] = field(default_factory=dict)
    # True when won/lost is a status column and the stage stays the last open stage (Pipedrive)
    status_closes: bool = False
    # activity type values -> Attain activity kinds
    activity_kinds: dict[str, str] = field(default_factory=dict)
    # how the CRM writes dates and amounts in its exports (used by writers such as the bench)
    datetime_format: str = "%Y-%m-%d %H:%M:%S"
    date_format: str = "%Y-%m-%d"
    amount_style: str = "plain"  # plain "12000.5", "grouped" "12,000.50", "code" "USD 12,000.50"

    def field_headers(self, kind: str) -> dict[str, tuple[str, ...]]:
        return self.headers.get(kind, {})


ACTIVITY_KINDS_COMMON: Final[dict[str, str]] = {
    "call": "call",
    "phone call": "call",
    "logged call": "call",
    "email": "email",
    "e-mail": "email",
    "logged email": "email",
    "meeting": "meeting",
    "event": "meeting",
    "lunch": "meeting",
    "demo": "meeting",
    "quote": "quote",
    "proposal": "quote",
    "follow-up": "follow_up",
    "follow_up": "follow_up",
    "follow up": "follow_up",
    "task": "follow_up",
    "to-do": "follow_up",
    "todo": "follow_up",
    "deadline": "follow_up",
}
