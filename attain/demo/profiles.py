"""The demo company on paper: its calendar, teams, territories, staff and each rep's profile.

Pure Python and deterministic in (size, seed, as_of), so tests and docs can recompute who the
interesting people are (`demo_plan(...).cast`) without extra model fields. The generator turns
this plan into rows.
"""

from __future__ import annotations

import hashlib
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Final

from faker import Faker

from attain.core.periods import FiscalCalendar, Period

ORG_NAME: Final = "Northwind Analytics"
DOMAIN: Final = "northwind.example"
TIME_ZONE: Final = "America/New_York"
BASE_CURRENCY: Final = "USD"
FISCAL_YEAR_START_MONTH: Final = 2
PASSWORD: Final = "demo"
URL: Final = "http://127.0.0.1:8000/"


class Archetype:
    """What makes a rep interesting in the demo (stable names tests and docs refer to)."""

    ORDINARY = "ordinary"
    TOP = "top_performer"
    UNDER_CALLER = "under_caller"
    DECLINING = "declining"
    NEW_HIRE = "new_hire"
    LEAVER = "leaver"
    MOVER = "mover"


@dataclass(frozen=True)
class SizeSpec:
    regions: int
    teams_per_region: int
    reps_per_team: int

    @property
    def reps(self) -> int:
        return self.regions * self.teams_per_region * self.reps_per_team


SIZES: Final[dict[str, SizeSpec]] = {
    "small": SizeSpec(regions=2, teams_per_region=2, reps_per_team=5),
    "medium": SizeSpec(regions=4, teams_per_region=5, reps_per_team=10),
    "large": SizeSpec(regions=8, teams_per_region=25, reps_per_team=10),
}

# Region name, Faker locales for people there, sub-territories with their currency mix.
_REGIONS: Final[
    list[tuple[str, tuple[str, ...], list[tuple[str, tuple[tuple[str, float], ...]]]]]
] = [
    (
        "Americas East",
        ("en_US",),
        [
            ("Northeast", (("USD", 1.0),)),
            ("Mid-Atlantic", (("USD", 1.0),)),
            ("Southeast", (("USD", 1.0),)),
            ("Great Lakes", (("USD", 1.0),)),
            ("Florida", (("USD", 1.0),)),
        ],
    ),
    (
        "EMEA",
        ("en_GB", "de_DE", "fr_FR", "nl_NL"),
        [
            ("UK & Ireland", (("GBP", 0.85), ("USD", 0.15))),
            ("DACH", (("EUR", 0.9), ("USD", 0.1))),
            ("France & Benelux", (("EUR", 0.9), ("USD", 0.1))),
            ("Nordics", (("EUR", 0.6), ("USD", 0.4))),
            ("Southern Europe", (("EUR", 0.95), ("USD", 0.05))),
        ],
    ),
    (
        "Americas West",
        ("en_US",),
        [
            ("Pacific Northwest", (("USD", 1.0),)),
            ("Northern California", (("USD", 1.0),)),
            ("Southern California", (("USD", 1.0),)),
            ("Mountain", (("USD", 1.0),)),
            ("Southwest", (("USD", 1.0),)),
        ],
    ),
    (
        "APAC",
        ("en_AU", "en_IN", "en_NZ"),
        [
            ("Australia", (("USD", 1.0),)),
            ("New Zealand", (("USD", 1.0),)),
            ("Singapore", (("USD", 1.0),)),
            ("India", (("USD", 1.0),)),
            ("Japan", (("USD", 1.0),)),
        ],
    ),
    (
        "Americas Central",
        ("en_US",),
        [
            ("Texas", (("USD", 1.0),)),
            ("Midwest", (("USD", 1.0),)),
            ("Plains", (("USD", 1.0),)),
            ("Ohio Valley", (("USD", 1.0),)),
            ("Gulf Coast", (("USD", 1.0),)),
        ],
    ),
    (
        "EMEA North",
        ("en_GB", "sv_SE", "da_DK", "de_DE"),
        [
            ("London", (("GBP", 0.9), ("USD", 0.1))),
            ("Scandinavia", (("EUR", 0.7), ("USD", 0.3))),
            ("Germany North", (("EUR", 0.95), ("USD", 0.05))),
            ("Benelux", (("EUR", 0.95), ("USD", 0.05))),
            ("Scotland & North", (("GBP", 0.95), ("USD", 0.05))),
        ],
    ),
    (
        "Canada",
        ("en_CA", "fr_CA"),
        [
            ("Ontario", (("USD", 1.0),)),
            ("Quebec", (("USD", 1.0),)),
            ("British Columbia", (("USD", 1.0),)),
            ("Prairies", (("USD", 1.0),)),
            ("Atlantic Canada", (("USD", 1.0),)),
        ],
    ),
    (
        "LATAM",
        ("es_MX", "pt_BR", "es_ES"),
        [
            ("Mexico", (("USD", 1.0),)),
            ("Brazil", (("USD", 1.0),)),
            ("Andean", (("USD", 1.0),)),
            ("Southern Cone", (("USD", 1.0),)),
            ("Central America", (("USD", 1.0),)),
        ],
    ),
]
_SEGMENTS: Final = ("Enterprise", "Mid-Market", "Commercial", "Strategic", "Growth")


def stream_seed(seed: int, *parts: object) -> int:
    """A 64-bit seed for one named random stream; SHA-256, never Python's salted hash()."""
    text = ":".join(str(part) for part in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def ascii_slug(text: str) -> str:
    """Lower-case ASCII for e-mail local parts ("Jürgen Weiß" → "jurgen.weiss")."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("å", "a")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = ["".join(c for c in word.lower() if c.isalnum()) for word in plain.split()]
    return ".".join(p for p in parts if p)


@lru_cache(maxsize=32)
def faker_for(locale: str) -> Faker:
    """One Faker per locale, re-seeded per use with seed_instance (creating one is slow)."""
    return Faker(locale)


@dataclass(frozen=True)
class TeamPlan:
    name: str
    region: str
    territory: str
    currencies: tuple[tuple[str, float], ...]
    locales: tuple[str, ...]


@dataclass(frozen=True)
class RepProfile:
    """One rep's seeded traits; the generator draws their activity and deals from these."""

    index: int
    full_name: str
    email: str
    title: str
    archetype: str
    team: str
    hire_date: date
    leave_date: date | None
    fte: Decimal
    move_date: date | None
    move_to_team: str | None
    win_rate_start: float
    win_rate_end: float
    calls_per_day: float
    emails_per_day: float
    deals_per_day: float
    deal_size: float
    cycle_days: float
    lead_conversion: float
    locale: str

    @property
    def username(self) -> str:
        return self.email.split("@", 1)[0]

    @property
    def role(self) -> str:
        return "rep"

    def team_on(self, day: date) -> str:
        if self.move_date is not None and self.move_to_team is not None and day >= self.move_date:
            return self.move_to_team
        return self.team


@dataclass(frozen=True)
class StaffProfile:
    """Someone who is not a rep: executive, admin, finance, region and team managers."""

    full_name: str
    email: str
    title: str
    role: str
    hire_date: date
    team: str
    leave_date: date | None = None
    fte: Decimal = Decimal("1.00")

    @property
    def username(self) -> str:
        return self.email.split("@", 1)[0]


@dataclass(frozen=True)
class DemoPlan:
    size: str
    seed: int
    as_of: date
    calendar: FiscalCalendar
    history_start: date
    current_year: Period
    company: str
    regions: list[str]
    teams: list[TeamPlan]
    staff: list[StaffProfile]
    reps: list[RepProfile]
    holidays: list[tuple[date, str]]
    cast: dict[str, list[str]] = field(default_factory=dict)

    def rep(self, email: str) -> RepProfile:
        return next(r for r in self.reps if r.email == email)

    def reps_of(self, archetype: str) -> list[RepProfile]:
        return [r for r in self.reps if r.archetype == archetype]

    def cast_lines(self) -> list[tuple[str, str]]:
        """Who to look at first, as (what, who) lines for the command's summary and the docs."""
        team = self.manager_team

        def who(rep: RepProfile) -> str:
            return f"{rep.full_name} ({rep.username})"

        def first(archetype: str) -> RepProfile:
            in_team = [r for r in self.reps_of(archetype) if team in (r.team, r.move_to_team)]
            return (in_team or self.reps_of(archetype))[0]

        top, under = first(Archetype.TOP), first(Archetype.UNDER_CALLER)
        declining, hire = first(Archetype.DECLINING), first(Archetype.NEW_HIRE)
        mover, leaver = first(Archetype.MOVER), first(Archetype.LEAVER)
        others = len(self.reps_of(Archetype.TOP)) - 1
        part_time = [r for r in self.reps if r.fte < 1]
        lines = [
            ("manager's team", team),
            ("top performer", f"{who(top)}, and {others} more in other teams"),
            ("under-caller", who(under)),
            ("declining win rate", who(declining)),
            ("new hire", f"{who(hire)}, from {hire.hire_date.isoformat()}"),
            (
                "team mover",
                f"{who(mover)}, from {mover.team} on {mover.move_date}"
                if mover.move_date
                else who(mover),
            ),
            ("leaver", f"{who(leaver)} ({leaver.team}), left {leaver.leave_date}"),
            ("part-time", ", ".join(f"{who(r)} at {r.fte}" for r in part_time[:4])),
        ]
        return lines

    @property
    def manager_team(self) -> str:
        return self.teams[0].name


def us_holidays(year: int) -> list[tuple[date, str]]:
    """The six US holidays the company observes, moved off weekends (Sat → Fri, Sun → Mon)."""

    def observed(day: date, name: str) -> tuple[date, str]:
        if day.weekday() == 5:
            return day - timedelta(days=1), f"{name} (observed)"
        if day.weekday() == 6:
            return day + timedelta(days=1), f"{name} (observed)"
        return day, name

    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    may_31 = date(year, 5, 31)
    memorial = may_31 - timedelta(days=(may_31.weekday() - 0) % 7)
    return [
        observed(date(year, 1, 1), "New Year's Day"),
        (memorial, "Memorial Day"),
        observed(date(year, 7, 4), "Independence Day"),
        (nth_weekday(9, 0, 1), "Labor Day"),
        (nth_weekday(11, 3, 4), "Thanksgiving"),
        observed(date(year, 12, 25), "Christmas Day"),
    ]


def _next_monday(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _lognormal(rng: random.Random, sigma: float) -> float:
    return math.exp(rng.gauss(0.0, sigma) - sigma * sigma / 2)


def _special_dates(calendar: FiscalCalendar, as_of: date) -> tuple[date, date, date]:
    """(new hire's start, leaver's leave date, mover's switch) inside the current fiscal year.

    The switch falls mid-quarter (the last quarter that started at least 45 days before as-of);
    when as-of is in the first days of the year there is no room, so the events fall back to the
    previous year.
    """
    year = calendar.year_of(as_of)
    elapsed = (as_of - year.start).days
    if elapsed < 21:
        year = calendar.year(int(year.fiscal_year or 0) - 1)
        elapsed = (as_of - year.start).days
    new_hire = _next_monday(year.start + timedelta(days=elapsed // 2))
    if new_hire >= as_of - timedelta(days=3):
        new_hire = year.start + timedelta(days=elapsed // 2)
    leave = _next_monday(year.start + timedelta(days=(elapsed * 2) // 5))
    if leave >= as_of:
        leave = year.start + timedelta(days=(elapsed * 2) // 5)
    quarters = [q for q in calendar.quarters(int(year.fiscal_year or 0)) if q.start < as_of]
    roomy = [q for q in quarters if (as_of - q.start).days >= 45]
    if roomy:
        quarter = roomy[-1]
        switch = quarter.start + timedelta(days=quarter.days // 2)
        switch = switch - timedelta(days=switch.weekday())  # the Monday of that week
    else:
        switch = year.start + timedelta(days=max(1, elapsed // 2))
    return new_hire, leave, switch


def demo_plan(size: str, seed: int, as_of: date) -> DemoPlan:
    """Everything about the demo company that does not depend on the database."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose from {', '.join(SIZES)}")
    spec = SIZES[size]
    base_calendar = FiscalCalendar(start_month=FISCAL_YEAR_START_MONTH)
    current = base_calendar.year_of(as_of)
    history_start = base_calendar.year(int(current.fiscal_year or 0) - 2).start
    holidays: list[tuple[date, str]] = []
    for year in range(history_start.year - 1, as_of.year + 3):
        holidays.extend(us_holidays(year))
    calendar = FiscalCalendar(
        start_month=FISCAL_YEAR_START_MONTH, holidays=frozenset(d for d, _ in holidays)
    )
    rng = random.Random(stream_seed(seed, "plan"))
    regions = [_REGIONS[i][0] for i in range(spec.regions)]
    teams: list[TeamPlan] = []
    for r in range(spec.regions):
        region, locales, geos = _REGIONS[r]
        for t in range(spec.teams_per_region):
            suffix = f" {t // len(_SEGMENTS) + 1}" if t >= len(_SEGMENTS) else ""
            geo, currencies = geos[t % len(geos)]
            teams.append(
                TeamPlan(
                    name=f"{region} {_SEGMENTS[t % len(_SEGMENTS)]}{suffix}",
                    region=region,
                    territory=f"{region} – {geo}{suffix}",
                    currencies=currencies,
                    locales=locales,
                )
            )
    used_emails: set[str] = set()

    def person_name(key: object, locales: Sequence[str]) -> tuple[str, str]:
        person_rng = random.Random(stream_seed(seed, "name", key))
        locale = locales[person_rng.randrange(len(locales))]
        fake = faker_for(locale)
        fake.seed_instance(stream_seed(seed, "faker", key))
        full_name = f"{fake.first_name()} {fake.last_name()}"
        return full_name, locale

    def email_for(full_name: str, login: str | None = None) -> str:
        local = login or ascii_slug(full_name) or "person"
        candidate, n = local, 1
        while f"{candidate}@{DOMAIN}" in used_emails:
            n += 1
            candidate = f"{local}{n}"
        email = f"{candidate}@{DOMAIN}"
        used_emails.add(email)
        return email

    company = ORG_NAME
    staff: list[StaffProfile] = []
    for key, login, title, role in (
        ("ceo", "ceo", "Chief Executive Officer", "executive"),
        ("admin", "admin", "Sales Operations Administrator", "admin"),
        ("finance", "finance", "Commissions Analyst", "finance"),
    ):
        name, _ = person_name(key, ("en_US",))
        hire = history_start - timedelta(days=rng.randint(900, 3000))
        staff.append(StaffProfile(name, email_for(name, login), title, role, hire, company))
    for region in regions:
        locales = _REGIONS[regions.index(region)][1]
        name, _ = person_name(("region", region), locales)
        hire = history_start - timedelta(days=rng.randint(700, 2600))
        staff.append(
            StaffProfile(
                name, email_for(name), f"Regional Vice President, {region}", "manager", hire, region
            )
        )
    for index, team in enumerate(teams):
        name, _ = person_name(("team", team.name), team.locales)
        hire = history_start - timedelta(days=rng.randint(400, 2400))
        manager_login = "manager" if index == 0 else None
        staff.append(
            StaffProfile(
                name,
                email_for(name, manager_login),
                f"Sales Manager, {team.name}",
                "manager",
                hire,
                team.name,
            )
        )

    # Who is special. The manager's team (index 0) holds the interesting cases.
    n = spec.reps_per_team
    archetypes: dict[int, str] = {}
    team0 = [0 * n + s for s in range(n)]
    archetypes[team0[1]] = Archetype.TOP
    archetypes[team0[2]] = Archetype.UNDER_CALLER
    archetypes[team0[3]] = Archetype.DECLINING
    archetypes[team0[4]] = Archetype.NEW_HIRE
    archetypes[1 * n + 0] = Archetype.MOVER  # moves from team 1 (same region) into team 0
    leaver_team = 2 if len(teams) > 2 else 1
    archetypes[leaver_team * n + 1] = Archetype.LEAVER
    ordinary_slots = [i for i in range(spec.reps) if i not in archetypes and i != team0[0]]
    extra_tops = max(2, spec.reps // 40)
    extra_under = max(2, spec.reps // 30)
    picks = rng.sample(ordinary_slots, extra_tops + extra_under)
    for i in picks[:extra_tops]:
        archetypes[i] = Archetype.TOP
    for i in picks[extra_tops:]:
        archetypes[i] = Archetype.UNDER_CALLER
    part_time_pool = [i for i in ordinary_slots if i not in archetypes]
    part_timers = set(rng.sample(part_time_pool, max(2, spec.reps // 35)))

    new_hire_date, leave_date, switch_date = _special_dates(calendar, as_of)
    span = max(1, (as_of - history_start).days)
    reps: list[RepProfile] = []
    for i in range(spec.reps):
        team = teams[i // n]
        rep_rng = random.Random(stream_seed(seed, "profile", i))
        archetype = archetypes.get(i, Archetype.ORDINARY)
        name, locale = person_name(("rep", i), team.locales)
        email = email_for(name, "rep" if i == team0[0] else None)
        skill = min(0.85, max(0.1, rep_rng.gauss(0.5, 0.13)))
        win = 0.17 + 0.18 * skill
        drift = rep_rng.uniform(-0.02, 0.03)
        calls = 5.4 * _lognormal(rep_rng, 0.18)
        emails = 2.2 * _lognormal(rep_rng, 0.2)
        deals = 0.68 * _lognormal(rep_rng, 0.12)
        size_mult = _lognormal(rep_rng, 0.18)
        cycle = 42.0 * _lognormal(rep_rng, 0.18)
        conversion = rep_rng.uniform(0.22, 0.36)
        hire = history_start - timedelta(days=rep_rng.randint(60, 2200))
        if archetype == Archetype.ORDINARY and i != team0[0] and rep_rng.random() < 0.12:
            hire = history_start + timedelta(days=rep_rng.randint(20, int(span * 0.55)))
        leave: date | None = None
        move_date: date | None = None
        move_to: str | None = None
        fte = Decimal("1.00")
        title = "Account Executive"
        win_start, win_end = win, win + drift
        if archetype == Archetype.TOP:
            win_start = rep_rng.uniform(0.45, 0.5)
            win_end = win_start + rep_rng.uniform(-0.01, 0.03)
            calls *= 1.35
            emails *= 1.3
            deals *= 1.25
            size_mult *= 1.3
            cycle *= 0.85
            conversion = rep_rng.uniform(0.38, 0.45)
            title = "Senior Account Executive"
        elif archetype == Archetype.UNDER_CALLER:
            calls *= 0.3
            emails *= 0.6
            deals *= 0.6
        elif archetype == Archetype.DECLINING:
            win_start, win_end = 0.40, 0.13
            title = "Senior Account Executive"
        elif archetype == Archetype.NEW_HIRE:
            hire = new_hire_date
        elif archetype == Archetype.LEAVER:
            leave = leave_date
        elif archetype == Archetype.MOVER:
            move_date = switch_date
            move_to = teams[0].name
        if i in part_timers:
            fte = Decimal(rep_rng.choice(["0.50", "0.60", "0.80"]))
            title = "Account Executive (part-time)"
        reps.append(
            RepProfile(
                index=i,
                full_name=name,
                email=email,
                title=title,
                archetype=archetype,
                team=team.name,
                hire_date=hire,
                leave_date=leave,
                fte=fte,
                move_date=move_date,
                move_to_team=move_to,
                win_rate_start=win_start,
                win_rate_end=win_end,
                calls_per_day=calls,
                emails_per_day=emails,
                deals_per_day=deals,
                deal_size=size_mult,
                cycle_days=cycle,
                lead_conversion=conversion,
                locale=locale,
            )
        )
    cast: dict[str, list[str]] = {
        "manager": [staff[3 + len(regions)].email],
        "rep": [reps[team0[0]].email],
        "part_time": [r.email for r in reps if r.fte < 1],
    }
    for archetype in (
        Archetype.TOP,
        Archetype.UNDER_CALLER,
        Archetype.DECLINING,
        Archetype.NEW_HIRE,
        Archetype.LEAVER,
        Archetype.MOVER,
    ):
        cast[archetype] = [r.email for r in reps if r.archetype == archetype]
    return DemoPlan(
        size=size,
        seed=seed,
        as_of=as_of,
        calendar=calendar,
        history_start=history_start,
        current_year=current,
        company=company,
        regions=regions,
        teams=teams,
        staff=staff,
        reps=reps,
        holidays=holidays,
        cast=cast,
    )
