"""`attain createuser`: add a person with a login (and optionally put them in a team)."""

from __future__ import annotations

import getpass
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from attain.core.errors import AttainError, ValidationFailed
from attain.org.models import Role
from attain.org.selectors import org_today, team_get
from attain.org.services import login_create, membership_start, person_create


class Command(BaseCommand):
    help = "Create a person with a login. The password is prompted for, or read from stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="full name")
        parser.add_argument("--role", choices=Role.values, default=Role.REP)
        parser.add_argument("--title", default="")
        parser.add_argument("--team", help="team name to join from the hire date")
        parser.add_argument(
            "--hire-date", type=date.fromisoformat, help="YYYY-MM-DD; default today"
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options["password_stdin"])
        try:
            hire = options["hire_date"] or org_today()
            team = team_get(options["team"]) if options["team"] else None
            with transaction.atomic():
                person = person_create(
                    actor=None,
                    full_name=options["name"],
                    email=options["email"],
                    role=options["role"],
                    title=options["title"],
                    hire_date=hire,
                )
                login_create(
                    actor=None, person=person, username=options["username"], password=password
                )
                if team is not None:
                    membership_start(actor=None, person=person, team=team, start_date=hire)
        except ValidationFailed as exc:
            raise CommandError(
                "; ".join(f"{field}: {why}" for field, why in exc.problems.items())
            ) from None
        except AttainError as exc:
            raise CommandError(str(exc)) from None
        where = f" in {team.name}" if team else ""
        self.stdout.write(
            f"Created {person.full_name} ({person.role}){where}, login {options['username']}"
        )

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        else:
            raise CommandError("no terminal to ask for a password; use --password-stdin")
        if len(password) < 8:
            raise CommandError("the password must be at least 8 characters")
        return password
