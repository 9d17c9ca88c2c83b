"""A small, fully hand-checked sales history for KPI tests (FY2026 = calendar 2026, Berlin).

Alice (North): Alpha won 20 Apr (10,000, Widget: margin 40 %, created 10 Feb → 69 days);
  Beta won 31 Mar 23:30 local (4,000, created 1 Mar → 30 days; the Q1 edge);
  Gamma lost 5 May (6,000, created 2 Apr); Delta open (8,000, Qualification 15 Apr →
  Proposal 1 May, expected 20 Jun, no next step); Q2 activities: 3 calls (one at 00:30 on
  1 Apr), 2 emails, 1 meeting, quotes on 10 May (followed up 12 May) and 1 Jun (not); 2 leads.
Bob: North until 15 May, then South. Epsilon won 10 May (2,000, created 5 Apr → 35 days,
  counted in North); Zeta won 10 Jun (3,000, created 10 Apr → 61 days, counted in South);
  2 calls on 1 May (North), 4 calls on 1 Jun (South).
Carol (South): no closed deals; 1 call on 20 Apr; Eta open in Qualification (1,000, created
  1 Jun, expected 30 May, next step "Call back").
Company revenue target for FY2026-Q2: 20,000. "Today" is 10 Jul 2026 unless a test pins it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from attain.core.periods import Period
from attain.crm.models import Deal, Product, Stage
from attain.crm.services import (
    account_create,
    activity_log,
    deal_change_stage,
    deal_create,
    lead_create,
    product_create,
)
from attain.metrics.engine.context import MetricsContext
from attain.metrics.engine.subjects import Subject
from attain.metrics.services import target_set
from attain.org.models import Person, Team
from attain.org.services import membership_start
from tests.conftest import berlin

TODAY = date(2026, 7, 10)


@dataclass
class History:
    alice: Person
    bob: Person
    carol: Person
    north: Team
    south: Team
    region: Team
    company: Team
    deals: dict[str, Deal]
    widget: Product


def _deal(
    name: str, owner: Person, stage: Stage, amount: str, created: tuple[int, ...], **kw: object
) -> Deal:
    return deal_create(
        actor=None,
        name=name,
        owner=owner,
        amount=Decimal(amount),
        stage=stage,
        created_at=berlin(*created),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def history(
    alice: Person,
    bob: Person,
    carol: Person,
    team_north: Team,
    team_south: Team,
    region_europe: Team,
    company: Team,
    stages: dict[str, Stage],
) -> History:
    qual, prop, won, lost = (stages[n] for n in ("Qualification", "Proposal", "Won", "Lost"))
    Stage.objects.filter(pk=qual.pk).update(stall_after_days=45)
    widget = product_create(
        actor=None,
        name="Widget",
        family="Hardware",
        list_price=Decimal("1000"),
        unit_cost=Decimal("600"),
    )
    acme = account_create(actor=None, name="Acme Corp", owner=alice)
    beta = account_create(actor=None, name="Beta GmbH", owner=alice)
    delta = account_create(actor=None, name="Delta AG", owner=alice)
    echo = account_create(actor=None, name="Echo Ltd", owner=bob)
    foxtrot = account_create(actor=None, name="Foxtrot", owner=bob)
    eta_account = account_create(actor=None, name="Eta Inc", owner=carol)

    membership_start(actor=None, person=bob, team=team_south, start_date=date(2026, 5, 15))

    deals: dict[str, Deal] = {}
    deals["alpha"] = _deal(
        "Alpha",
        alice,
        qual,
        "10000",
        (2026, 2, 10, 10),
        account=acme,
        product=widget,
        next_step="Kick-off",
    )
    deal_change_stage(actor=None, deal=deals["alpha"], stage=prop, changed_at=berlin(2026, 3, 15))
    deal_change_stage(
        actor=None, deal=deals["alpha"], stage=won, changed_at=berlin(2026, 4, 20, 15)
    )
    deals["beta"] = _deal("Beta", alice, qual, "4000", (2026, 3, 1, 9), account=beta)
    deal_change_stage(
        actor=None, deal=deals["beta"], stage=won, changed_at=berlin(2026, 3, 31, 23, 30)
    )
    deals["gamma"] = _deal("Gamma", alice, qual, "6000", (2026, 4, 2, 9), account=acme)
    deal_change_stage(
        actor=None,
        deal=deals["gamma"],
        stage=lost,
        changed_at=berlin(2026, 5, 5, 11),
        lost_reason="Price",
    )
    deals["delta"] = _deal(
        "Delta",
        alice,
        qual,
        "8000",
        (2026, 4, 15, 9),
        account=delta,
        expected_close_date=date(2026, 6, 20),
    )
    deal_change_stage(actor=None, deal=deals["delta"], stage=prop, changed_at=berlin(2026, 5, 1))
    deals["epsilon"] = _deal("Epsilon", bob, qual, "2000", (2026, 4, 5, 9), account=echo)
    deal_change_stage(
        actor=None, deal=deals["epsilon"], stage=won, changed_at=berlin(2026, 5, 10, 12)
    )
    deals["zeta"] = _deal("Zeta", bob, qual, "3000", (2026, 4, 10, 9), account=foxtrot)
    deal_change_stage(actor=None, deal=deals["zeta"], stage=won, changed_at=berlin(2026, 6, 10, 12))
    deals["eta"] = _deal(
        "Eta",
        carol,
        qual,
        "1000",
        (2026, 6, 1, 9),
        account=eta_account,
        expected_close_date=date(2026, 5, 30),
        next_step="Call back",
    )

    for when in ((2026, 4, 1, 0, 30), (2026, 4, 8, 10), (2026, 6, 3, 10)):
        activity_log(actor=None, kind="call", owner=alice, occurred_at=berlin(*when))
    for when in ((2026, 4, 9, 10), (2026, 5, 20, 10)):
        activity_log(actor=None, kind="email", owner=alice, occurred_at=berlin(*when))
    activity_log(
        actor=None,
        kind="meeting",
        owner=alice,
        occurred_at=berlin(2026, 4, 16, 14),
        deal=deals["delta"],
    )
    activity_log(
        actor=None,
        kind="quote",
        owner=alice,
        occurred_at=berlin(2026, 5, 10, 10),
        deal=deals["delta"],
    )
    activity_log(
        actor=None,
        kind="follow_up",
        owner=alice,
        occurred_at=berlin(2026, 5, 12, 9),
        deal=deals["delta"],
    )
    activity_log(
        actor=None,
        kind="quote",
        owner=alice,
        occurred_at=berlin(2026, 6, 1, 10),
        deal=deals["alpha"],
    )
    # Before Q2 (must not count in Q2): a call on 31 Mar 23:59 local.
    activity_log(actor=None, kind="call", owner=alice, occurred_at=berlin(2026, 3, 31, 23, 59))
    for when in ((2026, 5, 1, 10), (2026, 5, 1, 11)):
        activity_log(actor=None, kind="call", owner=bob, occurred_at=berlin(*when))
    for hour in (9, 10, 11, 12):
        activity_log(actor=None, kind="call", owner=bob, occurred_at=berlin(2026, 6, 1, hour))
    activity_log(actor=None, kind="call", owner=carol, occurred_at=berlin(2026, 4, 20, 10))
    for when in ((2026, 4, 3, 9), (2026, 6, 30, 23, 45)):
        lead_create(actor=None, name="Lead", source="web", created_at=berlin(*when), owner=alice)

    ctx = MetricsContext.load(today=TODAY)
    target_set(
        actor=None,
        kpi="revenue_won",
        subject=Subject.company(),
        period=ctx.calendar.quarter(2026, 2),
        value=Decimal("20000"),
    )
    for deal in deals.values():
        deal.refresh_from_db()
    return History(alice, bob, carol, team_north, team_south, region_europe, company, deals, widget)


@pytest.fixture
def ctx(history: History) -> MetricsContext:
    return MetricsContext.load(today=TODAY)


@pytest.fixture
def q2(ctx: MetricsContext) -> Period:
    return ctx.calendar.quarter(2026, 2)
