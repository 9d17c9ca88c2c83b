"""Shared fixtures: a small organisation with named people, so failures read like a story.

- `org`: "Acme Tools", base EUR, Europe/Berlin, calendar fiscal year starting January.
- Tree: `company` → `region_europe` → `team_north` (managed by `maria`) and `team_south`
  (managed by `sam`).
- `alice` and `bob` are reps in North, `carol` a rep in South, `eve` the executive, `frank` in
  finance, `adam` an admin. Everyone has a login with password "secret-pass-1".
- `pipeline`: the default pipeline with Qualification, Proposal, Negotiation, Won, Lost.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection

from attain.crm.models import Pipeline, Stage
from attain.crm.services import StageSpec, pipeline_create
from attain.org.models import Organisation, Person, Role, Team, TeamKind
from attain.org.services import (
    login_create,
    membership_start,
    organisation_configure,
    person_create,
    team_create,
)

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORD = "secret-pass-1"


def berlin(*args: int) -> datetime:
    """An aware datetime in the fixture organisation's time zone."""
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[arg-type,misc]


def foreign_keys_on() -> bool:
    """Whether SQLite enforces foreign keys on this connection (PostgreSQL always does)."""
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        return bool(cursor.fetchone()[0])


def pytest_report_header() -> str:
    return f"attain test backend: {os.environ.get('ATTAIN_TEST_BACKEND', 'sqlite')}"


@pytest.fixture
def backend() -> str:
    return connection.vendor


@pytest.fixture
def org(db: None) -> Organisation:
    return organisation_configure(
        actor=None,
        name="Acme Tools",
        base_currency="EUR",
        time_zone="Europe/Berlin",
        fiscal_year_start_month=1,
    )


def _person(name: str, role: str, hire: date = date(2024, 1, 1)) -> Person:
    email = f"{name.split()[0].lower()}@acme.test"
    person = person_create(actor=None, full_name=name, email=email, hire_date=hire, role=role)
    login_create(actor=None, person=person, username=name.split()[0].lower(), password=PASSWORD)
    return person


@pytest.fixture
def eve(org: Organisation) -> Person:
    return _person("Eve Exec", Role.EXECUTIVE)


@pytest.fixture
def adam(org: Organisation) -> Person:
    return _person("Adam Admin", Role.ADMIN)


@pytest.fixture
def frank(org: Organisation) -> Person:
    return _person("Frank Finance", Role.FINANCE)


@pytest.fixture
def company(org: Organisation, eve: Person) -> Team:
    return team_create(actor=None, name="Acme", kind=TeamKind.COMPANY, manager=eve)


@pytest.fixture
def region_europe(company: Team) -> Team:
    return team_create(actor=None, name="Europe", kind=TeamKind.REGION, parent=company)


@pytest.fixture
def maria(org: Organisation) -> Person:
    return _person("Maria Manager", Role.MANAGER)


@pytest.fixture
def sam(org: Organisation) -> Person:
    return _person("Sam Southmanager", Role.MANAGER)


@pytest.fixture
def team_north(region_europe: Team, maria: Person) -> Team:
    team = team_create(actor=None, name="North", parent=region_europe, manager=maria)
    membership_start(actor=None, person=maria, team=team, start_date=date(2024, 1, 1))
    return team


@pytest.fixture
def team_south(region_europe: Team, sam: Person) -> Team:
    team = team_create(actor=None, name="South", parent=region_europe, manager=sam)
    membership_start(actor=None, person=sam, team=team, start_date=date(2024, 1, 1))
    return team


@pytest.fixture
def alice(team_north: Team) -> Person:
    person = _person("Alice Rep", Role.REP)
    membership_start(actor=None, person=person, team=team_north, start_date=date(2024, 1, 1))
    return person


@pytest.fixture
def bob(team_north: Team) -> Person:
    person = _person("Bob Rep", Role.REP)
    membership_start(actor=None, person=person, team=team_north, start_date=date(2024, 1, 1))
    return person


@pytest.fixture
def carol(team_south: Team) -> Person:
    person = _person("Carol Rep", Role.REP)
    membership_start(actor=None, person=person, team=team_south, start_date=date(2024, 1, 1))
    return person


@pytest.fixture
def pipeline(org: Organisation) -> Pipeline:
    return pipeline_create(
        actor=None,
        name="Sales",
        is_default=True,
        stages=[
            StageSpec("Qualification", 10, "pipeline"),
            StageSpec("Proposal", 50, "best_case"),
            StageSpec("Negotiation", 75, "commit"),
            StageSpec("Won", 100, "closed_won"),
            StageSpec("Lost", 0, "closed_lost"),
        ],
    )


@pytest.fixture
def stages(pipeline: Pipeline) -> dict[str, Stage]:
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def admin_user(adam: Person) -> User:
    assert adam.user is not None
    return adam.user
