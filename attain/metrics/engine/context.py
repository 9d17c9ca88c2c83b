"""What every computation needs once per request: the organisation, its calendar and 'now'."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from attain.core.periods import FiscalCalendar, Period
from attain.org.models import Organisation
from attain.org.selectors import fiscal_calendar, org_time_zone, organisation_get


@dataclass(frozen=True)
class MetricSettings:
    """Tunable definitions, from Django settings (ATTAIN_METRICS) with these defaults."""

    on_track: Decimal = Decimal("0.95")  # value ÷ pace at or above: on track
    at_risk: Decimal = Decimal("0.80")  # at or above: at risk; below: behind
    follow_up_days: int = 3  # a quote counts as followed up within this many days
    no_activity_days: int = 30  # data quality: open deal with no activity for this long
    customer_lifetime_years: Decimal = Decimal("3")  # predictive CLV's expected lifetime

    @classmethod
    def from_settings(cls) -> MetricSettings:
        raw = getattr(settings, "ATTAIN_METRICS", {})
        defaults = cls()
        return cls(
            on_track=Decimal(str(raw.get("on_track", defaults.on_track))),
            at_risk=Decimal(str(raw.get("at_risk", defaults.at_risk))),
            follow_up_days=int(raw.get("follow_up_days", defaults.follow_up_days)),
            no_activity_days=int(raw.get("no_activity_days", defaults.no_activity_days)),
            customer_lifetime_years=Decimal(
                str(raw.get("customer_lifetime_years", defaults.customer_lifetime_years))
            ),
        )


@dataclass(frozen=True)
class MetricsContext:
    org: Organisation
    tz: ZoneInfo
    calendar: FiscalCalendar
    now: datetime
    today: date
    settings: MetricSettings
    # Reads shared by every figure of one request (e.g. a team's memberships), keyed by name.
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, *, today: date | None = None, now: datetime | None = None) -> MetricsContext:
        """`today` pins the clock (tests, reproducible CLI runs); default is the real time."""
        org = organisation_get()
        tz = org_time_zone(org)
        if now is None:
            if today is not None:
                now = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=tz)
                now -= timedelta(microseconds=1)
            else:
                now = timezone.now()
        local_today = today or now.astimezone(tz).date()
        return cls(
            org=org,
            tz=tz,
            calendar=fiscal_calendar(org),
            now=now,
            today=local_today,
            settings=MetricSettings.from_settings(),
        )

    def as_of(self, period: Period) -> datetime:
        """The moment a snapshot figure describes: the period's end, or now if that is earlier."""
        return min(period.end_at(self.tz), self.now)

    def is_live(self, period: Period) -> bool:
        return period.end_at(self.tz) > self.now
