"""`attain kpi`: the KPI catalog and any KPI's value, trend, leaderboard and records."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from attain.core.errors import NotFound
from attain.core.periods import Period, PeriodError, PeriodKind, parse_period
from attain.metrics.definitions.catalog import AGGREGATION_TEXT
from attain.metrics.docs import write_kpi_doc
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import subject_parse
from attain.metrics.formatting import STATUS_TEXT, format_value
from attain.metrics.selectors import (
    kpi_catalog,
    kpi_get,
    kpi_leaderboard,
    kpi_records,
    kpi_trend,
    kpi_value,
)
from attain.org.selectors import team_get

FORMATS = ("table", "json", "csv")


class Command(BaseCommand):
    help = "The KPI catalog: list, explain, value, trend, leaderboard, records."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        listing = actions.add_parser("list", help="the catalog")
        listing.add_argument("--format", choices=("table", "json"), default="table")

        explain = actions.add_parser("explain", help="definition, formula and records of a KPI")
        explain.add_argument("key")

        value = actions.add_parser("value", help="a KPI for a subject and period")
        self._common(value, subject=True)

        trend = actions.add_parser("trend", help="a KPI per week, month or quarter")
        self._common(trend, subject=True)
        trend.add_argument("--grain", choices=("week", "month", "quarter"), default="month")

        board = actions.add_parser("leaderboard", help="reps ranked by a KPI")
        self._common(board, subject=False)
        board.add_argument("--team", help="only reps in this team's subtree")
        board.add_argument("--limit", type=int)

        actions.add_parser("docs", help="regenerate docs/kpis.md from the catalog")

        records = actions.add_parser("records", help="the records behind a KPI value")
        self._common(records, subject=True)
        records.add_argument("--page", type=int, default=1)
        records.add_argument("--page-size", type=int, default=50)

    @staticmethod
    def _common(parser: CommandParser, *, subject: bool) -> None:
        parser.add_argument("key")
        if subject:
            parser.add_argument(
                "--subject", default="company", help="company, team:NAME or person:EMAIL"
            )
        parser.add_argument("--period", default="this-quarter", help="e.g. FY2026-Q2, last-month")
        parser.add_argument("--format", choices=FORMATS, default="table")
        parser.add_argument(
            "--today", type=date.fromisoformat, help="pretend today is this date (YYYY-MM-DD)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (NotFound, PeriodError) as exc:
            raise CommandError(str(exc)) from None

    # ------------------------------------------------------------------ actions

    def _list(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "key": k.key,
                "label": k.label,
                "unit": k.unit.value,
                "direction": k.direction.value,
                "indicator": k.indicator.value,
                "category": k.category.value,
                "aggregation": k.aggregation.value,
            }
            for k in kpi_catalog()
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        self._table(["key", "label", "unit", "category", "indicator"], rows)

    def _docs(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"Wrote {write_kpi_doc()}")

    def _explain(self, options: dict[str, Any]) -> None:
        kpi = kpi_get(options["key"])
        lines = [
            f"{kpi.key} — {kpi.label}",
            "",
            kpi.description,
            "",
            f"formula      {kpi.formula}",
            f"unit         {kpi.unit.value} ({kpi.direction.value} is better)",
            f"kind         {kpi.indicator.value}, {kpi.category.value.replace('_', ' ')}",
            f"aggregation  {AGGREGATION_TEXT[kpi.aggregation]}",
            f"records      {kpi.records}",
        ]
        if kpi.facts:
            lines.append(f"rollup facts {', '.join(kpi.facts)}")
        self.stdout.write("\n".join(lines))

    def _value(self, options: dict[str, Any]) -> None:
        ctx, subject, period = self._scope(options)
        result = kpi_value(key=options["key"], subject=subject, period=period, ctx=ctx)
        data = result.as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
            return
        if options["format"] == "csv":
            flat = {k: v for k, v in data.items() if k not in ("period", "breakdown")}
            flat |= {"period": period.label, "start": data["period"]["start"]}
            flat["end"] = data["period"]["end"]
            self._csv([flat])
            return
        kpi, currency = result.kpi, ctx.org.base_currency
        self.stdout.write(
            f"{kpi.label} — {subject.label} — {period.label} "
            f"({period.start.isoformat()} … {period.last_day.isoformat()})"
        )
        for label, value in (
            ("value", result.value),
            ("target", result.target),
            ("pace", result.pace),
            ("projected", result.projected),
            ("previous", result.previous),
            ("last year", result.last_year),
        ):
            self.stdout.write(f"  {label:<10} {format_value(kpi, value, currency)}")
        self.stdout.write(f"  {'status':<10} {STATUS_TEXT[result.status]}")
        for step in result.breakdown:
            count = "" if step.count is None else f"{step.count:>10,}"
            if step.rate is not None:
                detail = f"{format_value(kpi, step.rate, currency)}"
            elif kpi.unit.value == "days" and step.value is not None:
                detail = format_value(kpi, step.value, currency)
            else:
                detail = ""
            self.stdout.write(f"    {step.label:<16}{count}  {detail}")

    def _trend(self, options: dict[str, Any]) -> None:
        ctx, subject, period = self._scope(options)
        points = kpi_trend(
            key=options["key"],
            subject=subject,
            period=period,
            grain=PeriodKind(options["grain"]),
            ctx=ctx,
        )
        kpi = kpi_get(options["key"])
        rows = [
            {
                "period": p.period.label,
                "start": p.period.start.isoformat(),
                "end": p.period.end.isoformat(),
                "value": None if p.value is None else format(p.value, "f"),
                "shown": format_value(kpi, p.value, ctx.org.base_currency),
            }
            for p in points
        ]
        self._emit(options["format"], rows, ["period", "start", "end", "shown"])

    def _leaderboard(self, options: dict[str, Any]) -> None:
        ctx = self._context(options)
        period = self._period(options, ctx)
        team = team_get(options["team"]) if options.get("team") else None
        board = kpi_leaderboard(
            key=options["key"], period=period, team=team, limit=options["limit"], ctx=ctx
        )
        kpi = kpi_get(options["key"])
        rows = [
            {
                "rank": row.rank,
                "name": row.name,
                "email": row.email,
                "value": None if row.value is None else format(row.value, "f"),
                "shown": format_value(kpi, row.value, ctx.org.base_currency),
            }
            for row in board
        ]
        self._emit(options["format"], rows, ["rank", "name", "email", "shown"])

    def _records(self, options: dict[str, Any]) -> None:
        ctx, subject, period = self._scope(options)
        page = kpi_records(
            key=options["key"],
            subject=subject,
            period=period,
            page=options["page"],
            page_size=options["page_size"],
            ctx=ctx,
        )
        rows = [{k: _plain(v) for k, v in row.items()} for row in page.rows]
        if options["format"] == "table":
            self.stdout.write(
                f"{page.total} {page.model} records, page {page.page} of {page.pages}"
            )
        self._emit(options["format"], rows, list(page.columns))

    # ------------------------------------------------------------------ helpers

    def _context(self, options: dict[str, Any]) -> MetricsContext:
        return MetricsContext.load(today=options.get("today"))

    def _period(self, options: dict[str, Any], ctx: MetricsContext) -> Period:
        return parse_period(options["period"], ctx.calendar, ctx.today)

    def _scope(self, options: dict[str, Any]) -> tuple[MetricsContext, Any, Period]:
        ctx = self._context(options)
        kpi_get(options["key"])
        return ctx, subject_parse(options["subject"]), self._period(options, ctx)

    def _emit(self, fmt: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps(rows, indent=2, default=str))
        elif fmt == "csv":
            self._csv(rows)
        else:
            self._table(columns, rows)

    def _csv(self, rows: list[dict[str, Any]]) -> None:
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        self.stdout.write(buffer.getvalue().rstrip("\n"))

    def _table(self, columns: list[str], rows: list[dict[str, Any]]) -> None:
        cells = [
            [str(_plain(row.get(c, "")) if row.get(c) is not None else "") for c in columns]
            for row in rows
        ]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        self.stdout.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for row in cells:
            self.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
