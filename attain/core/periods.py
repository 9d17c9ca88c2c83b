"""Fiscal calendars and reporting periods.

Every goal, KPI and dashboard in Attain is evaluated over a period: a fiscal year, quarter,
month or week, a single day, or an arbitrary date range. This module is the one place that
knows how those periods are laid out, so that a "Q2" means the same dates everywhere.

It is pure Python (no Django) so it can be used from management commands, the ORM layer and
tests alike. All periods are half-open date intervals ``[start, end)``; converting them to
instants always goes through an explicit time zone, because "the last day of the quarter"
ends at a different instant in Berlin than in Los Angeles.

See ``docs/periods.md`` for the user-facing description of the rules.
"""

from __future__ import annotations

import calendar as _calendar
import functools
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

__all__ = [
    "FiscalCalendar",
    "Period",
    "PeriodError",
    "PeriodKind",
    "PeriodType",
    "WeekRule",
    "YearNaming",
    "local_date",
    "parse_period",
]

_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)

# Internally a fiscal year is identified by its "anchor": the calendar year of the month in
# which it nominally starts. Anchors are limited so that every date we compute stays inside
# datetime.date's range (years 1..9999) with room for the neighbouring years.
_MIN_ANCHOR = 2
_MAX_ANCHOR = 9998

_WEEKS_PER_QUARTER = 13
_QUARTERS = 4
_MONTHS = 12


class PeriodType(StrEnum):
    """How a fiscal year is cut into months."""

    CALENDAR = "calendar"
    P445 = "4-4-5"
    P454 = "4-5-4"
    P544 = "5-4-4"


class WeekRule(StrEnum):
    """Where a week-based fiscal year ends, which decides when it gets a 53rd week."""

    LAST = "last"
    NEAREST = "nearest"


class YearNaming(StrEnum):
    """Which calendar year a fiscal year is named after."""

    END = "end"
    START = "start"


class PeriodKind(StrEnum):
    """The granularity of a period."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"
    RANGE = "range"


_FISCAL_KINDS = frozenset({PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK})

# Weeks per fiscal month within one quarter, for the week-based period types.
_MONTH_PATTERNS: dict[PeriodType, tuple[int, int, int]] = {
    PeriodType.P445: (4, 4, 5),
    PeriodType.P454: (4, 5, 4),
    PeriodType.P544: (5, 4, 4),
}

_ACCEPTED_FORMS = (
    "FY2026 (fiscal year)",
    "FY2026-Q2 (fiscal quarter 1-4)",
    "FY2026-M05 or FY2026-M5 (fiscal month 1-12)",
    "FY2026-W07 or FY2026-W7 (fiscal week)",
    "2026-03-04 (one day)",
    "2026-01-01..2026-03-31 (date range, last day included)",
    "today, yesterday",
    "this-week, last-week, next-week",
    "this-month, last-month, next-month",
    "this-quarter, last-quarter, next-quarter",
    "this-year, last-year, next-year",
    "ytd, qtd, mtd (fiscal year/quarter/month to date, today included)",
)


class PeriodError(ValueError):
    """A period could not be parsed or does not exist in the fiscal calendar."""


@dataclass(frozen=True)
class Period:
    """A half-open interval of dates ``[start, end)`` with a human-readable label.

    Half-open bounds make adjacent periods share a boundary instead of leaving a
    one-day (or one-microsecond) gap, which keeps sums over sub-periods exact.
    """

    kind: PeriodKind
    start: date
    end: date
    label: str
    fiscal_year: int | None = None
    number: int | None = None

    def __post_init__(self) -> None:
        """Reject empty or inverted periods early; every caller assumes at least one day."""
        if self.end <= self.start:
            raise ValueError(f"Period end ({self.end}) must be after its start ({self.start})")

    def contains(self, d: date) -> bool:
        """Whether the day ``d`` lies in this period."""
        return self.start <= d < self.end

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The last day included in the period (``end`` is exclusive)."""
        return self.end - _ONE_DAY

    def start_at(self, tz: tzinfo) -> datetime:
        """The first instant of the period in ``tz`` (local midnight of ``start``).

        Measure durations in UTC: Python subtracts two datetimes that share a tzinfo by wall
        clock, so a 23-hour DST day would otherwise come out as 24 hours.
        """
        return _local_midnight(self.start, tz)

    def end_at(self, tz: tzinfo) -> datetime:
        """The first instant after the period in ``tz`` (local midnight of ``end``, exclusive)."""
        return _local_midnight(self.end, tz)

    def contains_instant(self, instant: datetime, tz: tzinfo) -> bool:
        """Whether an aware instant falls in the period, judged by its local date in ``tz``."""
        return self.contains(local_date(instant, tz))


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The calendar date of an aware instant as seen in ``tz``.

    Naive datetimes are refused because guessing their zone is exactly the kind of silent
    error that moves a deal into the wrong quarter.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"local_date() needs an aware datetime, got naive {instant!r}")
    return instant.astimezone(tz).date()


def _local_midnight(d: date, tz: tzinfo) -> datetime:
    """Local midnight of ``d`` in ``tz``, normalised through UTC.

    Where midnight does not exist (a DST gap starting at 00:00, as in America/Santiago) the
    normalisation yields the first real instant of the day, e.g. 01:00.
    """
    wall = datetime.combine(d, time.min, tzinfo=tz)
    return wall.astimezone(UTC).astimezone(tz)


def _add_months(d: date, months: int) -> date:
    """Day 1 of the month ``months`` after the month of ``d`` (``d`` must be a day 1)."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _shift_one_year_back(d: date) -> date:
    """The same day one calendar year earlier; 29 February becomes 28 February."""
    if d.month == 2 and d.day == 29:
        return date(d.year - 1, 2, 28)
    return d.replace(year=d.year - 1)


def _range(start: date, end: date) -> Period:
    """A plain date range; its label shows the inclusive last day so users read it naturally."""
    last = end - _ONE_DAY
    return Period(PeriodKind.RANGE, start, end, f"{start.isoformat()}..{last.isoformat()}")


def _day(d: date) -> Period:
    """A single-day period labelled with its ISO date."""
    return Period(PeriodKind.DAY, d, d + _ONE_DAY, d.isoformat())


def _fiscal_label(kind: PeriodKind, fiscal_year: int, number: int | None) -> str:
    """Label of a fiscal period, e.g. ``FY2026-Q2``; zero-padded so labels sort correctly."""
    year_label = f"FY{fiscal_year:04d}"
    if kind is PeriodKind.YEAR or number is None:
        return year_label
    prefix = {PeriodKind.QUARTER: "Q", PeriodKind.MONTH: "M", PeriodKind.WEEK: "W"}[kind]
    width = 1 if kind is PeriodKind.QUARTER else 2
    return f"{year_label}-{prefix}{number:0{width}d}"


def _fiscal(kind: PeriodKind, start: date, end: date, fiscal_year: int, number: int) -> Period:
    """Build a fiscal quarter, month or week with its canonical label."""
    return Period(kind, start, end, _fiscal_label(kind, fiscal_year, number), fiscal_year, number)


def _enum_field(enum_type: type[StrEnum], value: object, name: str) -> StrEnum:
    """Coerce a configuration value (often a string from the database) into its enum."""
    if isinstance(value, str):
        try:
            return enum_type(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(member.value) for member in enum_type)
    raise ValueError(f"FiscalCalendar.{name} must be one of {allowed}, got {value!r}")


def _is_int(value: object) -> bool:
    """True for real integers; ``bool`` is excluded because ``True`` as a month is a bug."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class FiscalCalendar:
    """An organisation's fiscal calendar and working week.

    The calendar is an immutable value so it can be cached, hashed and shared between
    requests; all period arithmetic is derived from these few settings.
    """

    start_month: int = 1
    period_type: PeriodType = PeriodType.CALENDAR
    week_start: int = 0
    week_rule: WeekRule = WeekRule.LAST
    naming: YearNaming = YearNaming.END
    working_weekdays: frozenset[int] = field(default=frozenset({0, 1, 2, 3, 4}))
    holidays: frozenset[date] = field(default=frozenset())

    def __post_init__(self) -> None:
        """Validate settings up front so a bad configuration fails loudly, naming the field."""
        if not _is_int(self.start_month) or not 1 <= self.start_month <= 12:
            raise ValueError(
                f"FiscalCalendar.start_month must be an integer 1..12 (1 = January), "
                f"got {self.start_month!r}"
            )
        if not _is_int(self.week_start) or not 0 <= self.week_start <= 6:
            raise ValueError(
                f"FiscalCalendar.week_start must be a weekday 0..6 (0 = Monday), "
                f"got {self.week_start!r}"
            )
        object.__setattr__(
            self, "period_type", _enum_field(PeriodType, self.period_type, "period_type")
        )
        object.__setattr__(self, "week_rule", _enum_field(WeekRule, self.week_rule, "week_rule"))
        object.__setattr__(self, "naming", _enum_field(YearNaming, self.naming, "naming"))
        try:
            weekdays = frozenset(self.working_weekdays)
        except TypeError:
            raise ValueError(
                f"FiscalCalendar.working_weekdays must be a set of weekdays 0..6, "
                f"got {self.working_weekdays!r}"
            ) from None
        if not weekdays:
            raise ValueError("FiscalCalendar.working_weekdays must contain at least one weekday")
        bad_days = sorted(repr(day) for day in weekdays if not _is_int(day) or not 0 <= day <= 6)
        if bad_days:
            raise ValueError(
                f"FiscalCalendar.working_weekdays must only contain weekdays 0..6 "
                f"(0 = Monday), got {', '.join(bad_days)}"
            )
        object.__setattr__(self, "working_weekdays", weekdays)
        try:
            holidays = frozenset(self.holidays)
        except TypeError:
            raise ValueError(
                f"FiscalCalendar.holidays must be a set of dates, got {self.holidays!r}"
            ) from None
        bad_holidays = sorted(
            repr(day) for day in holidays if not isinstance(day, date) or isinstance(day, datetime)
        )
        if bad_holidays:
            raise ValueError(
                f"FiscalCalendar.holidays must only contain dates, got {', '.join(bad_holidays)}"
            )
        object.__setattr__(self, "holidays", holidays)

    # ----------------------------------------------------------------- year layout

    @property
    def is_week_based(self) -> bool:
        """Whether years are made of whole weeks (4-4-5 and friends) rather than months."""
        return self.period_type is not PeriodType.CALENDAR

    @property
    def _name_offset(self) -> int:
        """Fiscal year name minus anchor year (see module comment on anchors)."""
        if self.naming is YearNaming.END and self.start_month != 1:
            return 1
        return 0

    def _anchor_of_fiscal_year(self, fiscal_year: int) -> int:
        """The anchor of a named fiscal year, refusing years we cannot compute exactly."""
        anchor = fiscal_year - self._name_offset
        if not _MIN_ANCHOR <= anchor <= _MAX_ANCHOR:
            low = _MIN_ANCHOR + self._name_offset
            high = _MAX_ANCHOR + self._name_offset
            raise PeriodError(
                f"Fiscal year {fiscal_year} is outside the supported range {low}..{high}"
            )
        return anchor

    def _week_year_last_day(self, anchor: int) -> date:
        """Last day (inclusive) of the week-based fiscal year with this anchor.

        The year ends on the weekday before ``week_start``, either the last such weekday of
        the nominal end month (LAST) or the one nearest that month's last day (NEAREST).
        """
        if self.start_month == 1:
            end_year, end_month = anchor, 12
        else:
            end_year, end_month = anchor + 1, self.start_month - 1
        month_end = date(end_year, end_month, _calendar.monthrange(end_year, end_month)[1])
        closing_weekday = (self.week_start + 6) % 7
        days_back = (month_end.weekday() - closing_weekday) % 7
        if self.week_rule is WeekRule.NEAREST and days_back > 3:
            # Seven consecutive days hold each weekday once, so [-3, +3] has no ties.
            return month_end + timedelta(days=7 - days_back)
        return month_end - timedelta(days=days_back)

    def _anchor_bounds(self, anchor: int) -> tuple[date, date]:
        """``(start, end)`` of the fiscal year with this anchor, end exclusive."""
        if self.is_week_based:
            start = self._week_year_last_day(anchor - 1) + _ONE_DAY
            end = self._week_year_last_day(anchor) + _ONE_DAY
            return start, end
        return date(anchor, self.start_month, 1), date(anchor + 1, self.start_month, 1)

    def _anchor_of_date(self, d: date) -> int:
        """The anchor of the fiscal year containing ``d``."""
        anchor = d.year if d.month >= self.start_month else d.year - 1
        # Week-based boundaries lie within a week of the month boundary, so the first guess
        # is off by at most one year; the loop just makes that obviously safe.
        while True:
            if not _MIN_ANCHOR <= anchor <= _MAX_ANCHOR:
                raise PeriodError(f"Date {d.isoformat()} is outside the supported range")
            start, end = self._anchor_bounds(anchor)
            if d < start:
                anchor -= 1
            elif d >= end:
                anchor += 1
            else:
                return anchor

    # ----------------------------------------------------------------- years

    def year(self, fiscal_year: int) -> Period:
        """The fiscal year with this name, e.g. ``year(2026)`` is ``FY2026``."""
        start, end = self._anchor_bounds(self._anchor_of_fiscal_year(fiscal_year))
        label = _fiscal_label(PeriodKind.YEAR, fiscal_year, None)
        return Period(PeriodKind.YEAR, start, end, label, fiscal_year, None)

    def year_of(self, d: date) -> Period:
        """The fiscal year containing ``d``."""
        return self.year(self._anchor_of_date(d) + self._name_offset)

    # ----------------------------------------------------------------- months

    def _month_week_counts(self, total_weeks: int) -> list[int]:
        """Weeks per fiscal month; a 53rd week goes to the last month of Q4."""
        counts = list(_MONTH_PATTERNS[self.period_type]) * _QUARTERS
        counts[-1] += total_weeks - _QUARTERS * _WEEKS_PER_QUARTER
        return counts

    def months(self, fiscal_year: int) -> list[Period]:
        return list(_cached_months(self, fiscal_year))

    def _months(self, fiscal_year: int) -> list[Period]:
        """The twelve fiscal months of a year, in order."""
        year = self.year(fiscal_year)
        months: list[Period] = []
        if self.is_week_based:
            start = year.start
            for number, weeks in enumerate(self._month_week_counts(year.days // 7), start=1):
                end = start + timedelta(weeks=weeks)
                months.append(_fiscal(PeriodKind.MONTH, start, end, fiscal_year, number))
                start = end
        else:
            for number in range(1, _MONTHS + 1):
                start = _add_months(year.start, number - 1)
                end = _add_months(year.start, number)
                months.append(_fiscal(PeriodKind.MONTH, start, end, fiscal_year, number))
        return months

    def month(self, fiscal_year: int, n: int) -> Period:
        """Fiscal month ``n`` (1..12) of a year."""
        _check_number("month", fiscal_year, n, _MONTHS)
        return self.months(fiscal_year)[n - 1]

    def month_of(self, d: date) -> Period:
        """The fiscal month containing ``d``."""
        fiscal_year = self.year_of(d).fiscal_year
        assert fiscal_year is not None
        return _find_containing(self.months(fiscal_year), d)

    # ----------------------------------------------------------------- quarters

    def quarters(self, fiscal_year: int) -> list[Period]:
        return list(_cached_quarters(self, fiscal_year))

    def _quarters(self, fiscal_year: int) -> list[Period]:
        """The four fiscal quarters of a year, each made of three fiscal months."""
        months = self.months(fiscal_year)
        return [
            _fiscal(
                PeriodKind.QUARTER, months[3 * i].start, months[3 * i + 2].end, fiscal_year, i + 1
            )
            for i in range(_QUARTERS)
        ]

    def quarter(self, fiscal_year: int, n: int) -> Period:
        """Fiscal quarter ``n`` (1..4) of a year."""
        _check_number("quarter", fiscal_year, n, _QUARTERS)
        return self.quarters(fiscal_year)[n - 1]

    def quarter_of(self, d: date) -> Period:
        """The fiscal quarter containing ``d``."""
        fiscal_year = self.year_of(d).fiscal_year
        assert fiscal_year is not None
        return _find_containing(self.quarters(fiscal_year), d)

    # ----------------------------------------------------------------- weeks

    def weeks(self, fiscal_year: int) -> list[Period]:
        return list(_cached_weeks(self, fiscal_year))

    def _weeks(self, fiscal_year: int) -> list[Period]:
        """All fiscal weeks of a year, in order, tiling the year exactly.

        Week-based years have 52 or 53 whole weeks. Calendar-month years start W01 on the
        year's first day and end it before the next ``week_start``, so the first and last
        weeks may be partial (and a leap year can reach W54).
        """
        year = self.year(fiscal_year)
        weeks: list[Period] = []
        start = year.start
        if self.is_week_based:
            first_boundary = start + _ONE_WEEK
        else:
            first_boundary = start + timedelta(days=(self.week_start - start.weekday()) % 7 or 7)
        end = min(first_boundary, year.end)
        number = 1
        while True:
            weeks.append(_fiscal(PeriodKind.WEEK, start, end, fiscal_year, number))
            if end >= year.end:
                return weeks
            start, end = end, min(end + _ONE_WEEK, year.end)
            number += 1

    def week(self, fiscal_year: int, n: int) -> Period:
        """Fiscal week ``n`` of a year; W53 only exists in years that have one."""
        weeks = self.weeks(fiscal_year)
        _check_number("week", fiscal_year, n, len(weeks))
        return weeks[n - 1]

    def week_of(self, d: date) -> Period:
        """The fiscal week containing ``d``."""
        fiscal_year = self.year_of(d).fiscal_year
        assert fiscal_year is not None
        return _find_containing(self.weeks(fiscal_year), d)

    # ----------------------------------------------------------------- navigation

    def period_of(self, d: date, kind: PeriodKind) -> Period:
        """The period of the given kind containing ``d`` (a RANGE has no natural instance)."""
        kind = PeriodKind(kind)
        if kind is PeriodKind.YEAR:
            return self.year_of(d)
        if kind is PeriodKind.QUARTER:
            return self.quarter_of(d)
        if kind is PeriodKind.MONTH:
            return self.month_of(d)
        if kind is PeriodKind.WEEK:
            return self.week_of(d)
        if kind is PeriodKind.DAY:
            return _day(d)
        raise PeriodError("period_of() needs year, quarter, month, week or day, not range")

    def _numbered(self, kind: PeriodKind, fiscal_year: int, number: int) -> Period:
        """Look up a fiscal period by kind, year and number."""
        if kind is PeriodKind.QUARTER:
            return self.quarter(fiscal_year, number)
        if kind is PeriodKind.MONTH:
            return self.month(fiscal_year, number)
        return self.week(fiscal_year, number)

    def _count(self, kind: PeriodKind, fiscal_year: int) -> int:
        """How many periods of ``kind`` the fiscal year has."""
        if kind is PeriodKind.QUARTER:
            return _QUARTERS
        if kind is PeriodKind.MONTH:
            return _MONTHS
        return len(self.weeks(fiscal_year))

    def previous(self, period: Period) -> Period:
        """The period of the same kind just before; for a range, the same length before it."""
        if period.kind is PeriodKind.RANGE:
            return _range(period.start - timedelta(days=period.days), period.start)
        if period.kind is PeriodKind.DAY:
            return _day(period.start - _ONE_DAY)
        fiscal_year, number = _fiscal_identity(period)
        if period.kind is PeriodKind.YEAR:
            return self.year(fiscal_year - 1)
        assert number is not None
        if number > 1:
            return self._numbered(period.kind, fiscal_year, number - 1)
        return self._numbered(
            period.kind, fiscal_year - 1, self._count(period.kind, fiscal_year - 1)
        )

    def next(self, period: Period) -> Period:
        """The period of the same kind just after; for a range, the same length after it."""
        if period.kind is PeriodKind.RANGE:
            return _range(period.end, period.end + timedelta(days=period.days))
        if period.kind is PeriodKind.DAY:
            return _day(period.end)
        fiscal_year, number = _fiscal_identity(period)
        if period.kind is PeriodKind.YEAR:
            return self.year(fiscal_year + 1)
        assert number is not None
        if number < self._count(period.kind, fiscal_year):
            return self._numbered(period.kind, fiscal_year, number + 1)
        return self._numbered(period.kind, fiscal_year + 1, 1)

    def same_period_last_year(self, period: Period) -> Period:
        """The comparable period one year earlier, for year-over-year figures.

        Fiscal periods keep kind and number (a W53 maps to the last week of a shorter
        year); days and ranges move back one calendar year, 29 February becoming the 28th.
        """
        if period.kind is PeriodKind.DAY:
            return _day(_shift_one_year_back(period.start))
        if period.kind is PeriodKind.RANGE:
            start = _shift_one_year_back(period.start)
            last = _shift_one_year_back(period.last_day)
            return _range(start, last + _ONE_DAY)
        fiscal_year, number = _fiscal_identity(period)
        if period.kind is PeriodKind.YEAR:
            return self.year(fiscal_year - 1)
        assert number is not None
        last_year_count = self._count(period.kind, fiscal_year - 1)
        return self._numbered(period.kind, fiscal_year - 1, min(number, last_year_count))

    def subperiods(self, period: Period, grain: PeriodKind) -> list[Period]:
        """The periods of ``grain`` overlapping ``period``, clipped to it, for trend charts.

        The pieces tile ``period`` exactly. A piece cut by the period's edge keeps the kind,
        label and number of the fiscal period it came from, with its dates clipped.
        """
        grain = PeriodKind(grain)
        if grain is PeriodKind.RANGE:
            raise PeriodError("subperiods() needs year, quarter, month, week or day, not range")
        if grain is PeriodKind.DAY:
            return [_day(period.start + timedelta(days=offset)) for offset in range(period.days)]
        pieces: list[Period] = []
        current = self.period_of(period.start, grain)
        while current.start < period.end:
            start = max(current.start, period.start)
            end = min(current.end, period.end)
            if (start, end) == (current.start, current.end):
                pieces.append(current)
            else:
                pieces.append(replace(current, start=start, end=end))
            current = self.next(current)
        return pieces

    # ----------------------------------------------------------------- working days

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is on a working weekday and not a holiday."""
        return d.weekday() in self.working_weekdays and d not in self.holidays

    def _working_days_between(self, start: date, stop: date) -> int:
        """Working days in ``[start, stop)``, counted by whole weeks so long ranges stay cheap."""
        if stop <= start:
            return 0
        full_weeks, rest = divmod((stop - start).days, 7)
        count = full_weeks * len(self.working_weekdays)
        first_weekday = start.weekday()
        count += sum(
            1 for offset in range(rest) if (first_weekday + offset) % 7 in self.working_weekdays
        )
        count -= sum(
            1
            for holiday in self.holidays
            if start <= holiday < stop and holiday.weekday() in self.working_weekdays
        )
        return count

    def working_days(self, period: Period) -> int:
        """Working days in the period, used to pro-rate targets."""
        return self._working_days_between(period.start, period.end)

    def working_days_elapsed(self, period: Period, today: date) -> int:
        """Working days of the period up to and including ``today``.

        Today counts as elapsed so that pacing on the last day of a period reaches 100%.
        """
        if today < period.start:
            return 0
        stop = period.end if today >= period.end else today + _ONE_DAY
        return self._working_days_between(period.start, stop)


def _check_number(what: str, fiscal_year: int, n: int, count: int) -> None:
    """Refuse a period number that the fiscal year does not have."""
    if not _is_int(n) or not 1 <= n <= count:
        raise PeriodError(f"FY{fiscal_year} has {what}s 1..{count}, so {what} {n!r} does not exist")


def _find_containing(periods: list[Period], d: date) -> Period:
    """The one period of a tiling that contains ``d``."""
    for period in periods:
        if period.contains(d):
            return period
    raise AssertionError(f"periods do not tile the year around {d}")  # pragma: no cover


def _fiscal_identity(period: Period) -> tuple[int, int | None]:
    """The fiscal year and number of a fiscal period, which navigation is based on."""
    if period.kind not in _FISCAL_KINDS or period.fiscal_year is None:
        raise PeriodError(f"{period.label!r} is not a fiscal period")
    if period.kind is not PeriodKind.YEAR and period.number is None:
        raise PeriodError(f"{period.label!r} has no {period.kind} number")
    return period.fiscal_year, period.number


# --------------------------------------------------------------------- parsing

_FLAGS = re.IGNORECASE | re.ASCII
_FISCAL_RE = re.compile(
    r"FY(?P<year>\d{4})(?:-(?:(?P<unit>Q)(?P<number>\d)|(?P<unit2>[MW])(?P<number2>\d{1,2})))?",
    _FLAGS,
)
_DATE = r"\d{4}-\d{2}-\d{2}"
_DAY_RE = re.compile(_DATE, _FLAGS)
_RANGE_RE = re.compile(rf"(?P<first>{_DATE})\s*\.\.\s*(?P<last>{_DATE})", _FLAGS)
_UNIT_KINDS = {"q": PeriodKind.QUARTER, "m": PeriodKind.MONTH, "w": PeriodKind.WEEK}
_RELATIVE_KINDS = {
    "week": PeriodKind.WEEK,
    "month": PeriodKind.MONTH,
    "quarter": PeriodKind.QUARTER,
    "year": PeriodKind.YEAR,
}
_TO_DATE_KINDS = {"ytd": PeriodKind.YEAR, "qtd": PeriodKind.QUARTER, "mtd": PeriodKind.MONTH}


def _parse_error(text: str, reason: str = "is not a recognised period") -> PeriodError:
    """A parse error that quotes the input and lists every accepted form with an example."""
    forms = "\n".join(f"  - {form}" for form in _ACCEPTED_FORMS)
    return PeriodError(f"{text!r} {reason}. Accepted forms (case-insensitive):\n{forms}")


def _parse_iso_date(text: str, original: str) -> date:
    """A strict YYYY-MM-DD date; impossible dates such as 2026-02-30 are parse errors."""
    try:
        return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        raise _parse_error(original, f"contains an impossible date {text!r}") from None


def parse_period(text: str, calendar: FiscalCalendar, today: date) -> Period:
    """Turn a user- or URL-supplied period string into a Period.

    Relative forms (``this-quarter``, ``ytd`` ...) are resolved against ``today`` in the
    fiscal calendar, so callers decide what "today" means (usually the user's local date).
    """
    cleaned = text.strip()
    lowered = cleaned.lower()

    fiscal = _FISCAL_RE.fullmatch(cleaned)
    if fiscal:
        fiscal_year = int(fiscal["year"])
        try:
            unit = fiscal["unit"] or fiscal["unit2"]
            if unit is None:
                return calendar.year(fiscal_year)
            number = int(fiscal["number"] or fiscal["number2"])
            return calendar._numbered(_UNIT_KINDS[unit.lower()], fiscal_year, number)
        except PeriodError as error:
            raise _parse_error(text, f"does not exist ({error})") from None

    if _DAY_RE.fullmatch(cleaned):
        return _day(_parse_iso_date(cleaned, text))

    date_range = _RANGE_RE.fullmatch(cleaned)
    if date_range:
        first = _parse_iso_date(date_range["first"], text)
        last = _parse_iso_date(date_range["last"], text)
        if last < first:
            raise _parse_error(text, "ends before it starts")
        return _range(first, last + _ONE_DAY)

    if lowered == "today":
        return _day(today)
    if lowered == "yesterday":
        return _day(today - _ONE_DAY)

    if lowered in _TO_DATE_KINDS:
        current = calendar.period_of(today, _TO_DATE_KINDS[lowered])
        return Period(PeriodKind.RANGE, current.start, today + _ONE_DAY, f"{current.label} to date")

    relation, _, unit = lowered.partition("-")
    if unit in _RELATIVE_KINDS and relation in {"this", "last", "next"}:
        current = calendar.period_of(today, _RELATIVE_KINDS[unit])
        if relation == "last":
            return calendar.previous(current)
        if relation == "next":
            return calendar.next(current)
        return current

    raise _parse_error(text)


# A year's weeks, months and quarters are asked for again and again (every `next()` of a weekly
# trend rebuilds the year); the calendar is an immutable, hashable value, so memoise per year.
@functools.lru_cache(maxsize=512)
def _cached_weeks(calendar: FiscalCalendar, fiscal_year: int) -> tuple[Period, ...]:
    return tuple(calendar._weeks(fiscal_year))


@functools.lru_cache(maxsize=512)
def _cached_months(calendar: FiscalCalendar, fiscal_year: int) -> tuple[Period, ...]:
    return tuple(calendar._months(fiscal_year))


@functools.lru_cache(maxsize=512)
def _cached_quarters(calendar: FiscalCalendar, fiscal_year: int) -> tuple[Period, ...]:
    return tuple(calendar._quarters(fiscal_year))
