# ruff: noqa: F811  (fixtures imported from review_fixtures are redefined as parameters)
"""A manager reviews the team: team page, another period, sorts the reps, drills into a number and
reaches a deal; then the pipeline review and data quality. A rep cannot open another rep's deal.

Data: the hand-checked history of tests/metrics/conftest.py, "today" pinned to 10 Jul 2026, so
last quarter (FY2026-Q2) holds Alice's won deal Alpha and Bob's Epsilon in North.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from attain.org.models import Person
from tests.conftest import PASSWORD
from tests.dashboards.review_fixtures import History, ctx, history, pinned, q2  # noqa: F401
from tests.e2e.conftest import Screen

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("pinned"),
]


def sign_in(screen: Screen, username: str) -> Page:
    page = screen.page
    screen.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def test_a_manager_reviews_the_team_and_reaches_a_deal(
    screen: Screen, history: History, maria: Person
) -> None:
    page = sign_in(screen, "maria")

    screen.goto("/team/")
    expect(page.locator("h1")).to_have_text("North")
    expect(page.locator(".nav a[aria-current=page]")).to_have_text("Team")
    page.locator("select[name=period]").first.select_option("last-quarter")
    expect(page).to_have_url(re.compile(r"period=last-quarter"))
    expect(page.locator(".dash-sub")).to_contain_text("FY2026-Q2")
    screen.shot("team")

    table = page.locator("#rep-table")
    name_header = table.locator("thead th").first
    name_header.get_by_role("link").click()
    expect(table.locator("thead th").first).to_have_attribute("aria-sort", re.compile("ending"))
    expect(page).to_have_url(re.compile(r"sort=name"))

    alice = page.locator("#rep-table tbody tr").filter(has_text="Alice Rep")
    alice.locator("a.drill").first.click()
    expect(page).to_have_url(re.compile(r"/records/\?kpi="))
    expect(page.locator("h1")).to_contain_text("the records behind it")
    screen.shot("records")

    page.locator(".records-table a.deal-name", has_text="Alpha").click()
    expect(page.locator("h1")).to_have_text("Alpha")
    expect(page.get_by_role("heading", name="Stage history")).to_be_visible()
    expect(page.locator(".timeline li")).to_have_count(3)  # created, Proposal, Won
    screen.shot("deal")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline").click()
    expect(page.locator("h1")).to_have_text("Pipeline review")
    page.locator("a.tile[data-filter=stalled]").click()  # an htmx swap, the URL follows
    expect(page).to_have_url(re.compile(r"stalled=1"))
    expect(page.locator("#deals-count")).to_contain_text("1 deal")
    row = page.locator(".review-table tbody tr").filter(has_text="Delta")
    expect(row).to_contain_text("Stalled")
    expect(page.locator(".review-table")).not_to_contain_text("Eta")
    screen.shot("pipeline")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Data quality").click()
    expect(page.locator("h1")).to_have_text("Data quality")
    expect(page.locator("#quality-reps")).to_contain_text("Alice Rep")
    screen.shot("quality")

    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    assert screen.offsite_requests == []
    assert screen.console_errors == []


def test_a_rep_cannot_open_another_reps_deal(
    screen: Screen, history: History, alice: Person
) -> None:
    page = sign_in(screen, "alice")
    screen.goto(f"/deals/{history.deals['eta'].pk}/")
    expect(page.get_by_role("heading", name="We can’t find that page")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Carol")
    screen.shot("deal-404")
    screen.goto(f"/deals/{history.deals['delta'].pk}/")
    expect(page.locator("h1")).to_have_text("Delta")
