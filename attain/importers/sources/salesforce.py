"""Salesforce report exports ("Export details", CSV or XLSX), US locale.

Opportunity reports name the owner "Opportunity Owner" (a full name), write dates as MM/DD/YYYY
(created date sometimes with a time, "11/23/2026, 2:15 PM"), and in multi-currency orgs either
prefix amounts with the ISO code ("USD 12,000.00") or add an "Amount Currency" column. A closed
deal's "Close Date" is its actual close date; an open one's is the expected date. Standard stages
end in "Closed Won" / "Closed Lost".
"""

from __future__ import annotations

from attain.importers.sources.base import ACTIVITY_KINDS_COMMON, Source

SALESFORCE = Source(
    key="salesforce",
    label="Salesforce report export",
    headers={
        "deals": {
            "external_id": ("Opportunity ID", "Id", "Opportunity ID (18)"),
            "name": ("Opportunity Name",),
            "owner": ("Opportunity Owner", "Opportunity Owner: Email", "Owner Email"),
            "amount": ("Amount",),
            "currency": ("Amount Currency", "Opportunity Currency", "Currency"),
            "stage": ("Stage",),
            "created_at": ("Created Date",),
            "close_date": ("Close Date",),
            "probability": ("Probability (%)",),
            "account": ("Account Name",),
            "product": ("Product Name", "Product"),
            "lead_source": ("Lead Source",),
            "next_step": ("Next Step",),
            "lost_reason": ("Loss Reason", "Closed Lost Reason"),
        },
        "activities": {
            "external_id": ("Activity ID",),
            "kind": ("Type", "Activity Type", "Task Subtype"),
            "owner": ("Assigned", "Assigned To"),
            "occurred_at": ("Date", "Activity Date", "Due Date"),
            "subject": ("Subject",),
            "outcome": ("Call Result", "Result"),
            "duration_minutes": ("Duration", "Duration (Minutes)"),
            "deal": ("Opportunity ID",),
            "account": ("Company / Account", "Account Name"),
        },
        "accounts": {
            "external_id": ("Account ID",),
            "name": ("Account Name",),
            "industry": ("Industry",),
            "owner": ("Account Owner",),
            "created_at": ("Created Date",),
        },
        "people": {
            "full_name": ("Full Name",),
            "email": ("Email",),
            "role": ("Attain Role",),
            "title": ("Title",),
            "hire_date": ("Start Date", "Hire Date"),
            "external_id": ("User ID",),
        },
        "leads": {
            "external_id": ("Lead ID",),
            "name": ("Name", "Full Name"),
            "company": ("Company / Account", "Company"),
            "email": ("Email",),
            "source": ("Lead Source",),
            "owner": ("Lead Owner",),
            "status": ("Lead Status",),
            "created_at": ("Create Date", "Created Date"),
        },
    },
    signature=(
        "Opportunity Owner",
        "Opportunity Name",
        "Opportunity ID",
        "Probability (%)",
        "Fiscal Period",
        "Account Owner",
        "Lead Owner",
        "Company / Account",
        "Activity ID",
        "Assigned",
    ),
    won=("closed won", "won"),
    lost=("closed lost", "lost"),
    activity_kinds={**ACTIVITY_KINDS_COMMON, "other": "follow_up", "send letter": "email"},
    datetime_format="%m/%d/%Y, %I:%M %p",
    date_format="%m/%d/%Y",
    amount_style="code",
)
