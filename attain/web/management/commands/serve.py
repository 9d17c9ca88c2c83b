"""`attain serve`: run the web app (Django's development server, static files via WhiteNoise)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Serve the Attain web app (default http://127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--reload", action="store_true", help="restart when code changes (development)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(
                f"the database has {len(pending)} unapplied migrations; run `attain migrate` first."
            )
        address = f"{options['host']}:{options['port']}"
        self.stdout.write(f"Attain is serving on http://{address}/ (Ctrl-C stops it)")
        call_command("runserver", address, use_reloader=options["reload"])
