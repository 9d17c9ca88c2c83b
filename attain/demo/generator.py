"""Row streams for the big demo tables, one rep at a time.

Each rep has its own `random.Random` seeded from (seed, rep index), so a rep's history does not
change when another rep's does, and the whole load is reproducible. Rows are plain tuples with
ids assigned here, in the column order of the *_COLUMNS constants, written exactly as the CRM
services would write them: organisation-local dates next to timestamps, base amounts at the
stored rate, a stage-history row for the creation and for every move, status and close time
consistent with the stage, last-activity times from the deal's own activities.

Time is simulated in whole days (an index into precomputed day tables) plus seconds after local
midnight; every timestamp falls inside business hours on a working day, so its local date is
known without converting time zones per row.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from attain.core.periods import FiscalCalendar
from attain.demo.profiles import (
    DemoPlan,
    RepProfile,
    ascii_slug,
    faker_for,
    stream_seed,
)

ACCOUNT_COLUMNS: Final = (
    "id",
    "name",
    "industry",
    "size",
    "territory_id",
    "owner_id",
    "created_at",
    "external_id",
    "source_system",
)
DEAL_COLUMNS: Final = (
    "id",
    "name",
    "account_id",
    "owner_id",
    "product_id",
    "amount",
    "currency",
    "exchange_rate",
    "amount_base",
    "stage_id",
    "probability",
    "created_at",
    "created_on",
    "expected_close_date",
    "closed_at",
    "closed_on",
    "status",
    "lost_reason",
    "next_step",
    "next_step_date",
    "lead_source",
    "stage_entered_at",
    "last_activity_at",
    "external_id",
    "source_system",
    "updated_at",
)
STAGE_CHANGE_COLUMNS: Final = (
    "id",
    "deal_id",
    "from_stage_id",
    "to_stage_id",
    "changed_at",
    "changed_by_id",
)
ACTIVITY_COLUMNS: Final = (
    "id",
    "kind",
    "owner_id",
    "deal_id",
    "account_id",
    "occurred_at",
    "occurred_on",
    "outcome",
    "duration_minutes",
    "subject",
    "external_id",
    "source_system",
)
LEAD_COLUMNS: Final = (
    "id",
    "name",
    "company",
    "email",
    "source",
    "created_at",
    "created_on",
    "owner_id",
    "status",
    "converted_at",
    "deal_id",
    "external_id",
    "source_system",
)

CENT: Final = Decimal("0.01")
ONE_RATE: Final = Decimal("1.00000000")
HOUR: Final = 3600
DAY_START: Final = 8 * HOUR
DAY_END: Final = 18 * HOUR
WARM_UP_DAYS: Final = 120

# Calendar-month multipliers on activity and new pipeline (fiscal year starts in February):
# quarter-end pushes in April, July, October and January, a summer dip, a strong Q4.
SEASON: Final = {
    2: 0.94,
    3: 1.0,
    4: 1.1,
    5: 0.98,
    6: 1.0,
    7: 0.9,
    8: 0.8,
    9: 1.0,
    10: 1.1,
    11: 1.12,
    12: 1.05,
    1: 1.25,
}
INDUSTRIES: Final = (
    "Software",
    "Retail",
    "Manufacturing",
    "Healthcare",
    "Financial Services",
    "Logistics",
    "Education",
    "Media",
    "Energy",
    "Public Sector",
)
SIZES: Final = ("small", "mid", "large", "enterprise")
SIZE_AMOUNT: Final = {"small": 0.55, "mid": 1.0, "large": 1.7, "enterprise": 2.6}
SIZE_CYCLE: Final = {"small": 0.75, "mid": 1.0, "large": 1.3, "enterprise": 1.6}
LEAD_SOURCES: Final = (
    ("Website", 0.30, 1.0),
    ("Paid search", 0.17, 0.85),
    ("Webinar", 0.12, 0.95),
    ("Partner", 0.12, 1.15),
    ("Referral", 0.10, 1.3),
    ("Content download", 0.11, 0.85),
    ("Trade show", 0.08, 0.9),
)
LOST_REASONS: Final = (
    ("No budget", "Not a fit", "No decision", "Bad timing"),
    ("Not a fit", "No budget", "Chose competitor", "Bad timing"),
    ("Price", "Chose competitor", "Bad timing", "No decision"),
    ("Price", "Chose competitor", "Legal / procurement", "No decision"),
)
NEXT_STEPS: Final = (
    ("Qualify budget and timeline", "Book discovery call", "Confirm decision maker"),
    ("Schedule product demo", "Map requirements", "Intro to technical team"),
    ("Review proposal with champion", "Send revised quote", "Present business case"),
    ("Send contract", "Legal review", "Agree final pricing", "Procurement sign-off"),
)
STAGE_SUBJECTS: Final = (
    {"call": "Qualification call", "email": "Follow-up email", "meeting": "Intro meeting"},
    {"call": "Discovery call", "email": "Discovery recap", "meeting": "Discovery meeting"},
    {"quote": "Proposal sent", "email": "Proposal follow-up", "follow_up": "Check in on quote"},
    {
        "call": "Negotiation call",
        "email": "Contract terms",
        "meeting": "Negotiation meeting",
        "follow_up": "Chase signature",
        "quote": "Revised quote",
    },
)


def _weighted(rng: random.Random, items: tuple[Any, ...], cum: list[float]) -> Any:
    return items[bisect_right(cum, rng.random() * cum[-1])]


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 30)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _lognormal(rng: random.Random, sigma: float) -> float:
    return math.exp(rng.gauss(0.0, sigma) - sigma * sigma / 2)


@dataclass(frozen=True)
class ProductRef:
    id: int
    name: str
    # A sampling scale for random amounts, not money: stored amounts are built as Decimal.
    price_scale: float


@dataclass
class IdCounters:
    """Next free primary key per bulk table, assigned here so rows can refer to each other."""

    account: int
    deal: int
    stage_change: int
    activity: int
    lead: int


@dataclass
class Buffers:
    """Rows waiting for the next bulk_insert, per table."""

    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    deals: list[tuple[Any, ...]] = field(default_factory=list)
    stage_changes: list[tuple[Any, ...]] = field(default_factory=list)
    activities: list[tuple[Any, ...]] = field(default_factory=list)
    leads: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class DemoContext:
    """What the row generator needs from the database: ids of the reference rows, the calendar."""

    plan: DemoPlan
    tz: ZoneInfo
    stage_ids: list[int]  # the four open stages in order, then won, then lost
    products: list[ProductRef]
    product_weights: list[float]
    rates: dict[str, dict[tuple[int, int], Decimal]]
    territory_ids: dict[str, int]
    person_ids: dict[str, int]
    user_ids: dict[str, int]
    loaded_at: datetime


class DayTable:
    """Dates as integers: day n is `base + n`, with its UTC local-midnight and working-day links."""

    def __init__(self, calendar: FiscalCalendar, tz: ZoneInfo, base: date, end: date) -> None:
        self.base = base
        self.count = (end - base).days + 1
        self.dates = [base + timedelta(days=n) for n in range(self.count)]
        self.midnight = [
            datetime.combine(d, time.min, tzinfo=tz).astimezone(UTC) for d in self.dates
        ]
        self.working = [calendar.is_working_day(d) for d in self.dates]
        self.next_work = [0] * self.count
        following = self.count - 1
        for n in range(self.count - 1, -1, -1):
            if self.working[n]:
                following = n
            self.next_work[n] = following
        self.prev_work = [0] * self.count
        previous = 0
        for n in range(self.count):
            if self.working[n]:
                previous = n
            self.prev_work[n] = previous
        self.workdays = [n for n in range(self.count) if self.working[n]]
        self.workday_index = {n: i for i, n in enumerate(self.workdays)}

    def day(self, d: date) -> int:
        return (d - self.base).days

    def stamp(self, day: int, sec: int) -> datetime:
        return self.midnight[day] + timedelta(seconds=sec)


class RepGenerator:
    """Generates every account, deal, stage change, activity and lead of one rep."""

    def __init__(self, ctx: DemoContext, ids: IdCounters, out: Buffers) -> None:
        self.ctx = ctx
        self.plan = ctx.plan
        self.ids = ids
        self.out = out
        plan = ctx.plan
        base = plan.history_start - timedelta(days=6 * 366)
        end = plan.as_of + timedelta(days=3 * 366)
        self.days = DayTable(plan.calendar, ctx.tz, base, end)
        self.first_day = self.days.day(plan.history_start)
        self.as_of_day = self.days.day(plan.as_of)
        self.span = max(1, self.as_of_day - self.first_day)
        self.product_cum = _cumulative(ctx.product_weights)
        self.source_items = tuple((name, factor) for name, _, factor in LEAD_SOURCES)
        self.source_cum = _cumulative([weight for _, weight, _ in LEAD_SOURCES])
        pools = random.Random(stream_seed(plan.seed, "name-pools"))
        fake = faker_for("en_US")
        fake.seed_instance(stream_seed(plan.seed, "lead-pools"))
        self.first_names = [fake.first_name() for _ in range(400)]
        self.last_names = [fake.last_name() for _ in range(600)]
        self.lead_companies = [fake.company() for _ in range(1500)]
        self.lead_domains = [
            (ascii_slug(c.split()[0].strip(",")) or "company") + ".example"
            for c in self.lead_companies
        ]
        self.first_slugs = [ascii_slug(n) for n in self.first_names]
        self.last_slugs = [ascii_slug(n) for n in self.last_names]
        pools.shuffle(self.lead_companies)
        self.season = [SEASON[d.month] for d in self.days.dates]

    # ------------------------------------------------------------------ time helpers

    def _after(self, rng: random.Random, day: int, sec: int, gap_days: float) -> tuple[int, int]:
        """An event `gap_days` after (day, sec): a working day, business hours, strictly later."""
        target = day + int(gap_days)
        if target <= day:
            later = sec + 600 + int(rng.random() * 5400)
            if later <= DAY_END:
                return day, later
            target = day + 1
        if target >= self.days.count - 1:
            return self.days.count + 1000, DAY_START
        return self.days.next_work[target], DAY_START + 1800 + int(rng.random() * 8.5 * HOUR)

    def _capacity(self, rep: RepProfile, hire_day: int, day: int) -> tuple[float, float]:
        """(activity capacity, win-rate factor) on a day: FTE, ramp-up after hiring, season."""
        since = day - hire_day
        ramp = 1.0 if since >= 90 else 0.25 + 0.75 * since / 90
        return float(rep.fte) * ramp * self.season[day], 0.6 + 0.4 * ramp

    # ------------------------------------------------------------------ the rep

    def run(self, rep: RepProfile) -> None:
        """Append the rep's rows to the buffers, walking their working days in order."""
        ctx, days = self.ctx, self.days
        rng = random.Random(stream_seed(self.plan.seed, "rep", rep.index))
        fake = faker_for(rep.locale)
        fake.seed_instance(stream_seed(self.plan.seed, "rep-faker", rep.index))
        owner = ctx.person_ids[rep.email]
        user = ctx.user_ids[rep.email]
        hire_day = days.day(rep.hire_date)
        start_day = days.next_work[max(self.first_day, hire_day)]
        last_day = self.as_of_day
        leaves = rep.leave_date is not None and rep.leave_date <= self.plan.as_of
        if rep.leave_date is not None and leaves:
            last_day = days.prev_work[days.day(rep.leave_date) - 1]
        last_deal_day = last_day - 45 if leaves else last_day
        teams = {t.name: t for t in self.plan.teams}
        enterprise = "Enterprise" in rep.team or "Strategic" in rep.team
        size_cum = _cumulative([0.15, 0.35, 0.32, 0.18] if enterprise else [0.35, 0.42, 0.17, 0.06])

        # Accounts: a book inherited or built before the history window, then new logos.
        accounts: list[tuple[int, str, str, str]] = []  # id, name, currency, size

        def add_account(day: int, sec: int) -> None:
            team = teams[rep.team_on(days.dates[day])]
            currency = _weighted(
                rng,
                tuple(c for c, _ in team.currencies),
                _cumulative([w for _, w in team.currencies]),
            )
            size = _weighted(rng, SIZES, size_cum)
            account_id = self.ids.account
            self.ids.account += 1
            name = fake.company()
            self.out.accounts.append(
                (
                    account_id,
                    name,
                    INDUSTRIES[int(rng.random() * len(INDUSTRIES))],
                    size,
                    ctx.territory_ids[team.territory],
                    owner,
                    days.stamp(day, sec),
                    "",
                    "",
                )
            )
            accounts.append((account_id, name, currency, size))

        initial = 20 + int(rng.random() * 10)
        book_end = start_day - WARM_UP_DAYS - 1
        for day in sorted(book_end - int(rng.random() * 3 * 365) for _ in range(initial)):
            add_account(day, DAY_START + int(rng.random() * 9 * HOUR))

        win_a, win_b = rep.win_rate_start, rep.win_rate_end
        conv_ratio = (1 - rep.lead_conversion) / rep.lead_conversion
        out_act = self.out.activities
        ids = self.ids
        date_of = days.dates
        stamp = days.stamp
        calls_rate, emails_rate = rep.calls_per_day, rep.emails_per_day
        meeting_rate = 0.12 * math.sqrt(calls_rate / 5.4)
        work_index = days.workday_index
        workdays = days.workdays
        # Deals start a few months before the window so its first quarter has a pipeline to
        # close; everything else (prospecting, new accounts, open leads) starts with the window.
        warm_up = days.next_work[max(start_day - WARM_UP_DAYS, hire_day)]
        for w in range(work_index[warm_up], work_index[days.prev_work[last_day]] + 1):
            day = workdays[w]
            cap, win_factor = self._capacity(rep, hire_day, day)
            on = date_of[day]
            if day < start_day:
                win = win_a * win_factor
                for _ in range(poisson(rng, rep.deals_per_day * cap)):
                    self._deal(rng, rep, owner, user, day, win, accounts, last_day, leaves)
                continue
            if rng.random() < rep.deals_per_day * cap * 0.2:
                add_account(day, DAY_START + int(rng.random() * HOUR))
            # Prospecting: calls, e-mails and intro meetings not (yet) tied to a deal.
            for _ in range(poisson(rng, calls_rate * cap)):
                r = rng.random()
                account_id = accounts[int(rng.random() * len(accounts))][0] if r < 0.75 else None
                o = rng.random()
                if o < 0.28:
                    outcome, minutes = "connected", 3 + int(rng.random() * 18)
                elif o < 0.75:
                    outcome, minutes = "no_answer", None
                else:
                    outcome, minutes = "left_message", 1
                sec = DAY_START + int(rng.random() * 9.5 * HOUR)
                out_act.append(
                    (
                        ids.activity,
                        "call",
                        owner,
                        None,
                        account_id,
                        stamp(day, sec),
                        on,
                        outcome,
                        minutes,
                        "Prospecting call",
                        "",
                        "",
                    )
                )
                ids.activity += 1
            for _ in range(poisson(rng, emails_rate * cap)):
                account_id = (
                    accounts[int(rng.random() * len(accounts))][0] if rng.random() < 0.8 else None
                )
                sec = DAY_START - 1800 + int(rng.random() * 11 * HOUR)
                outcome = "replied" if rng.random() < 0.2 else "sent"
                out_act.append(
                    (
                        ids.activity,
                        "email",
                        owner,
                        None,
                        account_id,
                        stamp(day, sec),
                        on,
                        outcome,
                        None,
                        "Intro email",
                        "",
                        "",
                    )
                )
                ids.activity += 1
            for _ in range(poisson(rng, meeting_rate * cap)):
                account_id = accounts[int(rng.random() * len(accounts))][0]
                o = rng.random()
                outcome = "held" if o < 0.85 else ("no_show" if o < 0.92 else "rescheduled")
                sec = DAY_START + HOUR + int(rng.random() * 7 * HOUR)
                out_act.append(
                    (
                        ids.activity,
                        "meeting",
                        owner,
                        None,
                        account_id,
                        stamp(day, sec),
                        on,
                        outcome,
                        30 if outcome == "held" else None,
                        "Intro meeting",
                        "",
                        "",
                    )
                )
                ids.activity += 1
            # New deals (some from inbound leads) and leads that did not convert.
            if day <= last_deal_day:
                t = (day - self.first_day) / self.span
                win = (win_a + (win_b - win_a) * min(1.0, max(0.0, t))) * win_factor
                for _ in range(poisson(rng, rep.deals_per_day * cap)):
                    self._deal(rng, rep, owner, user, day, win, accounts, last_day, leaves)
                for _ in range(poisson(rng, rep.deals_per_day * cap * 0.55 * conv_ratio)):
                    self._open_lead(rng, owner, day, leaves)

    # ------------------------------------------------------------------ leads

    def _person(self, rng: random.Random) -> tuple[str, str]:
        f = int(rng.random() * len(self.first_names))
        last = int(rng.random() * len(self.last_names))
        return (
            f"{self.first_names[f]} {self.last_names[last]}",
            f"{self.first_slugs[f]}.{self.last_slugs[last]}",
        )

    def _open_lead(self, rng: random.Random, owner: int, day: int, leaves: bool) -> None:
        """A lead that never became a deal: disqualified once old, else new or being worked."""
        name, slug = self._person(rng)
        c = int(rng.random() * len(self.lead_companies))
        age = self.as_of_day - day
        r = rng.random()
        if leaves:
            status = "disqualified"
        elif age <= 7:
            status = "new" if r < 0.6 else "working"
        elif age <= 40:
            status = "working" if r < 0.6 else "disqualified"
        else:
            status = "working" if r < 0.06 else "disqualified"
        sec = 6 * HOUR + int(rng.random() * 16 * HOUR)
        self.out.leads.append(
            (
                self.ids.lead,
                name,
                self.lead_companies[c],
                f"{slug}@{self.lead_domains[c]}",
                _weighted(rng, self.source_items, self.source_cum)[0],
                self.days.stamp(day, sec),
                self.days.dates[day],
                owner,
                status,
                None,
                None,
                "",
                "",
            )
        )
        self.ids.lead += 1

    # ------------------------------------------------------------------ deals

    def _deal(
        self,
        rng: random.Random,
        rep: RepProfile,
        owner: int,
        user: int,
        day0: int,
        win: float,
        accounts: list[tuple[int, str, str, str]],
        last_day: int,
        leaves: bool,
    ) -> None:
        ctx, days = self.ctx, self.days
        stage_ids = ctx.stage_ids
        sec0 = DAY_START + HOUR + int(rng.random() * 8 * HOUR)
        if rng.random() < 0.45 and len(accounts) > 8:
            account = accounts[len(accounts) - 1 - int(rng.random() * 8)]
        else:
            account = accounts[int(rng.random() * len(accounts))]
        account_id, account_name, currency, size = account
        product = _weighted(rng, tuple(ctx.products), self.product_cum)
        r = rng.random()
        from_lead = r < 0.55
        if from_lead:
            source, source_factor = _weighted(rng, self.source_items, self.source_cum)
        elif r < 0.85:
            source, source_factor = "Outbound", 0.85
        else:
            source, source_factor = "Existing customer", 1.35
        # Amount: around the product's list price, the rep's usual deal and the account's size.
        usd = (
            product.price_scale
            * _lognormal(rng, 0.35)
            * rep.deal_size
            * SIZE_AMOUNT[size]
            * (1 - 0.2 * rng.random())
        )
        on0 = days.dates[day0]
        if currency == "USD":
            rate = ONE_RATE
            amount = Decimal(max(10, int(round(usd, -1)))).quantize(CENT)
            amount_base = amount
        else:
            rate = ctx.rates[currency][(on0.year, on0.month)]
            amount = Decimal(max(10, int(round(usd / float(rate), -1)))).quantize(CENT)
            amount_base = (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)

        # The path through the stages, as it would play out without a cut-off.
        cycle = rep.cycle_days * SIZE_CYCLE[size] * _lognormal(rng, 0.4)
        parts = [f * (0.6 + 0.9 * rng.random()) for f in (0.15, 0.25, 0.30, 0.30)]
        p_win = min(0.9, win * source_factor * (1.08 if on0.month in (11, 12, 1) else 1.0))
        won = rng.random() < p_win
        if won:
            last_open = 3
        else:
            d = rng.random()
            last_open = 0 if d < 0.32 else 1 if d < 0.62 else 2 if d < 0.84 else 3
        events: list[tuple[int, int, int]] = [(day0, sec0, 0)]  # day, sec, stage position
        day, sec = day0, sec0
        for k in range(1, last_open + 1):
            day, sec = self._after(rng, day, sec, cycle * parts[k - 1])
            events.append((day, sec, k))
        dark_day: int | None = None
        lost_reason = ""
        if won:
            cday, csec = self._after(rng, day, sec, cycle * parts[last_open])
            cday = self._pull_to_quarter_end(rng, cday, day)
            if cday == day and csec <= sec:
                csec = sec + 600
            events.append((cday, csec, 4))
        else:
            if rng.random() < 0.14:
                dark_day, _ = self._after(
                    rng, day, sec, cycle * parts[last_open] * (0.1 + 0.5 * rng.random())
                )
                cday, csec = self._after(rng, dark_day, DAY_END, 30 + 90 * rng.random())
                lost_reason = "Went dark" if rng.random() < 0.7 else "No decision"
            else:
                cday, csec = self._after(
                    rng, day, sec, cycle * parts[last_open] * (0.3 + 0.7 * rng.random())
                )
                reasons = LOST_REASONS[last_open]
                lost_reason = reasons[int(rng.random() * len(reasons))]
            events.append((cday, csec, 5))
        planned_close = day0 + max(7, int(rep.cycle_days * SIZE_CYCLE[size] * _lognormal(rng, 0.2)))

        # Cut at as-of (the deal stays open) or at the rep's last day (a leaver's deals are lost).
        kept = [e for e in events if e[0] <= last_day]
        if len(kept) < len(events) and leaves:
            lday, lsec, _ = kept[-1]
            csec = 16 * HOUR + int(rng.random() * HOUR)
            if lday == last_day and csec <= lsec:
                csec = lsec + 60
            kept.append((last_day, csec, 5))
            lost_reason = "No decision"
        closed = kept[-1][2] >= 4
        if closed and kept[-1][0] < self.first_day:
            return  # a warm-up deal that closed before the window: not part of the history
        if not closed:
            lost_reason = ""
        activity_end = (
            (last_day, 24 * HOUR) if dark_day is None else (min(dark_day, last_day), DAY_END)
        )
        if closed:
            activity_end = min(activity_end, (kept[-1][0], kept[-1][1]))

        deal_id = self.ids.deal
        self.ids.deal += 1
        # Activities, stage by stage, only up to the cut-off.
        final_quote = closed and dark_day is None and (won or len(kept) >= 4)
        last_activity = self._deal_activities(
            rng, owner, deal_id, account_id, events, kept, activity_end, final_quote
        )

        # Stage history: the creation row, then every move.
        out_sc = self.out.stage_changes
        previous: int | None = None
        for eday, esec, pos in kept:
            stage = stage_ids[pos]
            out_sc.append(
                (self.ids.stage_change, deal_id, previous, stage, days.stamp(eday, esec), user)
            )
            self.ids.stage_change += 1
            previous = stage
        final_day, final_sec, final_pos = kept[-1]
        final_at = days.stamp(final_day, final_sec)
        status = "won" if final_pos == 4 else "lost" if final_pos == 5 else "open"
        next_step, next_step_date = "", None
        expected = planned_close
        if status == "open":
            if expected < self.as_of_day and rng.random() < 0.5:
                expected = self.as_of_day + 7 + int(rng.random() * 53)
            if rng.random() >= 0.15:
                steps = NEXT_STEPS[final_pos]
                next_step = steps[int(rng.random() * len(steps))]
                if dark_day is not None:
                    step_day = min(self.as_of_day, dark_day + 3 + int(rng.random() * 8))
                elif rng.random() < 0.2:
                    step_day = self.as_of_day - 1 - int(rng.random() * 10)
                else:
                    step_day = self.as_of_day + 1 + int(rng.random() * 14)
                next_step_date = self._date(step_day)
        created_at = days.stamp(day0, sec0)
        self.out.deals.append(
            (
                deal_id,
                f"{account_name} – {product.name}",
                account_id,
                owner,
                product.id,
                amount,
                currency,
                rate,
                amount_base,
                stage_ids[final_pos],
                None,
                created_at,
                days.dates[day0],
                self._date(expected),
                final_at if status != "open" else None,
                days.dates[final_day] if status != "open" else None,
                status,
                lost_reason if status == "lost" else "",
                next_step,
                next_step_date,
                source,
                final_at,
                days.stamp(*last_activity) if last_activity else None,
                "",
                "",
                ctx.loaded_at,
            )
        )
        if from_lead:
            hired = self.days.day(rep.hire_date)
            self._converted_lead(rng, owner, deal_id, account_name, source, day0, sec0, hired)

    def _date(self, day: int) -> date:
        if 0 <= day < self.days.count:
            return self.days.dates[day]
        return self.days.base + timedelta(days=day)

    def _pull_to_quarter_end(self, rng: random.Random, day: int, floor: int) -> int:
        """Reps push deals over the line before a quarter ends (harder before the year ends)."""
        if day >= self.days.count:
            return day
        days = self.days
        on = days.dates[day]
        position = (on.month - 2) % 3  # month of the fiscal quarter: 0, 1 or 2
        if position == 0:
            # Pulled in: closed in the last week of the previous quarter instead.
            if rng.random() >= (0.65 if on.month == 2 else 0.45) * (1.2 - on.day / 31):
                return day
            quarter_last = days.prev_work[day - on.day]
            target = days.prev_work[quarter_last - int(rng.random() * 7)]
            return target if target > floor else day
        if position == 1 and rng.random() < 0.3:
            # Slipped to the quarter's last fortnight, when the pressure to close is highest.
            after_quarter = (on.replace(day=1) + timedelta(days=63)).replace(day=1)
            quarter_end = days.day(after_quarter) - 1
            if quarter_end >= days.count:
                return day
            return days.prev_work[quarter_end - int(rng.random() * 14)]
        return day

    def _deal_activities(
        self,
        rng: random.Random,
        owner: int,
        deal_id: int,
        account_id: int,
        events: list[tuple[int, int, int]],
        kept: list[tuple[int, int, int]],
        end: tuple[int, int],
        final_quote: bool,
    ) -> tuple[int, int] | None:
        """Calls, meetings, quotes, e-mails and follow-ups for each stage the deal went through.

        Planned over the stage's whole (uncut) span and dropped past `end`, so an open deal's
        activity thins out naturally at as-of. Returns the (day, sec) of the latest one.
        """
        days = self.days
        out = self.out.activities
        latest: tuple[int, int] | None = None
        plans: list[tuple[str, int, bool]] = []  # kind, count, first-at-start
        for index, (sday, ssec, pos) in enumerate(events):
            if pos >= 4:
                break
            if (sday, ssec) > end:
                break
            nday, nsec = events[index + 1][0], events[index + 1][1]
            if pos == 0:
                plans = [("call", 1 + poisson(rng, 0.8), True), ("email", poisson(rng, 1.0), False)]
            elif pos == 1:
                plans = [
                    ("meeting", 1, True),
                    ("call", poisson(rng, 1.0), False),
                    ("email", 1 + poisson(rng, 0.8), False),
                ]
            elif pos == 2:
                plans = [
                    ("quote", 1, True),
                    ("email", 1 + poisson(rng, 1.2), False),
                    ("follow_up", 1 + poisson(rng, 1.0), False),
                ]
            else:
                plans = [
                    ("meeting", poisson(rng, 0.6), False),
                    ("call", 1 + poisson(rng, 0.8), False),
                    ("email", 1 + poisson(rng, 1.5), False),
                    ("follow_up", poisson(rng, 1.0), False),
                    ("quote", 1 if rng.random() < 0.3 else 0, False),
                ]
            subjects = STAGE_SUBJECTS[pos]
            for kind, count, at_start in plans:
                for n in range(count):
                    if at_start and n == 0:
                        aday, asec = sday, min(ssec + 300 + int(rng.random() * 3600), 20 * HOUR)
                    else:
                        aday, asec = self._between(rng, sday, ssec, nday, nsec)
                    if (aday, asec) > end or (aday, asec) >= (nday, nsec):
                        continue
                    outcome, minutes = self._outcome(rng, kind)
                    out.append(
                        (
                            self.ids.activity,
                            kind,
                            owner,
                            deal_id,
                            account_id,
                            days.stamp(aday, asec),
                            days.dates[aday],
                            outcome,
                            minutes,
                            subjects.get(kind, "Follow-up"),
                            "",
                            "",
                        )
                    )
                    self.ids.activity += 1
                    if latest is None or (aday, asec) > latest:
                        latest = (aday, asec)
        close_day, close_sec, close_pos = kept[-1]
        if final_quote and (close_pos == 4 or rng.random() < 0.4):
            asec = max(close_sec - 300, 0)
            if (close_day, asec) > (kept[-2][0], kept[-2][1]):
                out.append(
                    (
                        self.ids.activity,
                        "quote",
                        owner,
                        deal_id,
                        account_id,
                        days.stamp(close_day, asec),
                        days.dates[close_day],
                        "accepted" if close_pos == 4 else "declined",
                        None,
                        "Final quote",
                        "",
                        "",
                    )
                )
                self.ids.activity += 1
                if latest is None or (close_day, asec) > latest:
                    latest = (close_day, asec)
        return latest

    def _between(
        self, rng: random.Random, sday: int, ssec: int, nday: int, nsec: int
    ) -> tuple[int, int]:
        """A business-hours moment on a working day in [start, next), roughly uniform."""
        days = self.days
        first = days.workday_index[sday]
        last_day = min(nday, days.count - 1)
        last = days.workday_index[days.prev_work[last_day]]
        w = first + int(rng.random() * (last - first + 1)) if last > first else first
        day = days.workdays[w]
        sec = DAY_START + int(rng.random() * 10 * HOUR)
        if day == sday and sec <= ssec:
            sec = min(ssec + 300 + int(rng.random() * 3600), 20 * HOUR)
        return day, sec

    @staticmethod
    def _outcome(rng: random.Random, kind: str) -> tuple[str, int | None]:
        r = rng.random()
        if kind == "call":
            if r < 0.6:
                return "connected", 5 + int(rng.random() * 30)
            return ("no_answer", None) if r < 0.85 else ("left_message", 1)
        if kind == "meeting":
            if r < 0.8:
                return "held", (30, 45, 60)[int(rng.random() * 3)]
            return ("no_show", None) if r < 0.88 else ("rescheduled", None)
        if kind == "email":
            return ("replied", None) if r < 0.35 else ("sent", None)
        if kind == "quote":
            return "sent", None
        return ("connected", 10) if r < 0.5 else ("sent", None)

    def _converted_lead(
        self,
        rng: random.Random,
        owner: int,
        deal_id: int,
        company: str,
        source: str,
        day0: int,
        sec0: int,
        hired: int,
    ) -> None:
        """The inbound lead a deal came from, created a few days before and converted with it."""
        lag = min(int(rng.random() * 21), max(0, day0 - hired))
        lday = day0 - lag
        lsec = 6 * HOUR + int(rng.random() * 16 * HOUR)
        if lag == 0:
            lsec = max(0, sec0 - 600 - int(rng.random() * 2 * HOUR))
        name, slug = self._person(rng)
        self.out.leads.append(
            (
                self.ids.lead,
                name,
                company,
                f"{slug}@{ascii_slug(company.split()[0].strip(',')) or 'company'}.example",
                source,
                self.days.stamp(lday, lsec),
                self.days.dates[lday],
                owner,
                "converted",
                self.days.stamp(day0, sec0),
                deal_id,
                "",
                "",
            )
        )
        self.ids.lead += 1


RowSink = Callable[[str, tuple[str, ...], list[tuple[Any, ...]]], int]
