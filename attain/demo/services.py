"""Writes for the demo: generate the Northwind Analytics data set, or wipe org/CRM data first.

Small reference tables (organisation, calendar, products, pipeline, teams, territories) go
through the ordinary services; people and logins through the ORM in bulk (one password hash for
everyone); the big tables through attain.core.bulk, one rep at a time so memory stays flat.
Everything happens in one transaction with one audit entry per bulk-loaded table.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from auditlog.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from attain.audit.services import Action, audit_bulk
from attain.core.bulk import bulk_insert, deferred_indexes, next_id, reset_sequences
from attain.core.errors import ValidationFailed
from attain.core.money import quantize_rate
from attain.crm.models import (
    Account,
    Activity,
    Deal,
    DealStageChange,
    ExchangeRate,
    ForecastCategory,
    Lead,
    Pipeline,
    Product,
    Stage,
)
from attain.crm.services import StageSpec, exchange_rate_set, pipeline_create, product_create
from attain.demo.generator import (
    ACCOUNT_COLUMNS,
    ACTIVITY_COLUMNS,
    DEAL_COLUMNS,
    LEAD_COLUMNS,
    STAGE_CHANGE_COLUMNS,
    WARM_UP_DAYS,
    Buffers,
    DemoContext,
    IdCounters,
    ProductRef,
    RepGenerator,
)
from attain.demo.profiles import (
    BASE_CURRENCY,
    FISCAL_YEAR_START_MONTH,
    ORG_NAME,
    PASSWORD,
    TIME_ZONE,
    URL,
    DemoPlan,
    RepProfile,
    StaffProfile,
    demo_plan,
    stream_seed,
)
from attain.demo.targets import demo_targets_create
from attain.metrics.engine.rollups import rollup_rebuild
from attain.metrics.models import NodeDay, PersonDay, PersonMonth, PersonQuarter, Target
from attain.org.models import (
    Holiday,
    Organisation,
    Person,
    Role,
    Team,
    TeamKind,
    TeamMembership,
    Territory,
    TerritoryAssignment,
)
from attain.org.services import holiday_add, organisation_configure, team_create, territory_create

DEFAULT_SEED: Final = 42
FLUSH_ROWS: Final = 50_000

# Every org/CRM model, children before parents: the order a wipe must delete in.
WIPE_ORDER: Final[tuple[type[models.Model], ...]] = (
    Target,
    NodeDay,
    PersonQuarter,
    PersonMonth,
    PersonDay,
    Lead,
    Activity,
    DealStageChange,
    Deal,
    ExchangeRate,
    Stage,
    Pipeline,
    Product,
    Account,
    TerritoryAssignment,
    Territory,
    TeamMembership,
    Team,
    Person,
    Holiday,
    Organisation,
)
BULK_MODELS: Final[tuple[type[models.Model], ...]] = (
    Account,
    Deal,
    DealStageChange,
    Activity,
    Lead,
)

# Name, family, list price, unit cost, share of deals.
PRODUCTS: Final = (
    ("Insight Starter", "Platform", "9000", "1800", 0.20),
    ("Insight Professional", "Platform", "24000", "4300", 0.20),
    ("Insight Enterprise", "Platform", "60000", "9500", 0.10),
    ("Data Connector Pack", "Add-ons", "4800", "600", 0.10),
    ("AI Forecasting Module", "Add-ons", "12000", "2100", 0.08),
    ("Extra Seats (25)", "Add-ons", "6000", "400", 0.10),
    ("Implementation Package", "Services", "15000", "9000", 0.10),
    ("Training Workshop", "Services", "3500", "1700", 0.06),
    ("Premium Support", "Services", "7500", "3200", 0.06),
)
STAGES: Final = (
    StageSpec("Qualification", 10, ForecastCategory.PIPELINE),
    StageSpec("Discovery", 25, ForecastCategory.PIPELINE),
    StageSpec("Proposal", 50, ForecastCategory.BEST_CASE),
    StageSpec("Negotiation", 75, ForecastCategory.COMMIT),
    StageSpec("Closed Won", 100, ForecastCategory.CLOSED_WON),
    StageSpec("Closed Lost", 0, ForecastCategory.CLOSED_LOST),
)
FX_START: Final = {"EUR": 1.08, "GBP": 1.27}


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    full_name: str
    password: str = PASSWORD


@dataclass
class DemoSummary:
    """What a demo run did: rows per table, time taken, and who can log in."""

    size: str
    seed: int
    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    logins: list[Login] = field(default_factory=list)
    cast: list[tuple[str, str]] = field(default_factory=list)
    url: str = URL

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def demo_today() -> date:
    """Today in the demo organisation's time zone (the default as-of date)."""
    return timezone.now().astimezone(ZoneInfo(TIME_ZONE)).date()


def demo_logins() -> list[Login]:
    """The demo logins that exist in the database, in the order the summary prints them."""
    wanted = ("admin", "ceo", "manager", "rep", "finance")
    people = {
        p.user.username: p
        for p in Person.objects.filter(user__username__in=wanted).select_related("user")
        if p.user is not None
    }
    return [
        Login(username=name, role=people[name].role, full_name=people[name].full_name)
        for name in wanted
        if name in people
    ]


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


@transaction.atomic
def demo_reset() -> dict[str, int]:
    """Delete every org/CRM row, the logins of the people deleted, and the audit log.

    Plain DELETEs, children first, because the ORM's cascade collector would load millions of
    rows into memory first. Id sequences restart so a reloaded demo gets the same ids.
    """
    deleted: dict[str, int] = {}
    user_ids = list(Person.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(_table(LogEntry))}")
        deleted[_table(LogEntry)] = max(cursor.rowcount, 0)
        for model in WIPE_ORDER:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(_table(model))}")
            deleted[_table(model)] = max(cursor.rowcount, 0)
    for start in range(0, len(user_ids), 500):
        User.objects.filter(pk__in=user_ids[start : start + 500]).delete()
    deleted[_table(User)] = len(user_ids)
    reset_sequences([_table(m) for m in WIPE_ORDER])
    return deleted


def demo_generate(
    *,
    size: str,
    seed: int = DEFAULT_SEED,
    as_of: date | None = None,
    progress: bool = True,
) -> DemoSummary:
    """Create the demo organisation with history up to `as_of`, all or nothing.

    Refuses when an organisation exists (reset first): mixing demo rows into real data would make
    both meaningless.
    """
    started = time.perf_counter()
    plan = demo_plan(size, seed, as_of or demo_today())
    with transaction.atomic():
        if Organisation.objects.exists():
            raise ValidationFailed(
                {"organisation": "the database already has one; reset it before generating"}
            )
        usernames = [p.username for p in plan.staff] + [r.username for r in plan.reps]
        taken = sorted(
            User.objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        if taken:
            raise ValidationFailed(
                {"username": f"already taken by logins outside the demo: {', '.join(taken)}"}
            )
        reset_sequences([_table(m) for m in WIPE_ORDER])
        counts = _reference_data(plan)
        ctx = _context(plan)
        with deferred_indexes([_table(m) for m in BULK_MODELS]):
            counts.update(_load_big_tables(plan, ctx, progress=progress))
        rollups = rollup_rebuild()
        counts[_table(PersonDay)] = rollups.person_days
        counts[_table(NodeDay)] = rollups.node_days
        current_year = int(plan.current_year.fiscal_year or 0)
        counts[_table(Target)] = demo_targets_create(
            calendar=plan.calendar,
            first_year=current_year - 2,
            last_year=current_year,
            stamp=timezone.now(),
        )
        note = f"demo data, seed {seed}"
        details = {"size": size, "as_of": plan.as_of.isoformat()}
        audited: tuple[type[models.Model], ...] = (
            User,
            Person,
            TeamMembership,
            TerritoryAssignment,
            *BULK_MODELS,
            Target,
        )
        for model in audited:
            audit_bulk(
                actor=None,
                model=model,
                action=Action.CREATE,
                rows=counts[_table(model)],
                note=note,
                details=details,
            )
        reset_sequences([_table(m) for m in audited if m is not User])
    _analyze_all()
    return DemoSummary(
        size=size,
        seed=seed,
        as_of=plan.as_of,
        counts=counts,
        seconds=time.perf_counter() - started,
        logins=demo_logins(),
        cast=plan.cast_lines(),
    )


def _analyze_all() -> None:
    """PostgreSQL: planner statistics and a visibility map for every table the demo filled.

    The bulk-loaded tables are analysed after their load, but people, teams, rollups and
    targets were not; without statistics the planner takes a 2,000-row table for one row (a
    leaderboard's join then cost 9 ms instead of 5), and autovacuum, where it runs at all, gets
    there only later. VACUUM also marks the freshly written pages all-visible, so reads stop
    checking each row's visibility: summing a quarter of 2,000 reps' month rollups went from
    7.4 ms to 5.0 ms at large. VACUUM cannot run inside a transaction: a caller's open
    transaction gets the statistics alone. SQLite is left as it is: its planner's choices here
    are the ones measured without statistics.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def _reference_data(plan: DemoPlan) -> dict[str, int]:
    """Organisation, calendar, rates, products, pipeline, people, teams, territories."""
    counts: dict[str, int] = {}
    organisation_configure(
        actor=None,
        name=ORG_NAME,
        base_currency=BASE_CURRENCY,
        time_zone=TIME_ZONE,
        working_weekdays="01234",
        fiscal_year_start_month=FISCAL_YEAR_START_MONTH,
        period_type="calendar",
        fiscal_year_naming="end",
    )
    counts[_table(Organisation)] = 1
    for day, name in plan.holidays:
        holiday_add(actor=None, day=day, name=name)
    counts[_table(Holiday)] = len(plan.holidays)
    counts[_table(ExchangeRate)] = _exchange_rates(plan)
    for name, family, price, cost, _ in PRODUCTS:
        product_create(
            actor=None, name=name, family=family, list_price=Decimal(price), unit_cost=Decimal(cost)
        )
    counts[_table(Product)] = len(PRODUCTS)
    pipeline_create(actor=None, name="New Business", stages=STAGES, is_default=True)
    counts[_table(Pipeline)] = 1
    counts[_table(Stage)] = len(STAGES)

    # Logins and people in bulk: one password hash shared by all (hashing is slow on purpose).
    password = make_password(PASSWORD)
    everyone: list[StaffProfile | RepProfile] = [*plan.staff, *plan.reps]
    users = User.objects.bulk_create(
        User(
            username=p.username,
            email=p.email,
            password=password,
            first_name=p.full_name.split(" ")[0],
            last_name=" ".join(p.full_name.split(" ")[1:]),
            is_staff=p.role == Role.ADMIN,
            is_superuser=p.role == Role.ADMIN,
        )
        for p in everyone
    )
    user_by_email = {u.email: u for u in users}
    if any(u.pk is None for u in users):  # backends that cannot return ids from bulk inserts
        user_by_email = {u.email: u for u in User.objects.filter(email__in=user_by_email)}
    first_person = next_id(_table(Person))
    people = Person.objects.bulk_create(
        Person(
            id=first_person + n,
            user=user_by_email[p.email],
            full_name=p.full_name,
            email=p.email,
            title=p.title,
            role=p.role,
            hire_date=p.hire_date,
            leave_date=p.leave_date,
            fte=p.fte,
        )
        for n, p in enumerate(everyone)
    )
    counts[_table(User)] = len(users)
    counts[_table(Person)] = len(people)
    person = {p.email: p for p in people}

    # The tree: company → regions → teams, each with its manager.
    staff_by_team = {s.team: s for s in plan.staff if s.role == Role.MANAGER}
    ceo = next(s for s in plan.staff if s.role == Role.EXECUTIVE)
    company = team_create(
        actor=None, name=plan.company, kind=TeamKind.COMPANY, manager=person[ceo.email]
    )
    teams: dict[str, Team] = {plan.company: company}
    for region in plan.regions:
        teams[region] = team_create(
            actor=None,
            name=region,
            kind=TeamKind.REGION,
            parent=company,
            manager=person[staff_by_team[region].email],
        )
    for team in plan.teams:
        teams[team.name] = team_create(
            actor=None,
            name=team.name,
            kind=TeamKind.TEAM,
            parent=teams[team.region],
            manager=person[staff_by_team[team.name].email],
        )
    counts[_table(Team)] = len(teams)
    territories: dict[str, Territory] = {}
    for region in plan.regions:
        territories[region] = territory_create(actor=None, name=region)
    for team in plan.teams:
        territories[team.territory] = territory_create(
            actor=None, name=team.territory, parent=territories[team.region]
        )
    counts[_table(Territory)] = len(territories)

    # Dated memberships and territory assignments (a mover gets two of each).
    memberships: list[TeamMembership] = []
    assignments: list[TerritoryAssignment] = []
    for s in plan.staff:
        memberships.append(
            TeamMembership(person=person[s.email], team=teams[s.team], start_date=s.hire_date)
        )
    territory_of = {t.name: territories[t.territory] for t in plan.teams}
    for rep in plan.reps:
        first_end = rep.move_date or rep.leave_date
        memberships.append(
            TeamMembership(
                person=person[rep.email],
                team=teams[rep.team],
                start_date=rep.hire_date,
                end_date=first_end,
            )
        )
        assignments.append(
            TerritoryAssignment(
                person=person[rep.email],
                territory=territory_of[rep.team],
                start_date=rep.hire_date,
                end_date=first_end,
            )
        )
        if rep.move_date is not None and rep.move_to_team is not None:
            memberships.append(
                TeamMembership(
                    person=person[rep.email],
                    team=teams[rep.move_to_team],
                    start_date=rep.move_date,
                    end_date=rep.leave_date,
                )
            )
            assignments.append(
                TerritoryAssignment(
                    person=person[rep.email],
                    territory=territory_of[rep.move_to_team],
                    start_date=rep.move_date,
                    end_date=rep.leave_date,
                )
            )
    first_membership = next_id(_table(TeamMembership))
    for n, membership in enumerate(memberships):
        membership.id = first_membership + n
    first_assignment = next_id(_table(TerritoryAssignment))
    for n, assignment in enumerate(assignments):
        assignment.id = first_assignment + n
    TeamMembership.objects.bulk_create(memberships)
    TerritoryAssignment.objects.bulk_create(assignments)
    counts[_table(TeamMembership)] = len(memberships)
    counts[_table(TerritoryAssignment)] = len(assignments)
    return counts


def _exchange_rates(plan: DemoPlan) -> int:
    """Monthly EUR and GBP rates (USD per unit) drifting a little around a level."""
    count = 0
    for currency, level in FX_START.items():
        rng = random.Random(stream_seed(plan.seed, "fx", currency))
        rate = level * (1 + rng.uniform(-0.03, 0.03))
        # From before the warm-up deals (opened ahead of the window) to as-of.
        month = (plan.history_start - timedelta(days=WARM_UP_DAYS)).replace(day=1)
        while month <= plan.as_of:
            exchange_rate_set(
                actor=None,
                currency=currency,
                valid_from=month,
                rate=quantize_rate(Decimal(f"{rate:.4f}")),
            )
            count += 1
            rate += 0.15 * (level - rate) + rng.gauss(0, 0.012) * level
            month = (month + timedelta(days=32)).replace(day=1)
    return count


def _context(plan: DemoPlan) -> DemoContext:
    stages = {s.name: s.pk for s in Stage.objects.filter(pipeline__is_default=True)}
    products = {p.name: p for p in Product.objects.all()}
    rates: dict[str, dict[tuple[int, int], Decimal]] = {}
    for currency, valid_from, rate in ExchangeRate.objects.values_list(
        "currency", "valid_from", "rate"
    ):
        rates.setdefault(currency, {})[(valid_from.year, valid_from.month)] = rate
    people = Person.objects.values_list("email", "pk", "user_id")
    return DemoContext(
        plan=plan,
        tz=ZoneInfo(TIME_ZONE),
        stage_ids=[stages[s.name] for s in STAGES],
        products=[
            ProductRef(products[name].pk, name, float(products[name].list_price))
            for name, *_ in PRODUCTS
        ],
        product_weights=[weight for *_, weight in PRODUCTS],
        rates=rates,
        territory_ids=dict(Territory.objects.values_list("name", "pk")),
        person_ids={email: pk for email, pk, _ in people},
        user_ids={email: user for email, _, user in people if user is not None},
        loaded_at=timezone.now(),
    )


def _load_big_tables(plan: DemoPlan, ctx: DemoContext, *, progress: bool) -> dict[str, int]:
    """Generate rep by rep and stream the rows to bulk_insert in chunks."""
    ids = IdCounters(
        account=next_id(_table(Account)),
        deal=next_id(_table(Deal)),
        stage_change=next_id(_table(DealStageChange)),
        activity=next_id(_table(Activity)),
        lead=next_id(_table(Lead)),
    )
    out = Buffers()
    targets: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = [
        (_table(Account), ACCOUNT_COLUMNS, out.accounts),
        (_table(Deal), DEAL_COLUMNS, out.deals),
        (_table(DealStageChange), STAGE_CHANGE_COLUMNS, out.stage_changes),
        (_table(Activity), ACTIVITY_COLUMNS, out.activities),
        (_table(Lead), LEAD_COLUMNS, out.leads),
    ]
    counts = dict.fromkeys((table for table, _, _ in targets), 0)

    def flush(force: bool) -> None:
        # All tables at once, parents first: SQLite scans a child table for every parent row
        # inserted while a deferred foreign key is still unsatisfied.
        if not force and all(len(rows) < FLUSH_ROWS for _, _, rows in targets):
            return
        for table, columns, rows in targets:
            if rows:
                counts[table] += bulk_insert(table, columns, rows)
                rows.clear()

    generator = RepGenerator(ctx, ids, out)
    with tqdm(
        total=len(plan.reps),
        desc=f"demo {plan.size}",
        unit="rep",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    ) as bar:
        for rep in plan.reps:
            generator.run(rep)
            flush(force=False)
            bar.update(1)
            rows = sum(counts.values()) + sum(len(r) for _, _, r in targets)
            bar.set_postfix_str(f"{rows:,} rows", refresh=False)
        flush(force=True)
    return counts
