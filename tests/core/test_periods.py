"""Tests for attain.core.periods: fiscal calendars, periods and period strings.

Pure Python: no Django settings and no database are needed. Hand-checked examples pin the
rules down; property tests check the structural guarantees (tiling, round trips) over every
calendar configuration and years 1900..2200.
"""

from __future__ import annotations

import contextlib
import itertools
from calendar import monthrange
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attain.core.periods import (
    FiscalCalendar,
    Period,
    PeriodError,
    PeriodKind,
    PeriodType,
    WeekRule,
    YearNaming,
    local_date,
    parse_period,
)

ONE_DAY = timedelta(days=1)
TODAY = date(2026, 3, 4)  # a Wednesday
PROPERTY = settings(deadline=None, max_examples=150)

JANUARY = FiscalCalendar()
FEBRUARY_END = FiscalCalendar(start_month=2)
FEBRUARY_START = FiscalCalendar(start_month=2, naming=YearNaming.START)
P445_LAST = FiscalCalendar(period_type=PeriodType.P445, week_start=0, week_rule=WeekRule.LAST)
P445_NEAREST = FiscalCalendar(period_type=PeriodType.P445, week_start=0, week_rule=WeekRule.NEAREST)
# The US National Retail Federation 4-5-4 calendar: weeks run Sunday..Saturday and the year
# ends on the Saturday nearest the end of January; the year is named after its start.
NRF_454 = FiscalCalendar(
    start_month=2,
    period_type=PeriodType.P454,
    week_start=6,
    week_rule=WeekRule.NEAREST,
    naming=YearNaming.START,
)

FISCAL_KINDS = [PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK]
GRAINS = [*FISCAL_KINDS, PeriodKind.DAY]
WEEK_BASED = [PeriodType.P445, PeriodType.P454, PeriodType.P544]
PATTERNS = {PeriodType.P445: [4, 4, 5], PeriodType.P454: [4, 5, 4], PeriodType.P544: [5, 4, 4]}

calendars = st.builds(
    FiscalCalendar,
    start_month=st.integers(1, 12),
    period_type=st.sampled_from(list(PeriodType)),
    week_start=st.integers(0, 6),
    week_rule=st.sampled_from(list(WeekRule)),
    naming=st.sampled_from(list(YearNaming)),
)
week_based_calendars = st.builds(
    FiscalCalendar,
    start_month=st.integers(1, 12),
    period_type=st.sampled_from(WEEK_BASED),
    week_start=st.integers(0, 6),
    week_rule=st.sampled_from(list(WeekRule)),
    naming=st.sampled_from(list(YearNaming)),
)
calendar_type_calendars = st.builds(
    FiscalCalendar,
    start_month=st.integers(1, 12),
    period_type=st.just(PeriodType.CALENDAR),
    week_start=st.integers(0, 6),
    naming=st.sampled_from(list(YearNaming)),
)
fiscal_years = st.integers(1901, 2199)
dates = st.dates(date(1901, 1, 1), date(2199, 12, 31))
kinds = st.sampled_from(FISCAL_KINDS)
grains = st.sampled_from(GRAINS)


def all_calendars() -> Iterator[FiscalCalendar]:
    """Every combination of calendar settings (the working week does not affect layout)."""
    for period_type, rule, start_month, week_start, naming in itertools.product(
        PeriodType, WeekRule, range(1, 13), range(7), YearNaming
    ):
        yield FiscalCalendar(start_month, period_type, week_start, rule, naming)


def calendar_id(calendar: FiscalCalendar) -> str:
    """A short test id for a calendar configuration."""
    return (
        f"{calendar.period_type}-{calendar.week_rule}-m{calendar.start_month}"
        f"-w{calendar.week_start}-{calendar.naming}"
    )


def fiscal_periods(calendar: FiscalCalendar, fiscal_year: int, kind: PeriodKind) -> list[Period]:
    """All periods of one kind in a fiscal year."""
    if kind is PeriodKind.YEAR:
        return [calendar.year(fiscal_year)]
    if kind is PeriodKind.QUARTER:
        return calendar.quarters(fiscal_year)
    if kind is PeriodKind.MONTH:
        return calendar.months(fiscal_year)
    return calendar.weeks(fiscal_year)


def assert_tiles(pieces: list[Period], whole: Period) -> None:
    """Pieces cover ``whole`` exactly: no gap, no overlap, nothing outside."""
    assert pieces, "no pieces"
    assert pieces[0].start == whole.start
    for before, after in itertools.pairwise(pieces):
        assert after.start == before.end
    assert pieces[-1].end == whole.end


def week_counts(periods: list[Period]) -> list[int]:
    """Length of each period in weeks (asserting they are whole weeks)."""
    assert all(period.days % 7 == 0 for period in periods)
    return [period.days // 7 for period in periods]


def nominal_end_month(calendar: FiscalCalendar, fiscal_year: int) -> tuple[int, int]:
    """(year, month) in which a fiscal year nominally ends, straight from the naming rule."""
    month = 12 if calendar.start_month == 1 else calendar.start_month - 1
    if calendar.naming is YearNaming.END or calendar.start_month == 1:
        return fiscal_year, month
    return fiscal_year + 1, month


def oracle_week_year_last_day(calendar: FiscalCalendar, year: int, month: int) -> date:
    """Brute-force last day of a week-based year ending nominally in (year, month)."""
    month_end = date(year, month, monthrange(year, month)[1])
    closing_weekday = (calendar.week_start - 1) % 7
    candidates = [
        month_end + timedelta(days=offset)
        for offset in range(-6, 7)
        if (month_end + timedelta(days=offset)).weekday() == closing_weekday
    ]
    if calendar.week_rule is WeekRule.LAST:
        return max(day for day in candidates if day <= month_end)
    return min(candidates, key=lambda day: abs((day - month_end).days))


def oracle_year_bounds(calendar: FiscalCalendar, fiscal_year: int) -> tuple[date, date]:
    """Expected [start, end) of a fiscal year, derived independently from the written rules."""
    end_year, end_month = nominal_end_month(calendar, fiscal_year)
    if calendar.period_type is PeriodType.CALENDAR:
        start_year = end_year if calendar.start_month == 1 else end_year - 1
        return date(start_year, calendar.start_month, 1), date(
            start_year + 1, calendar.start_month, 1
        )
    last_day = oracle_week_year_last_day(calendar, end_year, end_month)
    previous_last_day = oracle_week_year_last_day(calendar, end_year - 1, end_month)
    return previous_last_day + ONE_DAY, last_day + ONE_DAY


def zone(name: str) -> ZoneInfo:
    """A time zone from the IANA database, skipping the test where the database is missing."""
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the machine
        pytest.skip(f"time zone {name} is not installed")


def brute_force_working_days(calendar: FiscalCalendar, start: date, stop: date) -> int:
    """Working days in [start, stop) counted one day at a time."""
    count = 0
    day = start
    while day < stop:
        count += calendar.is_working_day(day)
        day += ONE_DAY
    return count


# ============================================================== hand-checked calendar years


def test_calendar_year_starting_in_january_is_the_calendar_year() -> None:
    year = JANUARY.year(2026)
    assert (year.start, year.end, year.label) == (date(2026, 1, 1), date(2027, 1, 1), "FY2026")


def test_calendar_quarter_two_is_april_to_june() -> None:
    quarter = JANUARY.quarter(2026, 2)
    assert (quarter.start, quarter.end, quarter.label) == (
        date(2026, 4, 1),
        date(2026, 7, 1),
        "FY2026-Q2",
    )


def test_calendar_month_five_is_may() -> None:
    month = JANUARY.month(2026, 5)
    assert (month.start, month.end, month.label) == (
        date(2026, 5, 1),
        date(2026, 6, 1),
        "FY2026-M05",
    )


def test_calendar_february_start_is_named_after_ending_year() -> None:
    year = FEBRUARY_END.year(2027)
    assert (year.start, year.end) == (date(2026, 2, 1), date(2027, 2, 1))


def test_calendar_february_start_with_start_naming_is_named_after_starting_year() -> None:
    assert FEBRUARY_START.year(2026) == Period(
        PeriodKind.YEAR, date(2026, 2, 1), date(2027, 2, 1), "FY2026", 2026
    )


def test_calendar_february_start_first_quarter_is_february_to_april() -> None:
    quarter = FEBRUARY_END.quarter(2027, 1)
    assert (quarter.start, quarter.end) == (date(2026, 2, 1), date(2026, 5, 1))


def test_calendar_february_start_month_twelve_is_january() -> None:
    month = FEBRUARY_END.month(2027, 12)
    assert (month.start, month.end, month.label) == (
        date(2027, 1, 1),
        date(2027, 2, 1),
        "FY2027-M12",
    )


def test_calendar_january_date_falls_in_previous_fiscal_year_for_february_start() -> None:
    assert FEBRUARY_END.year_of(date(2026, 1, 31)).label == "FY2026"
    assert FEBRUARY_END.year_of(date(2026, 2, 1)).label == "FY2027"


def test_calendar_weeks_start_with_a_partial_week_and_end_with_a_clipped_week() -> None:
    # 2026-01-01 is a Thursday, weeks start on Monday: W01 is Thu 1 .. Sun 4 January,
    # W02 starts Monday 5 January, and W53 is Mon 28 .. Thu 31 December.
    weeks = JANUARY.weeks(2026)
    assert (weeks[0].start, weeks[0].end) == (date(2026, 1, 1), date(2026, 1, 5))
    assert weeks[1].start == date(2026, 1, 5)
    assert (weeks[-1].label, weeks[-1].start, weeks[-1].end) == (
        "FY2026-W53",
        date(2026, 12, 28),
        date(2027, 1, 1),
    )


def test_calendar_leap_year_starting_on_sunday_has_54_weeks() -> None:
    # 2012 starts on a Sunday and has 366 days: W01 is 1 January alone, W02..W53 are 52 full
    # weeks (2 January .. 30 December) and W54 is Monday 31 December alone.
    weeks = JANUARY.weeks(2012)
    assert len(weeks) == 54
    assert (weeks[0].start, weeks[0].end) == (date(2012, 1, 1), date(2012, 1, 2))
    assert (weeks[-1].start, weeks[-1].end) == (date(2012, 12, 31), date(2013, 1, 1))


def test_calendar_week_one_is_whole_when_year_starts_on_week_start() -> None:
    # 2024-01-01 is a Monday.
    week = JANUARY.week(2024, 1)
    assert (week.start, week.end) == (date(2024, 1, 1), date(2024, 1, 8))


# ============================================================== hand-checked 4-4-5 years


def test_445_last_rule_year_with_53_weeks() -> None:
    # Weeks Monday..Sunday, year ends on the last Sunday of December. The last Sundays of
    # December 2022 and 2023 are the 25th and the 31st, 371 days apart: FY2023 runs from
    # Monday 2022-12-26 to Sunday 2023-12-31 and has 53 weeks.
    year = P445_LAST.year(2023)
    assert (year.start, year.end) == (date(2022, 12, 26), date(2024, 1, 1))
    assert len(P445_LAST.weeks(2023)) == 53


def test_445_last_rule_year_with_52_weeks() -> None:
    # Last Sunday of December 2024 is the 29th: FY2024 = Mon 2024-01-01 .. Sun 2024-12-29.
    year = P445_LAST.year(2024)
    assert (year.start, year.end) == (date(2024, 1, 1), date(2024, 12, 30))
    assert len(P445_LAST.weeks(2024)) == 52


def test_445_months_have_4_4_5_weeks() -> None:
    months = P445_LAST.months(2024)
    assert week_counts(months) == [4, 4, 5] * 4
    assert (months[0].start, months[0].end) == (date(2024, 1, 1), date(2024, 1, 29))
    assert (months[2].start, months[2].end) == (date(2024, 2, 26), date(2024, 4, 1))


def test_445_53rd_week_goes_to_last_month_of_q4() -> None:
    months = P445_LAST.months(2023)
    assert week_counts(months) == [4, 4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 6]
    # Q4 starts 39 weeks after 2022-12-26, on 2023-09-25; M10 and M11 take 4 weeks each,
    # so M12 runs six weeks from Monday 2023-11-20 to Sunday 2023-12-31.
    assert (months[-1].start, months[-1].end) == (date(2023, 11, 20), date(2024, 1, 1))


def test_445_quarters_have_13_weeks_and_q4_has_14_in_a_53_week_year() -> None:
    assert week_counts(P445_LAST.quarters(2023)) == [13, 13, 13, 14]
    assert week_counts(P445_LAST.quarters(2024)) == [13, 13, 13, 13]


def test_445_first_quarter_of_53_week_year() -> None:
    quarter = P445_LAST.quarter(2023, 1)
    assert (quarter.start, quarter.end) == (date(2022, 12, 26), date(2023, 3, 27))


def test_445_nearest_rule_year_ending_in_january_keeps_its_december_name() -> None:
    # 2022-12-31 is a Saturday; the nearest Sunday is 2023-01-01 (1 day after, versus
    # 2022-12-25, 6 days before). FY2022 therefore ends on 1 January 2023 but is still FY2022.
    year = P445_NEAREST.year(2022)
    assert (year.start, year.end, year.label) == (date(2022, 1, 3), date(2023, 1, 2), "FY2022")
    assert P445_NEAREST.year_of(date(2023, 1, 1)).label == "FY2022"
    assert P445_NEAREST.year_of(date(2023, 1, 2)).label == "FY2023"


def test_445_nearest_rule_year_with_53_weeks() -> None:
    # 2019-12-31 is a Tuesday (nearest Sunday 2019-12-29, 2 days before) and 2020-12-31 is a
    # Thursday (nearest Sunday 2021-01-03, 3 days after): FY2020 has 371 days = 53 weeks.
    year = P445_NEAREST.year(2020)
    assert (year.start, year.end) == (date(2019, 12, 30), date(2021, 1, 4))
    assert len(P445_NEAREST.weeks(2020)) == 53


def test_445_nearest_and_last_rules_disagree_on_which_year_has_53_weeks() -> None:
    assert len(P445_LAST.weeks(2023)) == 53
    assert len(P445_NEAREST.weeks(2023)) == 52
    assert len(P445_LAST.weeks(2020)) == 52
    assert len(P445_NEAREST.weeks(2020)) == 53


def test_454_months_have_4_5_4_weeks() -> None:
    calendar = FiscalCalendar(period_type=PeriodType.P454)
    assert week_counts(calendar.months(2024)) == [4, 5, 4] * 4


def test_544_months_have_5_4_4_weeks() -> None:
    calendar = FiscalCalendar(period_type=PeriodType.P544)
    assert week_counts(calendar.months(2024)) == [5, 4, 4] * 4


def test_544_53rd_week_goes_to_last_month() -> None:
    calendar = FiscalCalendar(period_type=PeriodType.P544)
    assert week_counts(calendar.months(2023)) == [5, 4, 4] * 3 + [5, 4, 5]


def test_nrf_454_fiscal_2023_matches_published_retail_calendar() -> None:
    # NRF fiscal 2023: Sunday 29 January 2023 .. Saturday 3 February 2024, 53 weeks, with the
    # extra week in January; fiscal 2024 starts Sunday 4 February 2024.
    year = NRF_454.year(2023)
    assert (year.start, year.end) == (date(2023, 1, 29), date(2024, 2, 4))
    assert week_counts(NRF_454.months(2023)) == [4, 5, 4] * 3 + [4, 5, 5]
    assert NRF_454.year(2024).start == date(2024, 2, 4)


def test_week_53_exists_in_a_53_week_year() -> None:
    week = P445_LAST.week(2023, 53)
    assert (week.start, week.end, week.label) == (
        date(2023, 12, 25),
        date(2024, 1, 1),
        "FY2023-W53",
    )


def test_week_53_is_refused_in_a_52_week_year() -> None:
    with pytest.raises(PeriodError, match="52"):
        P445_LAST.week(2024, 53)


def test_week_based_weeks_are_whole_weeks_from_year_start() -> None:
    week = P445_LAST.week(2024, 7)
    assert (week.start, week.end, week.label) == (
        date(2024, 2, 12),
        date(2024, 2, 19),
        "FY2024-W07",
    )


@pytest.mark.parametrize(("n", "kind"), [(0, "quarter"), (5, "quarter")])
def test_quarter_number_out_of_range_is_refused(n: int, kind: str) -> None:
    with pytest.raises(PeriodError, match=kind):
        JANUARY.quarter(2026, n)


@pytest.mark.parametrize("n", [0, 13])
def test_month_number_out_of_range_is_refused(n: int) -> None:
    with pytest.raises(PeriodError, match="month"):
        JANUARY.month(2026, n)


def test_fiscal_year_outside_supported_range_is_refused() -> None:
    with pytest.raises(PeriodError, match="supported range"):
        JANUARY.year(10_000)


# ============================================================== exhaustive year layout


@pytest.mark.parametrize("calendar", list(all_calendars()), ids=calendar_id)
def test_year_bounds_follow_the_written_rules_for_1900_to_2200(calendar: FiscalCalendar) -> None:
    for fiscal_year in range(1900, 2201):
        year = calendar.year(fiscal_year)
        assert (year.start, year.end) == oracle_year_bounds(calendar, fiscal_year)


@pytest.mark.parametrize("calendar", list(all_calendars()), ids=calendar_id)
def test_sub_periods_tile_sample_years_for_every_configuration(calendar: FiscalCalendar) -> None:
    for fiscal_year in (1900, 2020, 2023, 2200):
        year = calendar.year(fiscal_year)
        for kind in (PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK):
            assert_tiles(fiscal_periods(calendar, fiscal_year, kind), year)


# ============================================================== property tests: layout


@PROPERTY
@given(calendars, fiscal_years, st.sampled_from(FISCAL_KINDS[1:]))
def test_sub_periods_of_a_year_tile_it(
    calendar: FiscalCalendar, fiscal_year: int, kind: PeriodKind
) -> None:
    assert_tiles(fiscal_periods(calendar, fiscal_year, kind), calendar.year(fiscal_year))


@PROPERTY
@given(calendars, fiscal_years)
def test_each_quarter_is_three_fiscal_months(calendar: FiscalCalendar, fiscal_year: int) -> None:
    months = calendar.months(fiscal_year)
    for index, quarter in enumerate(calendar.quarters(fiscal_year)):
        assert_tiles(months[3 * index : 3 * index + 3], quarter)


@PROPERTY
@given(calendars, fiscal_years)
def test_consecutive_years_tile_time(calendar: FiscalCalendar, fiscal_year: int) -> None:
    assert calendar.year(fiscal_year).end == calendar.year(fiscal_year + 1).start


@PROPERTY
@given(calendars, fiscal_years)
def test_year_is_named_by_its_nominal_months(calendar: FiscalCalendar, fiscal_year: int) -> None:
    end_year, end_month = nominal_end_month(calendar, fiscal_year)
    year = calendar.year(fiscal_year)
    assert year.contains(date(end_year, end_month, 15))
    start_year = end_year if calendar.start_month == 1 else end_year - 1
    assert year.contains(date(start_year, calendar.start_month, 15))


@PROPERTY
@given(week_based_calendars, fiscal_years)
def test_week_based_year_ends_on_the_day_before_week_start(
    calendar: FiscalCalendar, fiscal_year: int
) -> None:
    year = calendar.year(fiscal_year)
    assert year.start.weekday() == calendar.week_start
    assert year.days in (364, 371)


@PROPERTY
@given(week_based_calendars, fiscal_years)
def test_week_based_months_follow_the_pattern(calendar: FiscalCalendar, fiscal_year: int) -> None:
    counts = week_counts(calendar.months(fiscal_year))
    expected = PATTERNS[calendar.period_type] * 4
    expected[-1] += len(calendar.weeks(fiscal_year)) - 52
    assert counts == expected


@PROPERTY
@given(week_based_calendars, fiscal_years)
def test_week_53_exists_only_in_371_day_years(calendar: FiscalCalendar, fiscal_year: int) -> None:
    weeks = calendar.weeks(fiscal_year)
    assert week_counts(weeks) == [1] * len(weeks)
    assert (len(weeks) == 53) == (calendar.year(fiscal_year).days == 371)


@PROPERTY
@given(calendar_type_calendars, fiscal_years)
def test_calendar_type_weeks_break_on_week_start(
    calendar: FiscalCalendar, fiscal_year: int
) -> None:
    weeks = calendar.weeks(fiscal_year)
    assert all(week.start.weekday() == calendar.week_start for week in weeks[1:])
    assert all(week.days == 7 for week in weeks[1:-1])


@PROPERTY
@given(dates)
def test_nearest_rule_with_january_start_and_monday_weeks_matches_iso_weeks(day: date) -> None:
    week = P445_NEAREST.week_of(day)
    iso = day.isocalendar()
    assert (week.fiscal_year, week.number) == (iso.year, iso.week)


@PROPERTY
@given(calendars, dates, kinds)
def test_every_date_falls_in_exactly_one_period_of_each_kind(
    calendar: FiscalCalendar, day: date, kind: PeriodKind
) -> None:
    found = calendar.period_of(day, kind)
    assert found.contains(day)
    assert found.fiscal_year is not None
    candidates = [
        period
        for fiscal_year in (found.fiscal_year - 1, found.fiscal_year, found.fiscal_year + 1)
        for period in fiscal_periods(calendar, fiscal_year, kind)
        if period.contains(day)
    ]
    assert candidates == [found]


@PROPERTY
@given(calendars, dates)
def test_specific_lookups_agree_with_period_of(calendar: FiscalCalendar, day: date) -> None:
    assert calendar.year_of(day) == calendar.period_of(day, PeriodKind.YEAR)
    assert calendar.quarter_of(day) == calendar.period_of(day, PeriodKind.QUARTER)
    assert calendar.month_of(day) == calendar.period_of(day, PeriodKind.MONTH)
    assert calendar.week_of(day) == calendar.period_of(day, PeriodKind.WEEK)


@PROPERTY
@given(calendars, dates)
def test_day_period_contains_only_that_day(calendar: FiscalCalendar, day: date) -> None:
    period = calendar.period_of(day, PeriodKind.DAY)
    assert (period.start, period.days, period.label) == (day, 1, day.isoformat())


# ============================================================== property tests: navigation


@PROPERTY
@given(calendars, fiscal_years, kinds, st.integers(0, 60))
def test_fiscal_labels_round_trip_through_parse_period(
    calendar: FiscalCalendar, fiscal_year: int, kind: PeriodKind, index: int
) -> None:
    periods = fiscal_periods(calendar, fiscal_year, kind)
    period = periods[index % len(periods)]
    assert parse_period(period.label, calendar, TODAY) == period


@PROPERTY
@given(calendars, dates, st.integers(0, 400))
def test_range_labels_round_trip_through_parse_period(
    calendar: FiscalCalendar, start: date, length: int
) -> None:
    period = parse_period(f"{start}..{start + timedelta(days=length)}", calendar, TODAY)
    assert parse_period(period.label, calendar, TODAY) == period


@PROPERTY
@given(calendars, dates, kinds)
def test_previous_undoes_next(calendar: FiscalCalendar, day: date, kind: PeriodKind) -> None:
    period = calendar.period_of(day, kind)
    assert calendar.previous(calendar.next(period)) == period


@PROPERTY
@given(calendars, dates, kinds)
def test_next_undoes_previous(calendar: FiscalCalendar, day: date, kind: PeriodKind) -> None:
    period = calendar.period_of(day, kind)
    assert calendar.next(calendar.previous(period)) == period


@PROPERTY
@given(calendars, dates, grains)
def test_next_period_starts_where_the_period_ends(
    calendar: FiscalCalendar, day: date, kind: PeriodKind
) -> None:
    period = calendar.period_of(day, kind)
    following = calendar.next(period)
    assert following.start == period.end
    assert following == calendar.period_of(period.end, kind)


@PROPERTY
@given(calendars, dates, st.integers(1, 400))
def test_previous_range_has_same_length_and_ends_at_start(
    calendar: FiscalCalendar, start: date, days: int
) -> None:
    period = parse_period(f"{start}..{start + timedelta(days=days - 1)}", calendar, TODAY)
    before = calendar.previous(period)
    assert (before.kind, before.end, before.days) == (PeriodKind.RANGE, period.start, days)
    assert calendar.previous(calendar.next(period)) == period


@PROPERTY
@given(calendars, dates, kinds)
def test_same_period_last_year_keeps_kind_and_number(
    calendar: FiscalCalendar, day: date, kind: PeriodKind
) -> None:
    period = calendar.period_of(day, kind)
    last_year = calendar.same_period_last_year(period)
    assert period.fiscal_year is not None
    assert last_year.kind is period.kind
    assert last_year.fiscal_year == period.fiscal_year - 1
    assert period.number is None or last_year.number is not None
    if kind is PeriodKind.WEEK:
        assert period.number is not None
        shorter = len(calendar.weeks(period.fiscal_year - 1))
        assert last_year.number == min(period.number, shorter)
    else:
        assert last_year.number == period.number


@PROPERTY
@given(calendars, dates, st.integers(0, 800), grains)
def test_subperiods_tile_a_range(
    calendar: FiscalCalendar, start: date, length: int, grain: PeriodKind
) -> None:
    period = parse_period(f"{start}..{start + timedelta(days=length)}", calendar, TODAY)
    pieces = calendar.subperiods(period, grain)
    assert_tiles(pieces, period)
    assert all(piece.kind is grain for piece in pieces)


@PROPERTY
@given(calendars, dates, kinds, grains)
def test_subperiods_tile_a_fiscal_period(
    calendar: FiscalCalendar, day: date, kind: PeriodKind, grain: PeriodKind
) -> None:
    period = calendar.period_of(day, kind)
    pieces = calendar.subperiods(period, grain)
    assert_tiles(pieces, period)
    for piece in pieces[1:-1]:
        assert piece == calendar.period_of(piece.start, grain)


# ============================================================== working days


@PROPERTY
@given(
    calendars,
    dates,
    kinds,
    st.frozensets(st.integers(0, 6), min_size=1),
    st.lists(st.integers(-30, 400), max_size=10),
)
def test_working_days_matches_a_day_by_day_count(
    calendar: FiscalCalendar,
    day: date,
    kind: PeriodKind,
    weekdays: frozenset[int],
    holiday_offsets: list[int],
) -> None:
    period = calendar.period_of(day, kind)
    holidays = frozenset(period.start + timedelta(days=offset) for offset in holiday_offsets)
    working = FiscalCalendar(
        calendar.start_month,
        calendar.period_type,
        calendar.week_start,
        calendar.week_rule,
        calendar.naming,
        working_weekdays=weekdays,
        holidays=holidays,
    )
    assert working.working_days(period) == brute_force_working_days(
        working, period.start, period.end
    )


@PROPERTY
@given(calendars, dates, kinds, st.integers(-400, 400), st.integers(0, 400))
def test_working_days_elapsed_is_monotone_in_today(
    calendar: FiscalCalendar, day: date, kind: PeriodKind, offset: int, step: int
) -> None:
    period = calendar.period_of(day, kind)
    earlier = period.start + timedelta(days=offset)
    later = earlier + timedelta(days=step)
    assert calendar.working_days_elapsed(period, earlier) <= calendar.working_days_elapsed(
        period, later
    )


@PROPERTY
@given(calendars, dates, kinds, st.integers(-400, 400))
def test_working_days_elapsed_is_bounded_by_working_days(
    calendar: FiscalCalendar, day: date, kind: PeriodKind, offset: int
) -> None:
    period = calendar.period_of(day, kind)
    today = period.start + timedelta(days=offset)
    elapsed = calendar.working_days_elapsed(period, today)
    assert 0 <= elapsed <= calendar.working_days(period)
    expected = brute_force_working_days(calendar, period.start, min(today + ONE_DAY, period.end))
    assert elapsed == expected


def test_working_days_skip_weekends_and_holidays() -> None:
    # January 2026 has 22 weekdays (it starts on a Thursday); New Year's Day is a holiday.
    calendar = FiscalCalendar(holidays=frozenset({date(2026, 1, 1)}))
    assert calendar.working_days(calendar.month(2026, 1)) == 21


def test_working_days_elapsed_counts_today() -> None:
    calendar = FiscalCalendar(holidays=frozenset({date(2026, 1, 1)}))
    january = calendar.month(2026, 1)
    # Friday 2 January and Monday 5 January.
    assert calendar.working_days_elapsed(january, date(2026, 1, 5)) == 2


def test_working_days_elapsed_is_zero_before_the_period() -> None:
    assert JANUARY.working_days_elapsed(JANUARY.month(2026, 1), date(2025, 12, 31)) == 0


def test_working_days_elapsed_is_all_days_after_the_period() -> None:
    january = JANUARY.month(2026, 1)
    assert JANUARY.working_days_elapsed(january, date(2026, 6, 1)) == 22


def test_working_days_elapsed_on_last_day_is_all_days() -> None:
    january = JANUARY.month(2026, 1)
    assert JANUARY.working_days_elapsed(january, date(2026, 1, 31)) == 22


def test_is_working_day_respects_custom_working_week() -> None:
    calendar = FiscalCalendar(working_weekdays=frozenset({6, 0, 1, 2, 3}))
    assert calendar.is_working_day(date(2026, 3, 8))  # Sunday
    assert not calendar.is_working_day(date(2026, 3, 6))  # Friday


# ============================================================== comparisons and subperiods


def test_same_period_last_year_maps_week_53_to_week_52() -> None:
    week = P445_LAST.same_period_last_year(P445_LAST.week(2023, 53))
    assert week == P445_LAST.week(2022, 52)


def test_same_period_last_year_of_quarter() -> None:
    assert P445_LAST.same_period_last_year(P445_LAST.quarter(2024, 2)) == P445_LAST.quarter(2023, 2)


def test_same_period_last_year_moves_leap_day_to_february_28() -> None:
    leap_day = parse_period("2024-02-29", JANUARY, TODAY)
    assert JANUARY.same_period_last_year(leap_day).start == date(2023, 2, 28)


def test_same_period_last_year_shifts_range_by_a_calendar_year() -> None:
    period = parse_period("2024-02-01..2024-02-29", JANUARY, TODAY)
    shifted = JANUARY.same_period_last_year(period)
    assert (shifted.start, shifted.end, shifted.label) == (
        date(2023, 2, 1),
        date(2023, 3, 1),
        "2023-02-01..2023-02-28",
    )


def test_subperiods_clip_partial_weeks_and_keep_their_labels() -> None:
    january = JANUARY.month(2026, 1)
    weeks = JANUARY.subperiods(january, PeriodKind.WEEK)
    assert [week.label for week in weeks] == [f"FY2026-W0{n}" for n in range(1, 6)]
    assert (weeks[-1].start, weeks[-1].end) == (date(2026, 1, 26), date(2026, 2, 1))


def test_subperiods_by_day_lists_each_day() -> None:
    week = P445_LAST.week(2024, 1)
    days = P445_LAST.subperiods(week, PeriodKind.DAY)
    assert [day.label for day in days] == [f"2024-01-0{n}" for n in range(1, 8)]


def test_subperiods_by_range_is_refused() -> None:
    with pytest.raises(PeriodError, match="range"):
        JANUARY.subperiods(JANUARY.year(2026), PeriodKind.RANGE)


def test_period_of_range_is_refused() -> None:
    with pytest.raises(PeriodError, match="range"):
        JANUARY.period_of(TODAY, PeriodKind.RANGE)


def test_previous_of_first_week_is_last_week_of_previous_year() -> None:
    assert P445_LAST.previous(P445_LAST.week(2024, 1)) == P445_LAST.week(2023, 53)


def test_next_of_day_is_following_day() -> None:
    day = parse_period("2024-12-31", JANUARY, TODAY)
    assert JANUARY.next(day).label == "2025-01-01"


def test_period_rejects_end_not_after_start() -> None:
    with pytest.raises(ValueError, match="after its start"):
        Period(PeriodKind.RANGE, date(2026, 1, 2), date(2026, 1, 2), "empty")


def test_period_days_and_contains_use_half_open_bounds() -> None:
    quarter = JANUARY.quarter(2026, 1)
    assert quarter.days == 90
    assert quarter.contains(date(2026, 3, 31))
    assert not quarter.contains(date(2026, 4, 1))


# ============================================================== time zones


def test_berlin_late_evening_on_quarter_last_day_belongs_to_that_quarter() -> None:
    berlin = zone("Europe/Berlin")
    instant = datetime(2026, 3, 31, 23, 30, tzinfo=berlin)
    assert JANUARY.quarter(2026, 1).contains_instant(instant, berlin)
    assert not JANUARY.quarter(2026, 2).contains_instant(instant, berlin)


def test_berlin_just_after_midnight_belongs_to_next_quarter_though_utc_date_is_earlier() -> None:
    berlin = zone("Europe/Berlin")
    instant = datetime(2026, 4, 1, 0, 30, tzinfo=berlin)
    assert instant.astimezone(UTC).date() == date(2026, 3, 31)
    assert JANUARY.quarter(2026, 2).contains_instant(instant, berlin)


def test_los_angeles_late_evening_belongs_to_quarter_though_utc_date_is_next_day() -> None:
    los_angeles = zone("America/Los_Angeles")
    instant = datetime(2026, 3, 31, 23, 30, tzinfo=los_angeles)
    assert instant.astimezone(UTC).date() == date(2026, 4, 1)
    assert local_date(instant, los_angeles) == date(2026, 3, 31)
    assert JANUARY.quarter(2026, 1).contains_instant(instant, los_angeles)


def test_utc_instant_is_judged_by_its_local_date() -> None:
    los_angeles = zone("America/Los_Angeles")
    instant = datetime(2026, 4, 1, 6, 30, tzinfo=UTC)  # 23:30 on 31 March in Los Angeles
    assert JANUARY.quarter(2026, 1).contains_instant(instant, los_angeles)
    assert not JANUARY.quarter(2026, 1).contains_instant(instant, UTC)


def test_start_at_is_aware_local_midnight() -> None:
    berlin = zone("Europe/Berlin")
    start = JANUARY.quarter(2026, 2).start_at(berlin)
    assert (start.date(), start.hour, start.minute) == (date(2026, 4, 1), 0, 0)
    assert start.utcoffset() == timedelta(hours=2)


def test_end_at_is_midnight_after_the_last_day() -> None:
    los_angeles = zone("America/Los_Angeles")
    end = JANUARY.quarter(2026, 1).end_at(los_angeles)
    assert end.astimezone(UTC) == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)


def test_day_of_berlin_spring_forward_lasts_23_hours() -> None:
    berlin = zone("Europe/Berlin")
    day = parse_period("2026-03-29", JANUARY, TODAY)
    # Subtract in UTC: Python subtracts datetimes sharing a tzinfo by wall clock (24 hours).
    start_utc = day.start_at(berlin).astimezone(UTC)
    end_utc = day.end_at(berlin).astimezone(UTC)
    assert end_utc - start_utc == timedelta(hours=23)


def test_day_of_los_angeles_fall_back_lasts_25_hours() -> None:
    los_angeles = zone("America/Los_Angeles")
    day = parse_period("2026-11-01", JANUARY, TODAY)
    start_utc = day.start_at(los_angeles).astimezone(UTC)
    end_utc = day.end_at(los_angeles).astimezone(UTC)
    assert end_utc - start_utc == timedelta(hours=25)


def test_instant_in_repeated_hour_on_fall_back_day_belongs_to_that_day() -> None:
    los_angeles = zone("America/Los_Angeles")
    second_one_thirty = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=los_angeles)
    day = parse_period("2026-11-01", JANUARY, TODAY)
    assert day.contains_instant(second_one_thirty, los_angeles)


def test_start_at_uses_first_real_instant_when_midnight_is_skipped() -> None:
    # Chile springs forward at local midnight: 2026-09-06 00:00 does not exist.
    santiago = zone("America/Santiago")
    start = parse_period("2026-09-06", JANUARY, TODAY).start_at(santiago)
    assert start.astimezone(UTC) == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert local_date(start, santiago) == date(2026, 9, 6)


@PROPERTY
@given(
    st.sampled_from(["Europe/Berlin", "America/Los_Angeles", "America/Santiago"]),
    st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    kinds,
)
def test_contains_instant_agrees_with_start_at_and_end_at(
    zone_name: str, instant: datetime, kind: PeriodKind
) -> None:
    tz = zone(zone_name)
    period = JANUARY.period_of(local_date(instant, tz), kind)
    assert period.contains_instant(instant, tz)
    assert period.start_at(tz).astimezone(UTC) <= instant < period.end_at(tz).astimezone(UTC)


@PROPERTY
@given(st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1)), st.integers(-14 * 60, 14 * 60))
def test_local_date_matches_fixed_offset_arithmetic(naive: datetime, minutes: int) -> None:
    tz = timezone(timedelta(minutes=minutes))
    instant = naive.replace(tzinfo=UTC)
    assert local_date(instant, tz) == (naive + timedelta(minutes=minutes)).date()


def test_local_date_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 3, 31, 23, 30), UTC)


def test_contains_instant_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        JANUARY.year(2026).contains_instant(datetime(2026, 3, 31, 23, 30), UTC)


# ============================================================== parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FY2026", JANUARY.year(2026)),
        ("FY2026-Q2", JANUARY.quarter(2026, 2)),
        ("FY2026-M05", JANUARY.month(2026, 5)),
        ("FY2026-M5", JANUARY.month(2026, 5)),
        ("FY2026-W07", JANUARY.week(2026, 7)),
        ("FY2026-W7", JANUARY.week(2026, 7)),
        ("  fy2026-q2 ", JANUARY.quarter(2026, 2)),
        ("fy2026-m12", JANUARY.month(2026, 12)),
    ],
)
def test_parse_period_accepts_fiscal_labels(text: str, expected: Period) -> None:
    assert parse_period(text, JANUARY, TODAY) == expected


def test_parse_period_accepts_an_iso_date_as_a_day() -> None:
    day = parse_period("2026-03-04", JANUARY, TODAY)
    assert (day.kind, day.start, day.end, day.label) == (
        PeriodKind.DAY,
        date(2026, 3, 4),
        date(2026, 3, 5),
        "2026-03-04",
    )


def test_parse_period_range_includes_its_last_day() -> None:
    period = parse_period("2026-01-01..2026-03-31", JANUARY, TODAY)
    assert (period.kind, period.start, period.end, period.label) == (
        PeriodKind.RANGE,
        date(2026, 1, 1),
        date(2026, 4, 1),
        "2026-01-01..2026-03-31",
    )
    assert (period.fiscal_year, period.number) == (None, None)


def test_parse_period_accepts_single_day_range() -> None:
    assert parse_period("2026-01-01..2026-01-01", JANUARY, TODAY).days == 1


def test_parse_period_refuses_range_ending_before_it_starts() -> None:
    with pytest.raises(PeriodError, match="ends before it starts"):
        parse_period("2026-03-31..2026-01-01", JANUARY, TODAY)


def test_parse_period_refuses_impossible_date() -> None:
    with pytest.raises(PeriodError, match="2026-02-30"):
        parse_period("2026-02-30", JANUARY, TODAY)


def test_parse_period_refuses_week_53_in_a_52_week_year() -> None:
    with pytest.raises(PeriodError, match="FY2024-W53"):
        parse_period("FY2024-W53", P445_LAST, TODAY)


@pytest.mark.parametrize("text", ["FY2026-Q5", "FY2026-Q0", "FY2026-M13", "FY2026-W00"])
def test_parse_period_refuses_period_numbers_that_do_not_exist(text: str) -> None:
    with pytest.raises(PeriodError, match="does not exist"):
        parse_period(text, JANUARY, TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", parse_period("2026-03-04", JANUARY, TODAY)),
        ("yesterday", parse_period("2026-03-03", JANUARY, TODAY)),
        ("this-week", P445_LAST.week(2026, 10)),
        ("last-week", P445_LAST.week(2026, 9)),
        ("next-week", P445_LAST.week(2026, 11)),
        ("this-month", P445_LAST.month(2026, 3)),
        ("last-month", P445_LAST.month(2026, 2)),
        ("next-month", P445_LAST.month(2026, 4)),
        ("this-quarter", P445_LAST.quarter(2026, 1)),
        ("last-quarter", P445_LAST.quarter(2025, 4)),
        ("next-quarter", P445_LAST.quarter(2026, 2)),
        ("this-year", P445_LAST.year(2026)),
        ("last-year", P445_LAST.year(2025)),
        ("NEXT-YEAR", P445_LAST.year(2027)),
    ],
)
def test_parse_period_resolves_relative_periods_in_the_fiscal_calendar(
    text: str, expected: Period
) -> None:
    # 2026-03-04 is in FY2026 W10 (FY2026 starts Monday 2025-12-29) and in fiscal March,
    # which runs 2026-02-23 .. 2026-03-29 under 4-4-5.
    assert parse_period(text, P445_LAST, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "start", "label"),
    [
        ("ytd", date(2025, 12, 29), "FY2026 to date"),
        ("qtd", date(2025, 12, 29), "FY2026-Q1 to date"),
        ("mtd", date(2026, 2, 23), "FY2026-M03 to date"),
    ],
)
def test_parse_period_to_date_runs_from_fiscal_period_start_through_today(
    text: str, start: date, label: str
) -> None:
    period = parse_period(text, P445_LAST, TODAY)
    assert (period.kind, period.start, period.end, period.label) == (
        PeriodKind.RANGE,
        start,
        date(2026, 3, 5),
        label,
    )


def test_parse_period_on_first_day_of_year_gives_one_day_ytd() -> None:
    assert parse_period("ytd", JANUARY, date(2026, 1, 1)).days == 1


@pytest.mark.parametrize(
    "text",
    ["", "Q2", "FY26", "2026/03/04", "this-decade", "FY2026-Q02", "2026-03-04..", "tomorrow"],
)
def test_parse_period_error_quotes_input_and_lists_accepted_forms(text: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, JANUARY, TODAY)
    message = str(caught.value)
    assert repr(text) in message
    for example in [
        "FY2026",
        "FY2026-Q2",
        "FY2026-M05",
        "FY2026-W07",
        "2026-03-04",
        "2026-01-01..2026-03-31",
        "today",
        "yesterday",
        "this-week",
        "last-month",
        "next-quarter",
        "this-year",
        "ytd",
        "qtd",
        "mtd",
    ]:
        assert example in message


def test_parse_period_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_period("nonsense", JANUARY, TODAY)


@PROPERTY
@given(calendars, st.text(max_size=30))
def test_parse_period_fails_only_with_period_error(calendar: FiscalCalendar, text: str) -> None:
    with contextlib.suppress(PeriodError):
        parse_period(text, calendar, TODAY)


@PROPERTY
@given(calendars, dates)
def test_parse_period_this_periods_contain_today(calendar: FiscalCalendar, today: date) -> None:
    for unit in ("week", "month", "quarter", "year"):
        assert parse_period(f"this-{unit}", calendar, today).contains(today)


# ============================================================== calendar validation


@pytest.mark.parametrize(
    ("settings_", "field_name"),
    [
        ({"start_month": 0}, "start_month"),
        ({"start_month": 13}, "start_month"),
        ({"start_month": True}, "start_month"),
        ({"week_start": 7}, "week_start"),
        ({"week_start": -1}, "week_start"),
        ({"period_type": "4-4-4"}, "period_type"),
        ({"week_rule": "first"}, "week_rule"),
        ({"naming": "middle"}, "naming"),
        ({"working_weekdays": frozenset()}, "working_weekdays"),
        ({"working_weekdays": frozenset({0, 7})}, "working_weekdays"),
        ({"holidays": frozenset({datetime(2026, 1, 1)})}, "holidays"),
        ({"holidays": frozenset({"2026-01-01"})}, "holidays"),
    ],
)
def test_calendar_validation_error_names_the_field(
    settings_: dict[str, object], field_name: str
) -> None:
    with pytest.raises(ValueError, match=field_name):
        FiscalCalendar(**settings_)  # type: ignore[arg-type]


def test_calendar_accepts_enum_values_as_strings() -> None:
    from_strings = FiscalCalendar(
        period_type="4-4-5",  # type: ignore[arg-type]
        week_rule="nearest",  # type: ignore[arg-type]
        naming="start",  # type: ignore[arg-type]
    )
    assert from_strings == FiscalCalendar(
        period_type=PeriodType.P445, week_rule=WeekRule.NEAREST, naming=YearNaming.START
    )


def test_calendar_is_hashable_for_caching() -> None:
    assert hash(FiscalCalendar()) == hash(FiscalCalendar())
