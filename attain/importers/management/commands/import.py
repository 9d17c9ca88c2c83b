"""`attain import KIND FILE`: load a CRM export (CSV/XLSX), print what happened, exit 0/1/2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from attain.core.errors import ValidationFailed
from attain.importers.results import ImportResult
from attain.importers.selectors import mapping_load
from attain.importers.services import import_run
from attain.importers.sources import KINDS, SOURCES

BAR_BYTES = 5 * 1024 * 1024  # show a progress bar for files above this size
SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import deals, activities, accounts, people, leads or targets from a CRM export."
    # Django's system checks (models, URLs, settings) are for developers and `attain check`;
    # run before every import they cost 0.2 s of each process.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="auto", choices=["auto", *SOURCES])
        parser.add_argument("--mapping", type=Path, help="YAML with columns: and stages:")
        parser.add_argument("--sheet", help="XLSX sheet name (default: the first sheet)")
        parser.add_argument("--dry-run", action="store_true", help="validate; write nothing")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="load the good rows; write the rejected ones to FILE.rejected.csv",
        )
        parser.add_argument("--create-missing-people", action="store_true")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--user", help="username recorded as the importer (default: system)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            columns, stages = mapping_load(options["mapping"]) if options["mapping"] else ({}, {})
            actor = None
            if options["user"]:
                actor = User.objects.filter(username=options["user"]).first()
                if actor is None:
                    raise ValidationFailed({"--user": f"no login named {options['user']!r}"})
            path: Path = options["file"]
            size = path.stat().st_size if path.exists() else 0
            bar = tqdm(
                unit="rows",
                file=sys.stderr,
                disable=options["format"] == "json" or size < BAR_BYTES or None,
            )

            def advance(done: int) -> None:
                bar.update(done - bar.n)

            try:
                result = import_run(
                    actor=actor,
                    kind=options["kind"],
                    path=path,
                    source=options["source"],
                    mapping=columns or None,
                    stage_mapping=stages or None,
                    dry_run=options["dry_run"],
                    skip_bad_rows=options["skip_bad_rows"],
                    create_missing_people=options["create_missing_people"],
                    sheet=options["sheet"],
                    progress=advance,
                )
            finally:
                bar.close()
        except ValidationFailed as exc:
            self.stderr.write(f"attain import: {exc}")
            raise SystemExit(2) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(result.as_dict(), indent=2, default=str))
        else:
            self._table(result)
        if result.exit_code:
            sys.stdout.flush()
            raise SystemExit(result.exit_code)

    def _table(self, result: ImportResult) -> None:
        out = self.stdout.write
        mode = (
            "dry run, nothing written"
            if result.dry_run
            else ("committed" if result.committed else "nothing written")
        )
        out(f"{result.kind} from {result.file_name} ({result.source}): {mode}")
        out(
            f"  rows {result.rows}  created {result.created}  updated {result.updated}  "
            f"unchanged {result.unchanged}  rejected {result.rejected}  "
            f"({result.seconds:.2f}s)"
        )
        if result.mapping:
            out("  columns: " + ", ".join(f"{k}={v!r}" for k, v in result.mapping.items()))
        for note in result.notes:
            out(f"  note: {note}")
        if result.unmatched_owners:
            out("  unmatched owners: " + ", ".join(result.unmatched_owners))
        if result.errors:
            out(f"  {result.errors_total} problem(s):")
            for error in result.errors[:SHOWN_ERRORS]:
                where = f"row {error.row}" if error.row else "file"
                value = f" {error.value!r}" if error.value else ""
                out(f"    {where} {error.column}{value}: {error.reason}")
            if result.errors_total > SHOWN_ERRORS:
                out(f"    … and {result.errors_total - SHOWN_ERRORS} more (--format json)")
        if result.rejected and not result.committed and not result.dry_run:
            out("  nothing was imported; fix the rows or use --skip-bad-rows")
        if result.rejected_file:
            out(f"  rejected rows written to {result.rejected_file}")
        if result.quality:
            out(f"  data quality: {json.dumps(result.quality, default=str)[:500]}")
        if result.run_id:
            out(f"  recorded as import run {result.run_id}")
