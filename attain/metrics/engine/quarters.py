"""Three-month blocks for PersonQuarter: which block a day is in, and how a date range splits
into whole blocks, whole months and loose days.

A block starts on the first day of the fiscal year's first month or of every third month after
it, so under a calendar-month fiscal year the blocks are exactly the fiscal quarters. Pure date
arithmetic, shared by the code that writes the rollups and the code that reads them.
"""

from __future__ import annotations

from datetime import date, timedelta

from attain.org.models import Organisation

Range = tuple[date, date]


def fiscal_start_month() -> int:
    """The month (1-12) the organisation's fiscal year starts in; January before it exists."""
    month = Organisation.objects.values_list("fiscal_year_start_month", flat=True).first()
    return month or 1


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_of(day: date, start_month: int) -> date:
    """The first day of the block that holds `day`."""
    return add_months(day, -((day.month - start_month) % 3))


def quarters_covering(start: date, end: date, start_month: int) -> Range:
    """[first block start, end of the last block) of the blocks that overlap [start, end)."""
    last = quarter_of(end - timedelta(days=1), start_month)
    return quarter_of(start, start_month), add_months(last, 3)


def split(
    start: date, end: date, start_month: int
) -> tuple[Range | None, list[Range], list[Range]]:
    """[start, end) as (whole blocks or None, whole calendar months outside them, days at the
    edges): what a per-person sum reads from PersonQuarter, PersonMonth and PersonDay."""
    first_month = start if start.day == 1 else add_months(start, 1)
    last_month = end.replace(day=1)
    if first_month >= last_month:
        return None, [], [(start, end)]
    days = [(lo, hi) for lo, hi in ((start, first_month), (last_month, end)) if lo < hi]
    first_block = quarter_of(add_months(first_month, 2), start_month)
    last_block = quarter_of(last_month, start_month)
    if first_block >= last_block:
        return None, [(first_month, last_month)], days
    months = [
        (lo, hi) for lo, hi in ((first_month, first_block), (last_block, last_month)) if lo < hi
    ]
    return (first_block, last_block), months, days
