"""HubSpot exports (CSV or XLSX from a deals, companies, contacts or activities view).

Every record has a "Record ID". The deal stage may be exported as the label ("Closed Won") or as
the internal id ("closedwon", "appointmentscheduled", …); owners are names ("Deal owner").
Dates are "YYYY-MM-DD HH:MM" in the exporting user's zone; amounts are plain numbers with a
separate "Currency" column in multi-currency portals.
"""

from __future__ import annotations

from attain.importers.sources.base import ACTIVITY_KINDS_COMMON, Source

# The default sales pipeline's internal stage ids and their labels.
HUBSPOT_STAGES = {
    "appointmentscheduled": "Appointment Scheduled",
    "qualifiedtobuy": "Qualified To Buy",
    "presentationscheduled": "Presentation Scheduled",
    "decisionmakerboughtin": "Decision Maker Bought-In",
    "contractsent": "Contract Sent",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}

HUBSPOT = Source(
    key="hubspot",
    label="HubSpot export",
    headers={
        "deals": {
            "external_id": ("Record ID", "Deal ID"),
            "name": ("Deal Name",),
            "owner": ("Deal owner", "Deal Owner Email"),
            "amount": ("Amount",),
            "currency": ("Currency", "Deal currency code"),
            "stage": ("Deal Stage",),
            "created_at": ("Create Date",),
            "close_date": ("Close Date",),
            "probability": ("Deal probability",),
            "account": ("Associated Company", "Associated Company (Primary)", "Company name"),
            "product": ("Product",),
            "lead_source": ("Original Source Type", "Deal source"),
            "next_step": ("Next step",),
            "lost_reason": ("Closed lost reason",),
            "pipeline": ("Pipeline",),
        },
        "activities": {
            "external_id": ("Record ID",),
            "kind": ("Activity type", "Engagement type"),
            "owner": ("Activity assigned to", "Assigned to", "HubSpot owner"),
            "occurred_at": ("Activity date",),
            "subject": ("Subject", "Call title", "Meeting name"),
            "outcome": ("Call outcome", "Meeting outcome"),
            "duration_minutes": ("Duration (minutes)",),
            "deal": ("Associated Deal IDs", "Associated Deal ID"),
            "account": ("Associated Company",),
        },
        "accounts": {
            "external_id": ("Record ID",),
            "name": ("Company name",),
            "industry": ("Industry",),
            "owner": ("Company owner",),
            "created_at": ("Create Date",),
        },
        "people": {
            "full_name": ("Name", "User"),
            "email": ("Email",),
            "role": ("Attain Role",),
            "title": ("Job title",),
            "hire_date": ("Start date",),
            "external_id": ("User ID",),
        },
        "leads": {
            "external_id": ("Record ID",),
            "name": ("Full Name", "Name"),
            "company": ("Company Name",),
            "email": ("Email",),
            "source": ("Original Source",),
            "owner": ("Contact owner", "Lead owner"),
            "status": ("Lead Status",),
            "created_at": ("Create Date",),
        },
    },
    signature=(
        "Record ID",
        "Deal owner",
        "Deal Stage",
        "Create Date",
        "Associated Company",
        "Activity assigned to",
        "Company owner",
        "Contact owner",
        "Pipeline",
    ),
    won=("closed won", "closedwon", "won"),
    lost=("closed lost", "closedlost", "lost"),
    stage_labels=HUBSPOT_STAGES,
    activity_kinds={
        **ACTIVITY_KINDS_COMMON,
        "calls": "call",
        "emails": "email",
        "meetings": "meeting",
    },
    datetime_format="%Y-%m-%d %H:%M",
    date_format="%Y-%m-%d",
    amount_style="plain",
)
