"""`attain metrics rebuild|verify`: maintain the daily rollups and prove they match raw records."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from attain.metrics.engine.rollups import raw_date_span, rollup_rebuild, rollup_verify


class Command(BaseCommand):
    help = "Rebuild the KPI rollups from raw records, or verify them against a recomputed sample."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        rebuild = actions.add_parser("rebuild", help="recompute rollups from raw records")
        rebuild.add_argument(
            "--since", type=date.fromisoformat, help="only days on or after YYYY-MM-DD"
        )
        verify = actions.add_parser("verify", help="recompute a sample from raw records")
        verify.add_argument("--samples", type=int, default=40)
        verify.add_argument("--seed", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            self._rebuild(options["since"])
        else:
            self._verify(options["samples"], options["seed"])

    def _rebuild(self, since: date | None) -> None:
        span = raw_date_span()
        months = 0
        if span is not None:
            start = max(span[0], since) if since else span[0]
            months = max(1, (span[1].year - start.year) * 12 + span[1].month - start.month + 1)
        with tqdm(total=months, unit="month", file=sys.stderr, disable=None) as bar:

            def advance(_month: str) -> None:
                bar.update(1)

            stats = rollup_rebuild(since=since, progress=advance)
        self.stdout.write(
            f"Rebuilt {stats.person_days} person-days and {stats.node_days} team-days"
            + (f" from {stats.start.isoformat()}" if stats.start else " (no records)")
        )

    def _verify(self, samples: int, seed: int | None) -> None:
        mismatches = rollup_verify(samples=samples, seed=seed)
        if mismatches:
            for mismatch in mismatches[:50]:
                self.stderr.write(str(mismatch))
            raise CommandError(
                f"rollups differ from raw records in {len(mismatches)} places; "
                "run `attain metrics rebuild`"
            )
        self.stdout.write(f"Rollups match raw records ({samples} sampled person-months).")
