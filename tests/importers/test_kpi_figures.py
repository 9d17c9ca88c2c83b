"""After importing a Salesforce export, the KPIs equal figures computed straight from the file."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from attain.metrics.engine.subjects import Subject
from attain.metrics.selectors import kpi_value
from attain.org.selectors import period_parse

pytestmark = pytest.mark.django_db

HEADER = [
    "Opportunity Owner",
    "Account Name",
    "Opportunity Name",
    "Stage",
    "Amount",
    "Probability (%)",
    "Close Date",
    "Created Date",
    "Opportunity ID",
]
OPEN = ["Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review"]


def _export(path: Path) -> list[list[str]]:
    """60 deals over 2026 for three reps, some in USD (rate 0.9), as a Salesforce report."""
    rng = random.Random(7)
    rows = [HEADER]
    owners = ["Alice Rep", "bob@acme.test", "CAROL REP"]
    for n in range(60):
        created = date(2026, 1, 1).toordinal() + rng.randrange(0, 300)
        created_day = date.fromordinal(created)
        stage = rng.choice(["Closed Won", "Closed Won", "Closed Lost", *OPEN])
        close_day = date.fromordinal(created + rng.randrange(0, 60))
        amount = Decimal(rng.randrange(500, 50_000)) + Decimal(rng.randrange(0, 100)) / 100
        money = f"USD {amount:,.2f}" if n % 5 == 0 else f"EUR {amount:,.2f}"
        rows.append(
            [
                owners[n % 3],
                f"Account {n % 17}",
                f"Deal {n}",
                stage,
                money,
                "100" if stage == "Closed Won" else "0" if stage == "Closed Lost" else "40",
                f"{close_day.month}/{close_day.day}/{close_day.year}",
                f"{created_day.month}/{created_day.day}/{created_day.year}, 10:15 AM",
                f"006000000000{n:04d}",
            ]
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return rows


def _us(text: str) -> date:
    return datetime.strptime(text.split(",")[0], "%m/%d/%Y").date()


def _expected(rows: list[list[str]]) -> dict[tuple[str, int], dict[str, Decimal]]:
    """Won revenue (base EUR), win rate and mean cycle per owner e-mail and quarter of 2026."""
    owner_email = {"Alice Rep": "alice", "bob@acme.test": "bob", "CAROL REP": "carol"}
    won: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    won_n: dict[tuple[str, int], int] = defaultdict(int)
    lost_n: dict[tuple[str, int], int] = defaultdict(int)
    cycle: dict[tuple[str, int], int] = defaultdict(int)
    for row in rows[1:]:
        record = dict(zip(HEADER, row, strict=True))
        if record["Stage"] not in ("Closed Won", "Closed Lost"):
            continue
        closed, created = _us(record["Close Date"]), _us(record["Created Date"])
        key = (owner_email[record["Opportunity Owner"]], (closed.month - 1) // 3 + 1)
        code, number = record["Amount"].split(" ")
        amount = Decimal(number.replace(",", ""))
        if code == "USD":
            amount = (amount * Decimal("0.9")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if record["Stage"] == "Closed Won":
            won[key] += amount
            won_n[key] += 1
            cycle[key] += (closed - created).days
        else:
            lost_n[key] += 1
    result = {}
    for key in set(won_n) | set(lost_n):
        result[key] = {
            "revenue_won": won[key],
            "win_rate": Decimal(won_n[key]) / Decimal(won_n[key] + lost_n[key]),
        }
        if won_n[key]:
            result[key]["sales_cycle_days"] = Decimal(cycle[key]) / Decimal(won_n[key])
    return result


def test_kpis_match_figures_computed_from_the_file(reps, usd_rate, tmp_path):
    from attain.importers.services import import_run

    path = tmp_path / "opportunities.csv"
    rows = _export(path)
    result = import_run(actor=None, kind="deals", path=path)
    assert result.errors == [] and result.created == 60
    expected = _expected(rows)
    assert len(expected) >= 9  # every rep closes deals in several quarters
    for (who, quarter), figures in sorted(expected.items()):
        subject = Subject.for_person(reps[who])
        period = period_parse(f"FY2026-Q{quarter}")
        for key, want in figures.items():
            got = kpi_value(key=key, subject=subject, period=period, comparisons=False).value
            assert got is not None, (who, quarter, key)
            # The catalog states each unit's precision: days to 0.1, ratios and money finer.
            quantum = Decimal("0.1") if key == "sales_cycle_days" else Decimal("0.0001")
            assert got.quantize(quantum) == want.quantize(quantum, ROUND_HALF_UP), (
                who,
                quarter,
                key,
            )
