"""`attain quality`: the data-quality report on demand (the importer attaches the same report)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from attain.core.errors import NotFound
from attain.quality.selectors import CHECKS, QualityCheck, quality_report


class Command(BaseCommand):
    help = (
        "Report likely duplicate accounts, products not in the catalog, misspelled categories "
        "and deals with impossible or stale values."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument(
            "--since-run", type=int, metavar="RUN_ID", help="only the deals an import run wrote"
        )
        parser.add_argument(
            "--check",
            action="append",
            choices=CHECKS,
            metavar="CODE",
            help=f"only this check (repeatable): {', '.join(CHECKS)}",
        )
        parser.add_argument(
            "--examples", type=int, default=5, metavar="N", help="examples per check (default 5)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["examples"] < 0:
            raise CommandError("--examples must be 0 or more")
        try:
            report = quality_report(
                since_run_id=options["since_run"],
                limit_examples=options["examples"],
                checks=options["check"],
            )
        except NotFound as exc:
            raise CommandError(str(exc)) from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        width = max(len(check.title) for check in report.checks)
        self.stdout.write(f"Data quality as of {report.as_of.isoformat()}")
        for check in report.checks:
            mark = "ok" if check.count == 0 else f"{check.count:,} {check.unit}"
            self.stdout.write(f"  {check.title:<{width}}  {mark}")
        for check in report.checks:
            if check.examples:
                self.stdout.write("")
                self.stdout.write(f"{check.title} — first {len(check.examples)}:")
                for example in check.examples:
                    self.stdout.write(f"  {_describe(check, example)}")
        total = report.total_issues
        self.stdout.write("")
        self.stdout.write("No problems found." if total == 0 else f"{total:,} problems in total.")


def _describe(check: QualityCheck, example: dict[str, Any]) -> str:
    """One line per example, in words a sales manager reads."""
    if check.code == "duplicate_accounts":
        names = " | ".join(
            f"{a['name']!r} (#{a['id']}, {a['deals']} deals)" for a in example["accounts"]
        )
        more = example["size"] - len(example["accounts"])
        return names + (f" and {more} more" if more > 0 else "")
    if check.code == "unknown_products":
        match = example["closest_match"]
        hint = f"closest: {match!r}" if match else "no close catalog match"
        state = "" if example["active"] else ", inactive"
        return f"{example['name']!r} on {example['deals']} deals{state} — {hint}"
    if check.code == "misspelled_categories":
        return (
            f"{example['field']}: {example['value']!r} ({example['count']}×) — did you mean "
            f"{example['suggestion']!r} ({example['suggestion_count']}×)?"
        )
    detail = {
        "deals_without_account": "",
        "closed_before_created": f"created {example['created_at']:%Y-%m-%d %H:%M}, "
        f"closed {example['closed_at']:%Y-%m-%d %H:%M}"
        if example.get("closed_at")
        else "",
        "non_positive_amounts": f"amount {example['amount']} {example['currency']}",
        "open_deals_past_close_date": f"expected close {example['expected_close_date']}",
    }.get(check.code, "")
    ref = (
        f" [{example['source_system']} {example['external_id']}]" if example["external_id"] else ""
    )
    return f"#{example['id']} {example['name']!r} ({example['owner']}){ref}" + (
        f" — {detail}" if detail else ""
    )
