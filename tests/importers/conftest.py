"""Vendor export files as the CRMs write them, for alice, bob and carol (see tests/conftest.py).

Salesforce: US dates, owner full names, "USD 12,000.00" amounts in a multi-currency org.
HubSpot: internal stage ids (closedwon), "YYYY-MM-DD HH:MM" dates, owner names.
Pipedrive: won/lost as a status beside the last open stage, won/lost times, owners by name.
The organisation's base currency is EUR; a USD rate of 0.9 is valid from 2025-01-01.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from attain.crm.services import exchange_rate_set
from attain.org.models import Organisation, Person

Writer = Callable[..., Path]

SALESFORCE_DEALS = [
    [
        "Opportunity Owner",
        "Account Name",
        "Opportunity Name",
        "Stage",
        "Fiscal Period",
        "Amount",
        "Probability (%)",
        "Close Date",
        "Created Date",
        "Lead Source",
        "Opportunity ID",
    ],
    [
        "Alice Rep",
        "Globex",
        "Globex expansion",
        "Closed Won",
        "Q1-2026",
        "EUR 12,000.00",
        "100",
        "3/15/2026",
        "1/10/2026, 9:30 AM",
        "Web",
        "0065g00000AbCdE1",
    ],
    [
        "alice@acme.test",
        "Initech",
        "Initech pilot",
        "Closed Lost",
        "Q1-2026",
        "EUR 4,000.00",
        "0",
        "2/20/2026",
        "1/20/2026, 2:00 PM",
        "Partner",
        "0065g00000AbCdE2",
    ],
    [
        "Bob Rep",
        "Umbrella",
        "Umbrella renewal",
        "Closed Won",
        "Q2-2026",
        "USD 10,000.00",
        "100",
        "4/30/2026",
        "2/1/2026, 11:00 AM",
        "",
        "0065g00000AbCdE3",
    ],
    [
        "Carol Rep",
        "Hooli",
        "Hooli platform",
        "Negotiation/Review",
        "Q3-2026",
        "EUR 8,500.00",
        "90",
        "8/30/2026",
        "3/3/2026, 4:15 PM",
        "Web",
        "0065g00000AbCdE4",
    ],
    [
        "Carol Rep",
        "Stark",
        "Stark add-on",
        "Prospecting",
        "Q3-2026",
        "EUR 1,500.00",
        "10",
        "9/30/2026",
        "4/4/2026, 8:00 AM",
        "",
        "0065g00000AbCdE5",
    ],
]

HUBSPOT_DEALS = [
    [
        "Record ID",
        "Deal Name",
        "Deal Stage",
        "Amount",
        "Close Date",
        "Create Date",
        "Deal owner",
        "Pipeline",
        "Associated Company",
        "Currency",
    ],
    [
        "9001",
        "Wayne deal",
        "closedwon",
        "7000",
        "2026-05-10 15:00",
        "2026-04-01 10:00",
        "Alice Rep",
        "Sales Pipeline",
        "Wayne Enterprises",
        "EUR",
    ],
    [
        "9002",
        "Oscorp deal",
        "closedlost",
        "3000",
        "2026-05-20 09:00",
        "2026-04-15 10:00",
        "Bob Rep",
        "Sales Pipeline",
        "Oscorp",
        "EUR",
    ],
    [
        "9003",
        "Cyberdyne deal",
        "contractsent",
        "5000",
        "2026-09-01 00:00",
        "2026-05-01 12:00",
        "Carol Rep",
        "Sales Pipeline",
        "Cyberdyne",
        "EUR",
    ],
    [
        "9004",
        "Tyrell deal",
        "appointmentscheduled",
        "2500",
        "",
        "2026-06-01 08:00",
        "Alice Rep",
        "Sales Pipeline",
        "Tyrell",
        "EUR",
    ],
]

PIPEDRIVE_DEALS = [
    [
        "Deal - ID",
        "Deal - Title",
        "Deal - Value",
        "Deal - Currency",
        "Deal - Status",
        "Deal - Stage",
        "Deal - Pipeline",
        "Deal - Owner",
        "Deal - Organization",
        "Deal - Deal created",
        "Deal - Won time",
        "Deal - Lost time",
        "Deal - Expected close date",
        "Deal - Lost reason",
    ],
    [
        "101",
        "Acme Corp deal",
        "15000",
        "EUR",
        "Won",
        "Negotiations Started",
        "Pipeline",
        "Alice Rep",
        "Acme Corp",
        "2026-01-05 10:00:00",
        "2026-02-05 16:30:00",
        "",
        "2026-02-01",
        "",
    ],
    [
        "102",
        "Soylent deal",
        "2000",
        "EUR",
        "Lost",
        "Proposal Made",
        "Pipeline",
        "Bob Rep",
        "Soylent",
        "2026-01-10 09:00:00",
        "",
        "2026-03-01 11:00:00",
        "2026-03-01",
        "Price too high",
    ],
    [
        "103",
        "Vandelay deal",
        "4000",
        "EUR",
        "Open",
        "Qualified",
        "Pipeline",
        "Carol Rep",
        "Vandelay",
        "2026-02-10 09:00:00",
        "",
        "",
        "2026-12-01",
        "",
    ],
    [
        "104",
        "Wonka deal",
        "6000",
        "EUR",
        "Won",
        "Proposal Made",
        "Pipeline",
        "Bob Rep",
        "Wonka",
        "2026-02-15 09:00:00",
        "2026-04-02 10:00:00",
        "",
        "",
        "",
    ],
]


@pytest.fixture
def reps(alice: Person, bob: Person, carol: Person) -> dict[str, Person]:
    return {"alice": alice, "bob": bob, "carol": carol}


@pytest.fixture
def usd_rate(org: Organisation) -> None:
    exchange_rate_set(actor=None, currency="USD", valid_from=date(2025, 1, 1), rate=Decimal("0.9"))


@pytest.fixture
def write_csv(tmp_path: Path) -> Writer:
    def write(
        name: str, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ","
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            csv.writer(handle, delimiter=delimiter).writerows(rows)
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Writer:
    import xlsxwriter

    def write(name: str, rows: list[list[object]]) -> Path:
        path = tmp_path / name
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("Report")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        book.close()
        return path

    return write
