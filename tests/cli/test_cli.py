"""The `attain` command: bad settings give one readable paragraph and exit 2, not a traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from attain.org.models import Person, Team
from attain.org.selectors import team_of

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "x" * 60


def run_attain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ATTAIN_", "DJANGO_")) and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "attain.cli.main", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_outside_debug_is_refused_with_the_variable_named() -> None:
    result = run_attain("check")

    assert result.returncode == 2
    assert "ATTAIN_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_database_url_names_the_variable() -> None:
    result = run_attain("check", env={"ATTAIN_DEBUG": "1", "DATABASE_URL": "mysql://nope"})

    assert result.returncode == 2
    assert "DATABASE_URL='mysql://nope' is not a database URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_paragraph_naming_the_url_without_password() -> None:
    result = run_attain(
        "migrate",
        env={
            "ATTAIN_DEBUG": "1",
            "DATABASE_URL": "postgres://attain:hunter2@127.0.0.1:9/attain",
        },
    )

    assert result.returncode == 2
    assert "could not use the database at DATABASE_URL=postgres://attain:***@127.0.0.1:9" in (
        result.stderr.replace("\n", " ")
    )
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_time_zone_is_refused() -> None:
    result = run_attain("check", env={"ATTAIN_DEBUG": "1", "ATTAIN_TIME_ZONE": "Mars/Base"})

    assert result.returncode == 2
    assert "ATTAIN_TIME_ZONE='Mars/Base' is not a known time zone" in result.stderr


def test_a_bad_boolean_is_refused() -> None:
    result = run_attain("check", env={"ATTAIN_DEBUG": "maybe"})

    assert result.returncode == 2
    assert "ATTAIN_DEBUG='maybe' is not a boolean" in result.stderr


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = run_attain(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "ATTAIN_SECRET_KEY": GOOD_KEY + "-Zq9!",
            "ATTAIN_ALLOWED_HOSTS": "attain.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        },
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_createuser_reads_the_password_from_stdin_and_joins_the_team(
    team_north: Team,
) -> None:
    stdin = sys.stdin
    try:
        sys.stdin = io.StringIO("long-enough-pw\n")
        call_command(
            "createuser",
            "dora",
            "--email=dora@acme.test",
            "--name=Dora Explorer",
            "--role=rep",
            "--team=North",
            "--hire-date=2025-04-01",
            "--password-stdin",
        )
    finally:
        sys.stdin = stdin

    person = Person.objects.get(email="dora@acme.test")
    assert authenticate(username="dora", password="long-enough-pw") == person.user
    assert team_of(person, date(2025, 4, 1)) == team_north


@pytest.mark.django_db
def test_createuser_errors_name_the_field(org: object) -> None:
    stdin = sys.stdin
    try:
        sys.stdin = io.StringIO("long-enough-pw\n")
        with pytest.raises(CommandError, match="email"):
            call_command(
                "createuser",
                "zed",
                "--email=not-mail",
                "--name=Zed",
                "--hire-date=2025-04-01",
                "--password-stdin",
            )
    finally:
        sys.stdin = stdin
