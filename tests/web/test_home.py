"""The home page: who you are, your team, your open deals and this fiscal week's activities."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from attain.core.periods import Period
from attain.crm.models import Account, Deal, Stage
from attain.crm.services import (
    account_create,
    activity_log,
    deal_create,
    deal_update,
    exchange_rate_set,
)
from attain.org.models import Organisation, Person, Team
from attain.org.selectors import fiscal_calendar, org_today
from tests.conftest import BERLIN, PASSWORD
from tests.web import offsite_urls

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ helpers


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant on a day in the fixture organisation's zone (Europe/Berlin)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def this_week() -> Period:
    return fiscal_calendar().week_of(org_today())


def open_deal(
    owner: Person,
    stage: Stage,
    name: str,
    *,
    amount: str = "1000.00",
    currency: str | None = None,
    expected_close: date | None = None,
    next_step: str = "Send the proposal",
    account: Account | None = None,
) -> Deal:
    return deal_create(
        actor=None,
        name=name,
        owner=owner,
        amount=Decimal(amount),
        currency=currency,
        stage=stage,
        created_at=at(date(2024, 6, 3), 9),
        expected_close_date=expected_close,
        next_step=next_step,
        account=account,
    )


def signed_in(client: Client, person: Person) -> Client:
    assert person.user is not None
    client.force_login(person.user)
    return client


def chart_data(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script id="activity-chart-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match is not None, "the page carries the chart's data as JSON"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


@pytest.fixture
def acme(org: Organisation) -> Account:
    return account_create(actor=None, name="Globex Corporation")


# ------------------------------------------------------------------ who you are and your team


def test_home_shows_who_you_are(client: Client, alice: Person) -> None:
    html = signed_in(client, alice).get(reverse("home")).content.decode()

    assert "Alice Rep" in html
    assert "Sales rep" in html
    assert "1 Jan 2024" in html


def test_top_bar_shows_name_role_and_no_admin_link_for_a_rep(client: Client, alice: Person) -> None:
    html = signed_in(client, alice).get(reverse("home")).content.decode()
    topbar = html.split('<main id="main"')[0]

    assert "Attain" in topbar
    assert "Alice Rep" in topbar
    assert "Sales rep" in topbar
    assert reverse("admin:index") not in topbar
    assert 'action="/logout/"' in topbar


def test_top_bar_offers_admin_to_staff(client: Client, adam: Person, org: Organisation) -> None:
    html = signed_in(client, adam).get(reverse("home")).content.decode()

    assert reverse("admin:index") in html.split('<main id="main"')[0]


def test_a_rep_sees_their_team_with_its_manager_and_members(
    client: Client, alice: Person, bob: Person, carol: Person
) -> None:
    response = signed_in(client, alice).get(reverse("home"))
    (card,) = response.context["page"].team_cards

    assert card.relation == "member"
    assert card.team.name == "North"
    assert card.team.manager.full_name == "Maria Manager"
    assert [p.full_name for p in card.members] == ["Alice Rep", "Bob Rep", "Maria Manager"]
    assert "Carol Rep" not in response.content.decode()


def test_a_manager_sees_the_team_they_manage(
    client: Client, maria: Person, alice: Person, bob: Person
) -> None:
    response = signed_in(client, maria).get(reverse("home"))
    (card,) = response.context["page"].team_cards

    assert card.relation == "manager"
    assert card.team.name == "North"
    assert "Team you manage" in response.content.decode()


def test_an_executive_sees_the_company(
    client: Client, eve: Person, company: Team, alice: Person, bob: Person, carol: Person
) -> None:
    response = signed_in(client, eve).get(reverse("home"))
    (card,) = response.context["page"].team_cards

    assert card.relation == "company"
    assert card.team == company
    headcounts = {line.team.name: line.headcount for line in card.sub_teams}
    # North: Maria, Alice, Bob; South: Sam, Carol; Europe holds both.
    assert headcounts == {"Europe": 5, "North": 3, "South": 2}
    assert card.headcount == 5


def test_someone_without_deals_or_activities_gets_the_team_first_and_no_empty_tiles(
    client: Client, maria: Person, alice: Person
) -> None:
    html = signed_in(client, maria).get(reverse("home")).content.decode()

    assert 'class="tiles"' not in html
    assert "columns-teams-first" in html
    assert "You have no open deals right now." in html


def test_someone_outside_any_team_is_told_so(client: Client, frank: Person) -> None:
    html = signed_in(client, frank).get(reverse("home")).content.decode()

    assert "You are not in a team today." in html


# ------------------------------------------------------------------ open deals


def test_a_rep_sees_only_their_own_open_deals(
    client: Client, alice: Person, bob: Person, carol: Person, stages: dict[str, Stage]
) -> None:
    open_deal(alice, stages["Proposal"], "Alice's anvil order")
    open_deal(bob, stages["Proposal"], "Bob's rocket skates")
    open_deal(carol, stages["Proposal"], "Carol's giant magnet")

    response = signed_in(client, alice).get(reverse("home"))
    html = response.content.decode()

    assert [row.deal.name for row in response.context["page"].deals] == ["Alice's anvil order"]
    assert "Alice&#x27;s anvil order" in html
    assert "Bob&#x27;s rocket skates" not in html
    assert "Carol&#x27;s giant magnet" not in html


def test_closed_deals_are_not_listed(
    client: Client, alice: Person, stages: dict[str, Stage]
) -> None:
    deal_create(
        actor=None,
        name="Already won",
        owner=alice,
        amount=Decimal("500.00"),
        stage=stages["Won"],
        created_at=at(date(2024, 6, 3), 9),
        closed_at=at(date(2024, 6, 10), 9),
    )

    html = signed_in(client, alice).get(reverse("home")).content.decode()

    assert "Already won" not in html
    assert "You have no open deals right now." in html


def test_deal_shows_account_stage_and_amount_in_base_currency(
    client: Client, alice: Person, stages: dict[str, Stage], acme: Account
) -> None:
    open_deal(alice, stages["Negotiation"], "Anvils", amount="12500.00", account=acme)

    html = signed_in(client, alice).get(reverse("home")).content.decode()

    assert "Globex Corporation" in html
    assert "Negotiation" in html
    assert "€12,500.00" in html


def test_a_foreign_currency_deal_shows_base_amount_first_and_its_own_amount_too(
    client: Client, alice: Person, stages: dict[str, Stage]
) -> None:
    exchange_rate_set(actor=None, currency="USD", valid_from=date(2024, 1, 1), rate=Decimal("0.9"))
    open_deal(alice, stages["Proposal"], "Dollar deal", amount="1000.00", currency="USD")

    html = signed_in(client, alice).get(reverse("home")).content.decode()

    assert html.index("€900.00") < html.index("$1,000.00")


def test_a_past_expected_close_date_is_flagged(
    client: Client, alice: Person, stages: dict[str, Stage]
) -> None:
    today = org_today()
    open_deal(alice, stages["Proposal"], "Slipped", expected_close=today - timedelta(days=1))
    open_deal(alice, stages["Proposal"], "Due today", expected_close=today)
    open_deal(alice, stages["Proposal"], "Undated", expected_close=None)

    response = signed_in(client, alice).get(reverse("home"))
    flags = {row.deal.name: row.close_overdue for row in response.context["page"].deals}

    assert flags == {"Slipped": True, "Due today": False, "Undated": False}
    assert response.content.decode().count("Past due") == 1


def test_a_missing_next_step_is_flagged(
    client: Client, alice: Person, stages: dict[str, Stage]
) -> None:
    open_deal(alice, stages["Proposal"], "Planned", next_step="Demo on Friday")
    open_deal(alice, stages["Proposal"], "Empty", next_step="")
    open_deal(alice, stages["Proposal"], "Blank", next_step="   ")

    response = signed_in(client, alice).get(reverse("home"))
    flags = {row.deal.name: row.next_step_missing for row in response.context["page"].deals}

    assert flags == {"Planned": False, "Empty": True, "Blank": True}
    assert response.content.decode().count(">No next step<") == 2


def test_a_next_step_whose_date_has_passed_is_flagged_late(
    client: Client, alice: Person, stages: dict[str, Stage]
) -> None:
    today = org_today()
    for name, step, when in [
        ("Slipping", "Call the CFO", today - timedelta(days=1)),
        ("Due today", "Call the CFO", today),
        ("Undated", "Call the CFO", None),
        ("No step", "", today - timedelta(days=1)),
    ]:
        deal = open_deal(alice, stages["Proposal"], name, next_step=step)
        deal_update(actor=None, deal=deal, next_step_date=when)

    response = signed_in(client, alice).get(reverse("home"))
    flags = {row.deal.name: row.next_step_late for row in response.context["page"].deals}

    assert flags == {"Slipping": True, "Due today": False, "Undated": False, "No step": False}
    assert response.content.decode().count(">Late<") == 1


def test_deals_are_ordered_by_expected_close_with_undated_last(
    client: Client, alice: Person, stages: dict[str, Stage]
) -> None:
    today = org_today()
    open_deal(alice, stages["Proposal"], "Later", expected_close=today + timedelta(days=30))
    open_deal(alice, stages["Proposal"], "Undated", expected_close=None)
    open_deal(alice, stages["Proposal"], "Sooner", expected_close=today + timedelta(days=2))

    response = signed_in(client, alice).get(reverse("home"))

    assert [row.deal.name for row in response.context["page"].deals] == [
        "Sooner",
        "Later",
        "Undated",
    ]


# ------------------------------------------------------------------ this week's activities


def test_the_weeks_activities_are_counted_by_kind_and_outside_days_are_not(
    client: Client, alice: Person, bob: Person
) -> None:
    week = this_week()
    first, last = week.start, week.last_day
    activity_log(actor=None, kind="call", owner=alice, occurred_at=at(first, 0, 30))
    activity_log(actor=None, kind="call", owner=alice, occurred_at=at(last, 23, 30))
    activity_log(actor=None, kind="email", owner=alice, occurred_at=at(first, 12))
    # Outside the week, by a few minutes either side, and someone else's.
    activity_log(
        actor=None, kind="call", owner=alice, occurred_at=at(first - timedelta(days=1), 23, 45)
    )
    activity_log(actor=None, kind="meeting", owner=alice, occurred_at=at(week.end, 0, 15))
    activity_log(actor=None, kind="call", owner=bob, occurred_at=at(first, 10))

    response = signed_in(client, alice).get(reverse("home"))
    page = response.context["page"]

    assert page.activity_total == 3
    assert {k.kind: k.count for k in page.activity_kinds} == {
        "call": 2,
        "email": 1,
        "meeting": 0,
        "quote": 0,
        "follow_up": 0,
    }
    assert len(page.latest_activities) == 3


def test_the_chart_data_covers_every_day_of_the_fiscal_week(client: Client, alice: Person) -> None:
    week = this_week()
    activity_log(actor=None, kind="call", owner=alice, occurred_at=at(week.start, 9))
    activity_log(actor=None, kind="call", owner=alice, occurred_at=at(week.start, 11))
    activity_log(actor=None, kind="quote", owner=alice, occurred_at=at(week.last_day, 15))

    html = signed_in(client, alice).get(reverse("home")).content.decode()
    data = chart_data(html)

    days = data["days"]
    assert isinstance(days, list)
    assert [d["date"] for d in days] == [
        (week.start + timedelta(days=i)).isoformat() for i in range(7)
    ]
    series = {s["kind"]: s["counts"] for s in data["series"]}
    assert series == {"call": [2, 0, 0, 0, 0, 0, 0], "quote": [0, 0, 0, 0, 0, 0, 1]}
    assert "/static/vendor/plotly.min.js" in html


def test_a_week_without_activities_says_so_and_loads_no_chart(
    client: Client, alice: Person
) -> None:
    html = signed_in(client, alice).get(reverse("home")).content.decode()

    assert "No activities logged this week yet." in html
    assert "plotly.min.js" not in html


def test_the_latest_list_is_capped_and_says_how_many_there_are(
    client: Client, alice: Person
) -> None:
    week = this_week()
    for minute in range(12):
        activity_log(
            actor=None,
            kind="email",
            owner=alice,
            occurred_at=at(week.start, 9, minute),
            subject=f"Mail {minute}",
        )

    response = signed_in(client, alice).get(reverse("home"))
    page = response.context["page"]

    assert [a.subject for a in page.latest_activities][:2] == ["Mail 11", "Mail 10"]
    assert len(page.latest_activities) == 10
    assert "Showing the latest 10 of 12 this week." in response.content.decode()


# ------------------------------------------------------------------ people and set-up states


def test_a_login_without_a_person_gets_an_explanation(
    client: Client, org: Organisation, django_user_model: type[User]
) -> None:
    user = django_user_model.objects.create_superuser("root", "root@acme.test", PASSWORD)
    client.force_login(user)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "isn’t linked to a person" in html
    assert "root" in html
    assert reverse("admin:org_person_changelist") in html


def test_without_an_organisation_the_page_explains_how_to_load_the_demo(
    client: Client, django_user_model: type[User]
) -> None:
    user = django_user_model.objects.create_user("first", password=PASSWORD)
    client.force_login(user)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<code>attain demo</code>" in html
    # Not staff: no admin button.
    assert "/admin/" not in html


# ------------------------------------------------------------------ queries and offline


def _fill(owner: Person, stages: dict[str, Stage], account: Account, n: int) -> None:
    week = this_week()
    for i in range(n):
        deal = open_deal(
            owner,
            stages["Proposal"],
            f"Deal {i}",
            account=account,
            expected_close=week.start + timedelta(days=i % 20),
            next_step="" if i % 3 else "Call",
        )
        activity_log(
            actor=None,
            kind=["call", "email", "meeting"][i % 3],
            owner=owner,
            deal=deal,
            occurred_at=at(week.start + timedelta(days=i % 7), 9, i % 60),
        )


def _count_home_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_deals_and_activities(
    client: Client,
    alice: Person,
    bob: Person,
    stages: dict[str, Stage],
    acme: Account,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    signed_in(client, alice)
    _fill(alice, stages, acme, 3)
    few = _count_home_queries(client)
    _fill(bob, stages, acme, 30)
    signed_in(client, bob)

    with django_assert_max_num_queries(few):
        response = client.get(reverse("home"))

    assert len(response.context["page"].deals) == 30
    assert few <= 15


def test_a_manager_and_an_executive_page_stay_within_the_query_budget(
    client: Client,
    eve: Person,
    company: Team,
    maria: Person,
    alice: Person,
    bob: Person,
    carol: Person,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for person in (eve, maria):
        signed_in(client, person)
        with django_assert_max_num_queries(16):
            client.get(reverse("home"))


def test_rendered_pages_point_at_no_other_host(
    client: Client,
    alice: Person,
    eve: Person,
    company: Team,
    stages: dict[str, Stage],
    acme: Account,
    django_user_model: type[User],
) -> None:
    _fill(alice, stages, acme, 5)
    pages = {"login": client.get(reverse("login")).content.decode()}
    for person in (alice, eve):
        pages[person.full_name] = signed_in(client, person).get(reverse("home")).content.decode()
    client.force_login(django_user_model.objects.create_user("ghost", password=PASSWORD))
    pages["no person"] = client.get(reverse("home")).content.decode()
    pages["404"] = client.get("/no/such/page/").content.decode()

    offsite = {name: offsite_urls(html) for name, html in pages.items()}

    assert offsite == {name: [] for name in pages}
