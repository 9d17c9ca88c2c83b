"""Team membership history: who was in which team on which day."""

from __future__ import annotations

from datetime import date

import pytest

from attain.core.errors import ValidationFailed
from attain.org.models import Person, Team, TeamMembership
from attain.org.selectors import (
    memberships_overlapping,
    team_members_on,
    team_of,
    team_subtree,
)
from attain.org.services import membership_start, person_update


def test_a_move_mid_quarter_ends_the_old_membership_the_day_the_new_one_starts(
    alice: Person, team_north: Team, team_south: Team
) -> None:
    membership_start(actor=None, person=alice, team=team_south, start_date=date(2026, 5, 15))

    rows = list(TeamMembership.objects.filter(person=alice).order_by("start_date"))
    assert [(m.team.name, m.start_date, m.end_date) for m in rows] == [
        ("North", date(2024, 1, 1), date(2026, 5, 15)),
        ("South", date(2026, 5, 15), None),
    ]


def test_team_of_answers_by_date_around_a_move(
    alice: Person, team_north: Team, team_south: Team
) -> None:
    membership_start(actor=None, person=alice, team=team_south, start_date=date(2026, 5, 15))

    assert team_of(alice, date(2026, 5, 14)) == team_north
    assert team_of(alice, date(2026, 5, 15)) == team_south
    assert team_of(alice, date(2023, 12, 31)) is None


def test_team_members_on_a_day_follow_the_move(
    alice: Person, bob: Person, team_north: Team, team_south: Team, maria: Person
) -> None:
    membership_start(actor=None, person=alice, team=team_south, start_date=date(2026, 5, 15))

    assert set(team_members_on(team_north, date(2026, 5, 1))) == {alice, bob, maria}
    assert set(team_members_on(team_north, date(2026, 6, 1))) == {bob, maria}


def test_region_subtree_counts_members_of_every_team_below(
    alice: Person, bob: Person, carol: Person, maria: Person, sam: Person, region_europe: Team
) -> None:
    assert set(team_members_on(region_europe, date(2026, 1, 1))) == {
        alice,
        bob,
        carol,
        maria,
        sam,
    }
    assert set(team_subtree(region_europe).values_list("name", flat=True)) == {
        "Europe",
        "North",
        "South",
    }


def test_memberships_overlapping_a_quarter_include_both_sides_of_a_move(
    alice: Person, team_north: Team, team_south: Team
) -> None:
    membership_start(actor=None, person=alice, team=team_south, start_date=date(2026, 5, 15))

    north = memberships_overlapping(team_north, date(2026, 4, 1), date(2026, 7, 1))
    south = memberships_overlapping(team_south, date(2026, 4, 1), date(2026, 7, 1))

    assert any(m.person == alice and m.end_date == date(2026, 5, 15) for m in north)
    assert any(m.person == alice and m.start_date == date(2026, 5, 15) for m in south)


def test_a_membership_that_would_overlap_a_later_one_is_refused_and_nothing_changes(
    alice: Person, team_north: Team, team_south: Team
) -> None:
    membership_start(actor=None, person=alice, team=team_south, start_date=date(2026, 5, 15))
    before = list(TeamMembership.objects.filter(person=alice).values_list())

    with pytest.raises(ValidationFailed) as error:
        membership_start(actor=None, person=alice, team=team_north, start_date=date(2026, 3, 1))

    assert "start_date" in error.value.problems
    assert list(TeamMembership.objects.filter(person=alice).values_list()) == before


def test_a_membership_before_the_hire_date_is_refused(alice: Person, team_south: Team) -> None:
    with pytest.raises(ValidationFailed, match="hire date"):
        membership_start(actor=None, person=alice, team=team_south, start_date=date(2023, 6, 1))


def test_a_leaver_s_open_membership_ends_on_the_leave_date(alice: Person) -> None:
    person_update(actor=None, person=alice, leave_date=date(2026, 9, 30))

    assert TeamMembership.objects.get(person=alice).end_date == date(2026, 9, 30)
    assert team_of(alice, date(2026, 9, 30)) is None


def test_someone_with_a_planned_leave_date_can_still_move_team(
    alice: Person, team_north: Team, team_south: Team
) -> None:
    person_update(actor=None, person=alice, leave_date=date(2026, 12, 31))

    membership_start(actor=None, person=alice, team=team_south, start_date=date(2026, 6, 1))

    rows = list(TeamMembership.objects.filter(person=alice).order_by("start_date"))
    assert [(m.team.name, m.end_date) for m in rows] == [
        ("North", date(2026, 6, 1)),
        ("South", date(2026, 12, 31)),
    ]


def test_an_earlier_leave_date_shortens_memberships_that_end_later(
    alice: Person, team_south: Team
) -> None:
    person_update(actor=None, person=alice, leave_date=date(2026, 12, 31))
    person_update(actor=None, person=alice, leave_date=date(2026, 10, 1))

    assert TeamMembership.objects.get(person=alice).end_date == date(2026, 10, 1)
