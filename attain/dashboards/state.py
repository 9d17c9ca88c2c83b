"""A dashboard page's state: who is looking, at which period and which subject.

The state lives in the URL query (`?period=FY2026-Q3&subject=team:North`) so any page can be shared
as a link. `page_state` parses it with the viewer's scope; a malformed period or subject raises
`InvalidPageState` (the page answers 400 and says what was wrong), a subject outside the viewer's
scope raises `NotFound` (404, exactly as if it did not exist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from attain.access.selectors import (
    PickableSubject,
    Viewer,
    default_subject,
    person_team_path,
    subject_get_visible,
    subject_tree_pickable,
    viewer_for,
)
from attain.core.errors import AttainError, ValidationFailed
from attain.core.periods import FiscalCalendar, Period, PeriodError, PeriodKind, parse_period
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.org.models import Organisation

DEFAULT_PERIOD = "this-quarter"
MAX_PARAM_LENGTH = 200

# The picker's presets, in the order a sales manager reviews: this week, month, quarter, year.
PERIOD_PRESETS: tuple[tuple[str, str], ...] = (
    ("this-week", "This week"),
    ("last-week", "Last week"),
    ("this-month", "This month"),
    ("last-month", "Last month"),
    ("this-quarter", "This quarter"),
    ("last-quarter", "Last quarter"),
    ("this-year", "This year"),
    ("last-year", "Last year"),
)

# "2026-Q3", "2026-M05", "2026-W07" are read as the fiscal FY2026-… forms people also type.
_SHORT_FISCAL = re.compile(r"^(\d{4})-([QMW]\d{1,2})$", re.IGNORECASE)


class InvalidPageState(AttainError):
    """The URL's period or subject cannot be understood; `problems` maps parameter to reason."""

    def __init__(self, problems: dict[str, str], *, hints: list[str] | None = None) -> None:
        self.problems = dict(problems)
        self.hints = list(hints or [])
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


@dataclass(frozen=True)
class PeriodChoice:
    value: str
    label: str
    period: Period


@dataclass(frozen=True)
class PageState:
    """Everything a dashboard view needs to know about the request, parsed once."""

    viewer: Viewer
    org: Organisation
    ctx: MetricsContext
    period: Period
    period_param: str  # what the URL says (a preset such as this-quarter, or a label)
    subject: Subject
    query: QueryDict
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.ctx.today

    @property
    def currency(self) -> str:
        return self.org.base_currency

    def params(self, **overrides: str | None) -> dict[str, str]:
        """The page's state as query parameters; an override of None drops the parameter."""
        params = {"period": self.period_param, "subject": self.subject.spec}
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        return params

    def url(self, name: str, **overrides: str | None) -> str:
        """A URL to a named page carrying this state, e.g. state.url("dashboards:team")."""
        return f"{reverse(name)}?{urlencode(self.params(**overrides))}"

    def period_choices(self) -> list[PeriodChoice]:
        """The period picker's presets resolved against today (labels show the fiscal name)."""
        choices = []
        for value, label in PERIOD_PRESETS:
            period = parse_period(value, self.ctx.calendar, self.today)
            choices.append(PeriodChoice(value, f"{label} · {period.label}", period))
        return choices

    @property
    def period_is_preset(self) -> bool:
        return self.period_param in {value for value, _ in PERIOD_PRESETS}

    def subject_tree(self) -> list[PickableSubject]:
        """The subject picker. Someone who sees everything gets the whole team tree but only the
        people of the team in view (the person in view's team), not the whole company's names."""
        people_under = None
        if self.viewer.sees_everything:
            people_under = self.subject.team_path if self.subject.kind == "team" else ""
            if self.subject.kind == "person" and self.subject.person_id is not None:
                people_under = person_team_path(
                    person_id=self.subject.person_id, period=self.period
                )
        return subject_tree_pickable(
            viewer=self.viewer, period=self.period, people_under=people_under
        )


def pinned_today() -> date | None:
    """The real clock (None). Tests patch this to pin "today" for exact figures."""
    return None


def _param(query: QueryDict, name: str) -> str:
    value = query.get(name, "") or ""
    if len(value) > MAX_PARAM_LENGTH:
        raise InvalidPageState({name: f"is longer than {MAX_PARAM_LENGTH} characters"})
    if "\x00" in value:
        raise InvalidPageState({name: "contains a NUL character"})
    return value.strip()


def period_from_text(text: str, *, calendar: FiscalCalendar, today: date) -> Period:
    """Parse a period as people type it (FY2026-Q3, 2026-Q3, this-quarter, a date range…)."""
    typed = text
    short = _SHORT_FISCAL.match(text)
    if short:
        text = f"FY{short.group(1)}-{short.group(2)}"
    try:
        return parse_period(text, calendar, today)
    except PeriodError as error:
        first, _, rest = str(error).partition("\n")
        first = first.removesuffix(" Accepted forms (case-insensitive):").rstrip(":")
        if typed != text:
            first = first.replace(repr(text), repr(typed), 1)
        hints = [line.strip().removeprefix("- ") for line in rest.splitlines() if line.strip()]
        raise InvalidPageState({"period": first}, hints=hints) from None


def page_state(
    request: HttpRequest, *, today: date | None = None, default_self: bool = False
) -> PageState:
    """Parse `period` (or `period_custom`, the picker's free-text box) and `subject`.

    Missing parameters take defaults: this quarter, and the viewer's default subject (themself,
    their top managed team, or the company; themself whatever their role with `default_self`).
    Raises InvalidPageState or NotFound.
    """
    viewer = viewer_for(user=request.user)
    ctx = MetricsContext.load(today=today or pinned_today())
    org = ctx.org
    custom = _param(request.GET, "period_custom")
    period_text = custom or _param(request.GET, "period") or DEFAULT_PERIOD
    period = period_from_text(period_text, calendar=ctx.calendar, today=ctx.today)
    subject_text = _param(request.GET, "subject")
    if subject_text:
        try:
            subject = subject_get_visible(viewer=viewer, spec=subject_text, period=period)
        except ValidationFailed as error:
            raise InvalidPageState(error.problems) from None
    elif default_self and viewer.person is not None:
        subject = Subject.for_person(viewer.person)
    else:
        subject = default_subject(viewer=viewer, period=period)
    return PageState(
        viewer=viewer,
        org=org,
        ctx=ctx,
        period=period,
        period_param=_period_param(period_text, period),
        subject=subject,
        query=request.GET,
    )


def _period_param(text: str, period: Period) -> str:
    """What links carry: a relative preset stays relative (a bookmark of "this quarter" rolls
    over), a fiscal period its canonical label, a date or range what was typed."""
    if text.lower() in _PRESET_VALUES:
        return text.lower()
    if period.kind in (PeriodKind.RANGE, PeriodKind.DAY):
        return text
    return period.label


_PRESET_VALUES = frozenset(value for value, _ in PERIOD_PRESETS) | {
    "today",
    "yesterday",
    "ytd",
    "qtd",
    "mtd",
    "next-week",
    "next-month",
    "next-quarter",
    "next-year",
}


def state_context(state: PageState, **context: Any) -> dict[str, Any]:
    """Template context every dashboard page gets: the state and the pickers' choices."""
    return {"state": state, "person": state.viewer.person, **context}


__all__ = [
    "InvalidPageState",
    "PageState",
    "page_state",
    "period_from_text",
    "state_context",
]
