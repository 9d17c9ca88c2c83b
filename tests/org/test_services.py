"""Organisation, people and team services: validation that names the field, and audit records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from attain.core.errors import ValidationFailed
from attain.core.periods import PeriodType
from attain.org.models import Organisation, Person, Role, Team
from attain.org.selectors import fiscal_calendar, period_parse
from attain.org.services import (
    holiday_add,
    organisation_configure,
    person_create,
    team_create,
)


def test_organisation_settings_drive_the_fiscal_calendar(org: Organisation) -> None:
    organisation_configure(
        actor=None, fiscal_year_start_month=2, period_type="4-4-5", working_weekdays="0123"
    )
    holiday_add(actor=None, day=date(2026, 12, 24), name="Christmas Eve")

    calendar = fiscal_calendar()

    assert calendar.start_month == 2
    assert calendar.period_type is PeriodType.P445
    assert calendar.working_weekdays == frozenset({0, 1, 2, 3})
    assert date(2026, 12, 24) in calendar.holidays


def test_period_parse_uses_the_organisation_calendar(org: Organisation) -> None:
    organisation_configure(actor=None, fiscal_year_start_month=2)

    period = period_parse("FY2027-Q1", today=date(2026, 11, 23))

    assert (period.start, period.end) == (date(2026, 2, 1), date(2026, 5, 1))


def test_organisation_validation_reports_every_bad_field_at_once(org: Organisation) -> None:
    with pytest.raises(ValidationFailed) as error:
        organisation_configure(
            actor=None,
            base_currency="EURO",
            time_zone="Mars/Olympus",
            fiscal_year_start_month=13,
            period_type="4-4-4",
        )

    assert set(error.value.problems) == {
        "base_currency",
        "time_zone",
        "fiscal_year_start_month",
        "period_type",
    }
    org.refresh_from_db()
    assert (org.base_currency, org.time_zone) == ("EUR", "Europe/Berlin")


def test_person_create_normalises_email_and_writes_an_audit_record(org: Organisation) -> None:
    person = person_create(
        actor=None,
        full_name="Dana Doe",
        email="  Dana@Acme.TEST ",
        hire_date=date(2025, 3, 1),
        fte="0.5",
    )

    assert person.email == "dana@acme.test"
    assert person.fte == Decimal("0.50")
    entry = LogEntry.objects.get(object_pk=str(person.pk), content_type__model="person")
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes["email"] == [None, "dana@acme.test"]


def test_person_validation_names_each_field_and_stores_nothing(org: Organisation) -> None:
    with pytest.raises(ValidationFailed) as error:
        person_create(
            actor=None,
            full_name=" ",
            email="not-an-email",
            hire_date=date(2025, 3, 1),
            leave_date=date(2025, 1, 1),
            role="boss",
            fte="1.5",
        )

    assert set(error.value.problems) == {"full_name", "email", "leave_date", "role", "fte"}
    assert not Person.objects.exists()


def test_duplicate_email_is_refused(alice: Person) -> None:
    with pytest.raises(ValidationFailed, match="already belongs"):
        person_create(
            actor=None, full_name="Alice Two", email="ALICE@acme.test", hire_date=date(2025, 1, 1)
        )


def test_team_paths_make_subtrees_prefix_queries(
    company: Team, region_europe: Team, team_north: Team
) -> None:
    assert company.path == f"/{company.pk}/"
    assert region_europe.path == f"/{company.pk}/{region_europe.pk}/"
    assert team_north.path.startswith(region_europe.path)


def test_only_the_company_sits_at_the_root(company: Team) -> None:
    with pytest.raises(ValidationFailed) as error:
        team_create(actor=None, name="Orphans", kind="team")
    assert "parent" in error.value.problems
    with pytest.raises(ValidationFailed) as error:
        team_create(actor=None, name="Second Co", kind="company")
    assert "kind" in error.value.problems


def test_roles_are_the_documented_five() -> None:
    assert Role.values == ["rep", "manager", "executive", "finance", "admin"]


def test_time_zone_cannot_change_once_crm_records_exist(alice: Person) -> None:
    from attain.crm.services import activity_log
    from tests.conftest import berlin

    organisation_configure(actor=None, time_zone="Europe/Paris")  # no records yet: allowed
    activity_log(actor=None, kind="call", owner=alice, occurred_at=berlin(2026, 1, 5, 9))

    with pytest.raises(ValidationFailed) as error:
        organisation_configure(actor=None, time_zone="America/New_York")

    assert "time_zone" in error.value.problems
    assert Organisation.objects.get().time_zone == "Europe/Paris"
