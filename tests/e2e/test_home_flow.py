"""A rep signs in, lands on My performance, finds what needs attention, and signs out."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from attain.crm.models import Stage
from attain.crm.services import account_create, activity_log, deal_create
from attain.org.models import Person
from attain.org.selectors import fiscal_calendar, org_today
from tests.conftest import BERLIN, PASSWORD
from tests.e2e.conftest import Screen

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@pytest.fixture
def alices_week(alice: Person, bob: Person, stages: dict[str, Stage]) -> None:
    """Alice has open deals (one slipping, one without a next step) and a busy week; Bob a deal."""
    today = org_today()
    week = fiscal_calendar().week_of(today)
    globex = account_create(actor=None, name="Globex Corporation")
    initech = account_create(actor=None, name="Initech")
    created = _at(date(2024, 9, 2), 9)
    anvils = deal_create(
        actor=None,
        name="Anvil fleet renewal",
        owner=alice,
        account=globex,
        amount=Decimal("48250.00"),
        stage=stages["Negotiation"],
        created_at=created,
        expected_close_date=today + timedelta(days=12),
        next_step="Send the revised quote",
        next_step_date=today + timedelta(days=2),
    )
    deal_create(
        actor=None,
        name="Rocket skates pilot",
        owner=alice,
        account=initech,
        amount=Decimal("7900.00"),
        stage=stages["Proposal"],
        created_at=created,
        expected_close_date=today - timedelta(days=5),
    )
    deal_create(
        actor=None,
        name="Bob's magnet deal",
        owner=bob,
        amount=Decimal("1000.00"),
        stage=stages["Qualification"],
        created_at=created,
    )
    kinds = ["call", "email", "call", "meeting", "email", "call", "quote", "follow_up"]
    days_so_far = (today - week.start).days + 1
    for i, kind in enumerate(kinds):
        day = week.start + timedelta(days=i % days_so_far)
        activity_log(
            actor=None,
            kind=kind,
            owner=alice,
            deal=anvils if i % 2 else None,
            account=None if i % 2 else globex,
            occurred_at=_at(day, 7 + i),
            subject=f"{kind.replace('_', '-').title()} with Globex #{i + 1}",
        )


def test_alice_signs_in_lands_on_her_performance_sees_what_needs_attention_then_signs_out(
    screen: Screen, alices_week: None
) -> None:
    page = screen.page

    screen.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screen.shot("login")

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="My performance")).to_be_visible()
    attention = page.get_by_role("region", name="Needs attention")
    expect(attention.get_by_role("link", name="Rocket skates pilot").first).to_be_visible()
    expect(page.get_by_text("Bob's magnet deal")).to_have_count(0)
    week = page.get_by_role("region", name="This week's activities")
    expect(week).to_contain_text("Calls")
    # The pipeline chart is drawn by the local Plotly: Anvil (Negotiation) and Rocket (Proposal).
    pipeline = page.get_by_role("region", name="Pipeline by stage")
    expect(pipeline).to_contain_text("€56,150.00")
    expect(pipeline.locator(".main-svg").first).to_be_visible()
    screen.shot("home")

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert screen.offsite_requests == []
    assert screen.console_errors == []


def test_a_wrong_password_is_explained_on_the_form(screen: Screen, alice: Person) -> None:
    page = screen.page
    screen.goto("/login/")

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    screen.shot("login-error")


def test_an_unknown_page_shows_our_404(screen: Screen, alice: Person) -> None:
    screen.goto("/no/such/page/")

    expect(screen.page.get_by_role("heading", name="We can’t find that page")).to_be_visible()
    screen.shot("404")
    assert screen.offsite_requests == []
