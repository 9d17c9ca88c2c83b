"""Pipedrive exports: every header is "<Object> - <Field>" ("Deal - Title", "Deal - Value").

Won and lost are a deal's status ("Deal - Status": Open/Won/Lost/Deleted), not a stage: a won
deal keeps the last open stage it was in, and the close time is "Deal - Won time" or
"Deal - Lost time". Dates are "YYYY-MM-DD HH:MM:SS"; owners are user names. Activities keep the
due date and time in two columns and the duration as HH:MM.
"""

from __future__ import annotations

from attain.importers.sources.base import ACTIVITY_KINDS_COMMON, Source

PIPEDRIVE = Source(
    key="pipedrive",
    label="Pipedrive export",
    headers={
        "deals": {
            "external_id": ("Deal - ID",),
            "name": ("Deal - Title",),
            "owner": ("Deal - Owner",),
            "amount": ("Deal - Value",),
            "currency": ("Deal - Currency",),
            "stage": ("Deal - Stage",),
            "status": ("Deal - Status",),
            "created_at": ("Deal - Deal created", "Deal - Add time"),
            "close_date": ("Deal - Expected close date",),
            "won_at": ("Deal - Won time",),
            "lost_at": ("Deal - Lost time",),
            "probability": ("Deal - Probability",),
            "account": ("Deal - Organization", "Organization - Name"),
            "product": ("Deal - Product name", "Product - Name"),
            "lead_source": ("Deal - Source channel", "Deal - Source origin"),
            "next_step": ("Deal - Next activity subject",),
            "lost_reason": ("Deal - Lost reason",),
            "pipeline": ("Deal - Pipeline",),
        },
        "activities": {
            "external_id": ("Activity - ID",),
            "kind": ("Activity - Type",),
            "owner": ("Activity - Assigned to user", "Activity - User"),
            "occurred_at": ("Activity - Due date",),
            "occurred_time": ("Activity - Due time",),
            "subject": ("Activity - Subject",),
            "outcome": ("Activity - Outcome",),
            "duration_minutes": ("Activity - Duration",),
            "deal": ("Deal - ID", "Activity - Deal ID"),
            "account": ("Activity - Organization", "Organization - Name"),
        },
        "accounts": {
            "external_id": ("Organization - ID",),
            "name": ("Organization - Name",),
            "industry": ("Organization - Industry",),
            "owner": ("Organization - Owner",),
            "created_at": ("Organization - Organization created", "Organization - Add time"),
        },
        "people": {
            "full_name": ("User - Name", "Name"),
            "email": ("User - Email", "Email"),
            "role": ("Attain Role",),
            "title": ("User - Title",),
            "hire_date": ("User - Start date",),
            "external_id": ("User - ID",),
        },
        "leads": {
            "external_id": ("Lead - ID", "Person - ID"),
            "name": ("Lead - Title", "Person - Name"),
            "company": ("Organization - Name",),
            "email": ("Person - Email",),
            "source": ("Lead - Source", "Lead - Source origin"),
            "owner": ("Lead - Owner", "Person - Owner"),
            "status": ("Lead - Status",),
            "created_at": ("Lead - Lead created", "Person - Add time"),
        },
    },
    signature=(
        "Deal - ID",
        "Deal - Title",
        "Deal - Value",
        "Deal - Currency",
        "Deal - Status",
        "Activity - ID",
        "Activity - Type",
        "Organization - Name",
        "Person - Name",
        "Lead - Title",
    ),
    won=("won",),
    lost=("lost",),
    status_closes=True,
    activity_kinds={**ACTIVITY_KINDS_COMMON},
    datetime_format="%Y-%m-%d %H:%M:%S",
    date_format="%Y-%m-%d",
    amount_style="plain",
)
