"""Playwright fixtures: Debian's Chromium (never a downloaded browser), two screen sizes, offline.

Every test gets a `screen` (laptop 1366x900, then phone 390x844) whose requests to any other host
are blocked and recorded, whose console errors are collected, and which is photographed into
test-artifacts/screenshots/<database>/ when the test fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# One folder per database: tools/run_tests.py runs the two halves of the suite side by side.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2]
    / "test-artifacts"
    / "screenshots"
    / os.environ.get("ATTAIN_TEST_BACKEND", "sqlite")
)
SCREENS = {
    "laptop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the session; missing Chromium skips, except under CI=true."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires the browser tests to run")
        pytest.skip(reason)
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM
    # calls from a thread with a running loop; the test code is still plain synchronous code.
    for stale in SCREENSHOTS.glob("FAILED-*.png"):
        stale.unlink()
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Screen:
    """A browser tab at one screen size, pointed at the live server."""

    name: str
    page: Page
    base_url: str
    offsite_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")

    def shot(self, what: str) -> Path:
        """Save a full-page screenshot as test-artifacts/screenshots/<db>/<what>-<screen>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{what}-{self.name}.png"
        # Every chart on the page must have drawn (Plotly's SVG) before the picture is taken: a
        # chart that never draws is a defect, and a picture of empty boxes hides it.
        self.page.wait_for_function(
            "Array.from(document.querySelectorAll('[data-figure]'))"
            ".every(el => el.querySelector('.main-svg'))",
            timeout=15_000,
        )
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(params=list(SCREENS))
def screen(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server: LiveServer,
    settings: Settings,
) -> Iterator[Screen]:
    # The live server speaks plain HTTP; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    name: str = request.param
    context = browser.new_context(**SCREENS[name])  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    current = Screen(name=name, page=page, base_url=live_server.url)

    def only_our_server(route: Route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            current.offsite_requests.append(route.request.url)
            route.abort()

    context.route(re.compile(r".*"), only_our_server)
    page.on(
        "console",
        lambda message: (
            current.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: current.console_errors.append(str(error)))
    try:
        yield current
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            current.shot(f"FAILED-{request.node.originalname}")
        context.close()
