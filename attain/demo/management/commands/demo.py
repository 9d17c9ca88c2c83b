"""`attain demo`: load the Northwind Analytics demo data (unless there is data), then serve."""

from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from attain.core.errors import ValidationFailed
from attain.demo.profiles import SIZES, URL
from attain.demo.services import (
    DEFAULT_SEED,
    DemoSummary,
    Login,
    demo_generate,
    demo_logins,
    demo_reset,
)
from attain.org.models import Organisation


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Generate deterministic demo data (a sales company with three fiscal years of history) "
        "and serve the app. Does nothing to an existing organisation unless --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=list(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--as-of",
            type=_as_of,
            default=None,
            help="last day of history, YYYY-MM-DD (default: today in America/New_York)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete all organisation, CRM and audit rows first",
        )
        parser.add_argument("--no-serve", action="store_true", help="load, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            deleted = demo_reset()
            self.stdout.write(f"Deleted {sum(deleted.values()):,} rows.")
        existing = Organisation.objects.first()
        if existing is not None:
            self.stdout.write(
                f"The database already has an organisation ({existing.name}); nothing generated "
                "(use --reset to replace it)."
            )
            self._logins(demo_logins())
        else:
            try:
                summary = demo_generate(
                    size=options["size"],
                    seed=options["seed"],
                    as_of=options["as_of"],
                    progress=True,
                )
            except ValidationFailed as exc:
                raise CommandError(str(exc)) from None
            self._summary(summary)
        if not options["no_serve"]:
            call_command("serve")

    def _summary(self, summary: DemoSummary) -> None:
        self.stdout.write(
            f"Northwind Analytics demo: size {summary.size}, seed {summary.seed}, "
            f"history up to {summary.as_of.isoformat()}"
        )
        width = max(len(table) for table in summary.counts)
        for table, count in summary.counts.items():
            self.stdout.write(f"  {table:<{width}}  {count:>12,}")
        self.stdout.write(
            f"  {'total':<{width}}  {summary.rows:>12,} rows in {summary.seconds:.1f} s "
            f"({summary.rows_per_second:,.0f} rows/s)"
        )
        self.stdout.write("People worth a look:")
        for what, who in summary.cast:
            self.stdout.write(f"  {what:<19} {who}")
        self._logins(summary.logins)

    def _logins(self, logins: list[Login]) -> None:
        if not logins:
            self.stdout.write("No demo logins found.")
            return
        self.stdout.write(f"Log in at {URL} as (password: {logins[0].password}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<8} {login.role:<10} {login.full_name}")
