"""Scope: a rep sees themself, a manager their subtree (dated), an executive or admin everything.

Fixtures (tests/conftest.py): alice and bob are reps in North (maria), carol in South (sam), eve
the executive, adam the admin, frank finance. Bob moves to South on 15 May 2026 where noted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from attain.access.selectors import (
    Viewer,
    activities_visible,
    deal_get_visible,
    deals_visible,
    default_subject,
    person_ids_visible,
    subject_get_visible,
    subject_visible,
    subjects_pickable,
    viewer_for,
)
from attain.core.errors import NotFound, ValidationFailed
from attain.core.periods import Period, PeriodKind
from attain.crm.models import Deal, Stage
from attain.crm.services import activity_log, deal_change_stage, deal_create
from attain.metrics.engine.subjects import Subject
from attain.org.models import Person, Team
from attain.org.services import membership_start
from tests.conftest import berlin

pytestmark = pytest.mark.django_db

Q2 = Period(PeriodKind.QUARTER, date(2026, 4, 1), date(2026, 7, 1), "FY2026-Q2", 2026, 2)
Q3 = Period(PeriodKind.QUARTER, date(2026, 7, 1), date(2026, 10, 1), "FY2026-Q3", 2026, 3)
Q1 = Period(PeriodKind.QUARTER, date(2026, 1, 1), date(2026, 4, 1), "FY2026-Q1", 2026, 1)


def viewer(person: Person) -> Viewer:
    assert person.user is not None
    return viewer_for(user=person.user)


@pytest.fixture
def everyone(
    alice: Person,
    bob: Person,
    carol: Person,
    maria: Person,
    sam: Person,
    eve: Person,
    adam: Person,
    frank: Person,
    company: Team,
) -> dict[str, Person]:
    return {
        p.full_name.split()[0].lower(): p for p in (alice, bob, carol, maria, sam, eve, adam, frank)
    }


@pytest.fixture
def bob_moves(everyone: dict[str, Person], team_south: Team) -> Person:
    """Bob leaves North for South on 15 May 2026."""
    bob = everyone["bob"]
    membership_start(actor=None, person=bob, team=team_south, start_date=date(2026, 5, 15))
    return bob


# ------------------------------------------------------------------ viewer


def test_anonymous_visitor_has_no_viewer() -> None:
    with pytest.raises(PermissionDenied):
        viewer_for(user=AnonymousUser())


def test_roles_resolve_to_scopes(everyone: dict[str, Person], team_north: Team) -> None:
    assert viewer(everyone["eve"]).sees_everything
    assert viewer(everyone["adam"]).sees_everything
    assert not viewer(everyone["alice"]).sees_everything
    assert viewer(everyone["alice"]).managed_team_paths == ()
    assert viewer(everyone["maria"]).managed_team_paths == (team_north.path,)
    assert not viewer(everyone["frank"]).sees_everything
    assert viewer(everyone["frank"]).managed_team_paths == ()


def test_a_manager_of_a_region_and_a_team_inside_it_keeps_only_the_region(
    everyone: dict[str, Person], region_europe: Team, team_north: Team
) -> None:
    Team.objects.filter(pk=region_europe.pk).update(manager=everyone["maria"])
    assert viewer(everyone["maria"]).managed_team_paths == (region_europe.path,)


# ------------------------------------------------------------------ people


def test_a_rep_sees_only_themself(everyone: dict[str, Person]) -> None:
    ids = person_ids_visible(viewer=viewer(everyone["alice"]), start=Q2.start, end=Q2.end)
    assert ids == frozenset({everyone["alice"].pk})


def test_a_manager_sees_their_team_and_not_the_other(everyone: dict[str, Person]) -> None:
    ids = person_ids_visible(viewer=viewer(everyone["maria"]), start=Q2.start, end=Q2.end)
    assert ids is not None
    assert set(ids) == {everyone["maria"].pk, everyone["alice"].pk, everyone["bob"].pk}
    assert everyone["carol"].pk not in ids


def test_an_executive_and_an_admin_see_everyone(everyone: dict[str, Person]) -> None:
    assert person_ids_visible(viewer=viewer(everyone["eve"]), start=Q2.start, end=Q2.end) is None
    assert person_ids_visible(viewer=viewer(everyone["adam"]), start=Q2.start, end=Q2.end) is None


def test_finance_sees_only_themself_until_pay_arrives(everyone: dict[str, Person]) -> None:
    ids = person_ids_visible(viewer=viewer(everyone["frank"]), start=Q2.start, end=Q2.end)
    assert ids is not None
    assert set(ids) == {everyone["frank"].pk}


def test_a_rep_who_moved_is_visible_to_each_manager_for_the_time_in_their_team(
    everyone: dict[str, Person], bob_moves: Person
) -> None:
    maria, sam, bob = viewer(everyone["maria"]), viewer(everyone["sam"]), bob_moves
    # Q2 holds both memberships: both managers see him.
    assert bob.pk in person_ids_visible(viewer=maria, start=Q2.start, end=Q2.end)  # type: ignore[operator]
    assert bob.pk in person_ids_visible(viewer=sam, start=Q2.start, end=Q2.end)  # type: ignore[operator]
    # Q3 is all South; Q1 all North.
    assert bob.pk not in person_ids_visible(viewer=maria, start=Q3.start, end=Q3.end)  # type: ignore[operator]
    assert bob.pk not in person_ids_visible(viewer=sam, start=Q1.start, end=Q1.end)  # type: ignore[operator]
    assert subject_visible(viewer=maria, subject=Subject.for_person(bob), period=Q1)
    assert not subject_visible(viewer=maria, subject=Subject.for_person(bob), period=Q3)


# ------------------------------------------------------------------ subjects


def test_subject_visibility_by_role(
    everyone: dict[str, Person], team_north: Team, team_south: Team
) -> None:
    north, south = Subject.for_team(team_north), Subject.for_team(team_south)
    company = Subject.company()
    alice = Subject.for_person(everyone["alice"])
    carol = Subject.for_person(everyone["carol"])
    table = {
        "alice": (False, False, False, True, False),
        "carol": (False, False, False, False, True),
        "maria": (True, False, False, True, False),
        "sam": (False, True, False, False, True),
        "eve": (True, True, True, True, True),
        "adam": (True, True, True, True, True),
        "frank": (False, False, False, False, False),
    }
    for name, expected in table.items():
        v = viewer(everyone[name])
        seen = tuple(
            subject_visible(viewer=v, subject=s, period=Q2)
            for s in (north, south, company, alice, carol)
        )
        assert seen == expected, name


def test_an_unknown_and_a_hidden_subject_answer_the_same(
    everyone: dict[str, Person], team_south: Team
) -> None:
    maria = viewer(everyone["maria"])
    messages = []
    for spec in (
        "team:South",
        "team:Nowhere",
        "person:carol@acme.test",
        "person:nobody@acme.test",
        "company",
    ):
        with pytest.raises(NotFound) as caught:
            subject_get_visible(viewer=maria, spec=spec, period=Q2)
        messages.append(str(caught.value))
    assert len(set(messages)) == 1


def test_a_malformed_subject_is_a_validation_error(everyone: dict[str, Person]) -> None:
    for spec in ("", "team:", "person:  ", "north", "group:North", "company:x"):
        with pytest.raises(ValidationFailed):
            subject_get_visible(viewer=viewer(everyone["eve"]), spec=spec, period=Q2)


def test_the_company_node_by_name_is_the_company(
    everyone: dict[str, Person], company: Team
) -> None:
    subject = subject_get_visible(viewer=viewer(everyone["eve"]), spec="team:acme", period=Q2)
    assert subject == Subject.company()


def test_default_subjects(everyone: dict[str, Person], team_north: Team) -> None:
    assert default_subject(viewer=viewer(everyone["alice"]), period=Q2) == Subject.for_person(
        everyone["alice"]
    )
    assert default_subject(viewer=viewer(everyone["maria"]), period=Q2) == Subject.for_team(
        team_north
    )
    assert default_subject(viewer=viewer(everyone["eve"]), period=Q2) == Subject.company()


def test_pickable_subjects_follow_the_tree_and_the_scope(
    everyone: dict[str, Person], team_north: Team, team_south: Team
) -> None:
    specs = [s.spec for s in subjects_pickable(viewer=viewer(everyone["maria"]), period=Q2)]
    assert specs == [
        "team:North",
        "person:alice@acme.test",
        "person:bob@acme.test",
        "person:maria@acme.test",
    ]
    specs = [s.spec for s in subjects_pickable(viewer=viewer(everyone["alice"]), period=Q2)]
    assert specs == ["person:alice@acme.test"]
    specs = [s.spec for s in subjects_pickable(viewer=viewer(everyone["eve"]), period=Q2)]
    assert specs[:2] == ["company", "team:Europe"]
    assert (
        specs.index("team:North")
        < specs.index("person:alice@acme.test")
        < specs.index("team:South")
    )
    assert "person:carol@acme.test" in specs and "person:eve@acme.test" in specs


def test_a_moved_rep_is_picked_under_their_latest_team(
    everyone: dict[str, Person], bob_moves: Person
) -> None:
    specs = [s.spec for s in subjects_pickable(viewer=viewer(everyone["eve"]), period=Q2)]
    assert specs.index("person:bob@acme.test") > specs.index("team:South")
    # Maria's picker shows him under North, the only team of hers he was in.
    maria_specs = [s.spec for s in subjects_pickable(viewer=viewer(everyone["maria"]), period=Q2)]
    assert maria_specs == [
        "team:North",
        "person:alice@acme.test",
        "person:bob@acme.test",
        "person:maria@acme.test",
    ]
    assert "person:bob@acme.test" not in [
        s.spec for s in subjects_pickable(viewer=viewer(everyone["maria"]), period=Q3)
    ]


# ------------------------------------------------------------------ records


@pytest.fixture
def deals(
    everyone: dict[str, Person], stages: dict[str, Stage], bob_moves: Person
) -> dict[str, Deal]:
    qual, won = stages["Qualification"], stages["Won"]
    made = {}
    for name, owner, created in (
        ("alice-open", everyone["alice"], (2026, 4, 2, 9)),
        ("carol-open", everyone["carol"], (2026, 4, 2, 9)),
        ("bob-north", bob_moves, (2026, 4, 5, 9)),
        ("bob-south", bob_moves, (2026, 6, 1, 9)),
    ):
        made[name] = deal_create(
            actor=None,
            name=name,
            owner=owner,
            amount=Decimal("100"),
            stage=qual,
            created_at=berlin(*created),
        )
    deal_change_stage(
        actor=None, deal=made["bob-north"], stage=won, changed_at=berlin(2026, 5, 10, 12)
    )
    deal_change_stage(
        actor=None, deal=made["bob-south"], stage=won, changed_at=berlin(2026, 6, 10, 12)
    )
    return made


TODAY = date(2026, 7, 10)


def _names(queryset: object) -> set[str]:
    return {d.name for d in queryset}  # type: ignore[attr-defined]


def test_deals_visible_by_role(everyone: dict[str, Person], deals: dict[str, Deal]) -> None:
    assert _names(deals_visible(viewer=viewer(everyone["alice"]), today=TODAY)) == {"alice-open"}
    assert _names(deals_visible(viewer=viewer(everyone["carol"]), today=TODAY)) == {"carol-open"}
    # Bob's North deal (won while in North) is Maria's to open; his South deal is Sam's.
    assert _names(deals_visible(viewer=viewer(everyone["maria"]), today=TODAY)) == {
        "alice-open",
        "bob-north",
    }
    assert _names(deals_visible(viewer=viewer(everyone["sam"]), today=TODAY)) == {
        "carol-open",
        "bob-south",
    }
    assert _names(deals_visible(viewer=viewer(everyone["eve"]), today=TODAY)) == set(deals)
    assert _names(deals_visible(viewer=viewer(everyone["frank"]), today=TODAY)) == set()


def test_another_teams_deal_answers_like_a_missing_one(
    everyone: dict[str, Person], deals: dict[str, Deal]
) -> None:
    maria = viewer(everyone["maria"])
    assert deal_get_visible(viewer=maria, deal_id=deals["alice-open"].pk, today=TODAY).name == (
        "alice-open"
    )
    messages = []
    for deal_id in (deals["carol-open"].pk, deals["bob-south"].pk, 999_999):
        with pytest.raises(NotFound) as caught:
            deal_get_visible(viewer=maria, deal_id=deal_id, today=TODAY)
        messages.append(str(caught.value))
    assert len(set(messages)) == 1
    with pytest.raises(NotFound):
        deal_get_visible(
            viewer=viewer(everyone["alice"]), deal_id=deals["carol-open"].pk, today=TODAY
        )


def test_an_open_deal_of_a_rep_who_moved_in_stays_with_the_new_manager(
    everyone: dict[str, Person], deals: dict[str, Deal], team_south: Team
) -> None:
    """Alice moves to South on 1 Jul: her open deal is Sam's to see from then, and still Maria's
    (it lived in North before)."""
    membership_start(
        actor=None, person=everyone["alice"], team=team_south, start_date=date(2026, 7, 1)
    )
    assert "alice-open" in _names(deals_visible(viewer=viewer(everyone["sam"]), today=TODAY))
    assert "alice-open" in _names(deals_visible(viewer=viewer(everyone["maria"]), today=TODAY))


def test_activities_follow_the_owners_team_on_the_day(
    everyone: dict[str, Person], bob_moves: Person
) -> None:
    activity_log(actor=None, kind="call", owner=bob_moves, occurred_at=berlin(2026, 5, 1, 10))
    activity_log(actor=None, kind="email", owner=bob_moves, occurred_at=berlin(2026, 6, 1, 10))
    activity_log(
        actor=None, kind="meeting", owner=everyone["carol"], occurred_at=berlin(2026, 6, 2, 10)
    )

    def kinds(name: str) -> set[str]:
        return set(activities_visible(viewer=viewer(everyone[name])).values_list("kind", flat=True))

    assert kinds("maria") == {"call"}
    assert kinds("sam") == {"email", "meeting"}
    assert kinds("bob") == {"call", "email"}
    assert kinds("alice") == set()
    assert kinds("eve") == {"call", "email", "meeting"}


def test_the_picker_can_list_people_of_one_subtree_only(
    everyone: dict[str, Person], team_north: Team, team_south: Team
) -> None:
    from attain.access.selectors import subject_tree_pickable

    eve = viewer(everyone["eve"])
    people = [
        i.subject.spec
        for i in subject_tree_pickable(viewer=eve, period=Q2, people_under=team_north.path)
        if i.subject.kind == "person"
    ]
    assert people == [
        "person:alice@acme.test",
        "person:bob@acme.test",
        "person:maria@acme.test",
        "person:eve@acme.test",
    ]
    none = [
        i.subject.spec
        for i in subject_tree_pickable(viewer=eve, period=Q2, people_under="")
        if i.subject.kind == "person"
    ]
    assert none == ["person:eve@acme.test"]  # only herself; every team is still listed
