"""The generic format: Attain's own field names (any spelling), for spreadsheets kept by hand."""

from __future__ import annotations

from attain.importers.sources.base import ACTIVITY_KINDS_COMMON, FIELDS, Source

_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "deals": {
        "external_id": ("ID", "Deal ID", "External ID"),
        "name": ("Name", "Deal", "Deal Name", "Title"),
        "owner": ("Owner", "Owner Email", "Rep", "Sales Rep"),
        "amount": ("Amount", "Value", "Deal Value"),
        "stage": ("Stage", "Deal Stage"),
        "created_at": ("Created", "Created At", "Created Date", "Create Date"),
        "close_date": ("Close Date", "Closed At", "Closed Date"),
        "account": ("Account", "Company", "Account Name", "Organization"),
        "probability": ("Probability", "Probability (%)"),
    },
    "activities": {
        "external_id": ("ID", "Activity ID"),
        "kind": ("Kind", "Type", "Activity Type"),
        "owner": ("Owner", "Owner Email", "Rep", "Assigned To"),
        "occurred_at": ("Occurred At", "Date", "When", "Activity Date"),
        "deal": ("Deal", "Deal ID"),
        "account": ("Account", "Company"),
        "duration_minutes": ("Duration Minutes", "Duration", "Minutes"),
    },
    "accounts": {
        "external_id": ("ID", "Account ID"),
        "name": ("Name", "Account", "Account Name", "Company"),
        "created_at": ("Created", "Created At", "Created Date"),
    },
    "people": {
        "full_name": ("Full Name", "Name"),
        "email": ("Email", "E-mail"),
        "hire_date": ("Hire Date", "Start Date", "Hired"),
        "role": ("Role", "Attain Role"),
    },
    "leads": {
        "external_id": ("ID", "Lead ID"),
        "name": ("Name", "Lead", "Full Name"),
        "created_at": ("Created", "Created At", "Created Date", "Create Date"),
        "source": ("Source", "Lead Source"),
    },
    "targets": {
        "subject": ("Subject", "Person", "Team", "Who"),
        "value": ("Value", "Target", "Quota"),
    },
}


def _headers() -> dict[str, dict[str, tuple[str, ...]]]:
    """Every field is matched by its own name too (external_id, created_at, …)."""
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for kind, fields in FIELDS.items():
        aliases = _ALIASES.get(kind, {})
        result[kind] = {f.name: (f.name, *aliases.get(f.name, ())) for f in fields}
    return result


GENERIC = Source(
    key="generic",
    label="Generic (Attain field names)",
    headers=_headers(),
    signature=(),
    activity_kinds=ACTIVITY_KINDS_COMMON,
    datetime_format="%Y-%m-%dT%H:%M:%S%z",
)
