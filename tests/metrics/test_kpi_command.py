"""`attain kpi` and `attain metrics`: formats, errors with exit status, generated docs."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from attain.metrics.docs import DOC_PATH, render_kpi_doc
from attain.metrics.selectors import kpi_catalog
from tests.metrics.conftest import History


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_kpi_docs_are_generated_from_the_catalog_and_up_to_date() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_kpi_doc(), (
        "docs/kpis.md is stale: run `attain kpi docs`"
    )


def test_kpi_list_json_has_every_key_of_the_catalog() -> None:
    listed = json.loads(run("kpi", "list", "--format", "json"))
    assert [row["key"] for row in listed] == [kpi.key for kpi in kpi_catalog()]


def test_kpi_explain_shows_formula_and_records() -> None:
    text = run("kpi", "explain", "win_rate")
    assert "deals won ÷ (deals won + deals lost)" in text
    assert "records      deals_closed" in text


@pytest.mark.usefixtures("history")
def test_kpi_value_json_has_the_documented_shape() -> None:
    data = json.loads(
        run(
            "kpi",
            "value",
            "revenue_won",
            "--subject",
            "team:North",
            "--period",
            "FY2026-Q2",
            "--format",
            "json",
            "--today",
            "2026-07-10",
        )
    )
    assert data == {
        "kpi": "revenue_won",
        "subject": "team:North",
        "period": {"label": "FY2026-Q2", "start": "2026-04-01", "end": "2026-07-01"},
        "value": "12000.00",
        "unit": "money",
        "target": None,
        "pace": None,
        "projected": "12000.00",
        "status": None,
        "previous": "4000.00",
        "last_year": "0.00",
    }


@pytest.mark.usefixtures("history")
def test_kpi_value_table_and_csv_show_money_in_the_base_currency() -> None:
    table = run(
        "kpi",
        "value",
        "revenue_won",
        "--subject",
        "person:alice@acme.test",
        "--period",
        "FY2026-Q2",
        "--today",
        "2026-07-10",
    )
    csv_text = run(
        "kpi",
        "value",
        "win_rate",
        "--period",
        "FY2026-Q2",
        "--format",
        "csv",
        "--today",
        "2026-07-10",
    )
    assert "€10,000.00" in table
    assert csv_text.splitlines()[1].startswith("win_rate,company,0.7500,ratio")


@pytest.mark.usefixtures("history")
def test_kpi_trend_and_leaderboard_commands(history: History) -> None:
    trend = json.loads(
        run(
            "kpi",
            "trend",
            "revenue_won",
            "--period",
            "FY2026",
            "--grain",
            "quarter",
            "--format",
            "json",
            "--today",
            "2026-07-10",
        )
    )
    board = json.loads(
        run(
            "kpi",
            "leaderboard",
            "revenue_won",
            "--period",
            "FY2026-Q2",
            "--limit",
            "2",
            "--format",
            "json",
            "--today",
            "2026-07-10",
        )
    )
    assert [p["value"] for p in trend] == ["4000.00", "15000.00", "0.00", "0.00"]
    assert [(r["rank"], r["email"]) for r in board] == [
        (1, "alice@acme.test"),
        (2, "bob@acme.test"),
    ]


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("kpi", "value", "win_rat"), "Did you mean win_rate"),
        (("kpi", "value", "win_rate", "--period", "FY26"), "Accepted forms"),
        (("kpi", "value", "win_rate", "--subject", "team:Nowhere"), "No team is named"),
        (("kpi", "value", "win_rate", "--subject", "person:x@y.z"), "No person has the e-mail"),
        (("kpi", "value", "win_rate", "--subject", "planet:mars"), "is not a subject"),
        (("kpi", "explain", "revenue"), "No KPI is named"),
    ],
)
def test_kpi_errors_say_what_was_wrong(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


@pytest.mark.usefixtures("history")
def test_metrics_rebuild_then_verify_passes() -> None:
    assert "Rebuilt" in run("metrics", "rebuild")
    assert "match" in run("metrics", "verify", "--seed", "3")


@pytest.mark.usefixtures("history")
def test_metrics_verify_fails_loudly_on_a_difference() -> None:
    from attain.metrics.models import NodeDay

    NodeDay.objects.update(calls=12345)
    with pytest.raises(CommandError, match="rollups differ"):
        run("metrics", "verify", "--samples", "20", "--seed", "3")
