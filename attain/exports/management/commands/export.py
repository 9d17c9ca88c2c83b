"""`attain export KIND --format csv|xlsx [--period P] [--output FILE]`: the import format, out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from attain.core.errors import AttainError
from attain.core.periods import PeriodError
from attain.exports.selectors import EXPORT_KINDS, export_columns, export_rows
from attain.exports.writers import FORMATS, csv_write, xlsx_write
from attain.org.selectors import period_parse


class Command(BaseCommand):
    help = (
        "Export deals, activities, accounts, people or targets as CSV or XLSX with the generic "
        "import format's columns (re-import with `attain import KIND FILE --source generic`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=EXPORT_KINDS)
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument(
            "--period",
            help="FY2026-Q2, this-quarter, 2026-01-01..2026-03-31, … (deals created or closed "
            "in it; activities that happened in it; targets overlapping it)",
        )
        parser.add_argument(
            "--output", "-o", type=Path, help="file to write (default: standard output for csv)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["kind"]
        fmt: str = options["format"]
        output: Path | None = options["output"]
        if fmt == "xlsx" and output is None:
            raise CommandError("--format xlsx needs --output FILE (a workbook is not text)")
        try:
            period = period_parse(options["period"]) if options["period"] else None
            columns = export_columns(kind)
            rows = export_rows(kind=kind, period=period)
            if fmt == "xlsx":
                assert output is not None
                count = xlsx_write(output, columns, rows, sheet=kind)
            elif output is None:
                count = csv_write(self.stdout, columns, rows)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    count = csv_write(out, columns, rows)
        except BrokenPipeError:  # `attain export deals | head`: the reader has had enough
            sys.stderr.close()
            return
        except PeriodError as exc:
            raise CommandError(f"--period: {exc}") from exc
        except (AttainError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if output is not None:
            where = f" for {period.label}" if period else ""
            print(f"Exported {count:,} {kind}{where} to {output}", file=sys.stderr)
