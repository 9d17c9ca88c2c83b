"""The additive daily facts the rollups keep, one column each.

Every KPI that can be summed over people and days is built from these; ratios are recomputed from
summed parts (never averaged). Facts are attributed to the record's owner and to the team that
owner belonged to on the record's organisation-local date.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Fact:
    name: str
    label: str
    money: bool
    source: str  # which raw records produce it, for `attain kpi explain`


FACTS: tuple[Fact, ...] = (
    Fact("leads", "Leads created", False, "leads by created date, owner"),
    Fact("calls", "Calls", False, "activities of kind call by day, owner"),
    Fact("emails", "Emails", False, "activities of kind email by day, owner"),
    Fact("meetings", "Meetings", False, "activities of kind meeting by day, owner"),
    Fact("quotes", "Quotes", False, "activities of kind quote by day, owner"),
    Fact("follow_ups", "Follow-ups", False, "activities of kind follow_up by day, owner"),
    Fact("deals_created", "Deals created", False, "deals by created date, owner"),
    Fact("pipeline_created", "Pipeline created", True, "base amount of deals by created date"),
    Fact("deals_won", "Deals won", False, "won deals by close date, owner"),
    Fact("revenue_won", "Revenue won", True, "base amount of won deals by close date"),
    Fact("deals_lost", "Deals lost", False, "lost deals by close date, owner"),
    Fact("value_lost", "Value lost", True, "base amount of lost deals by close date"),
    Fact(
        "won_cycle_days",
        "Days from created to won (sum)",
        False,
        "won deals: local close date minus local created date, summed",
    ),
    Fact(
        "revenue_with_cost",
        "Won revenue on products with a unit cost",
        True,
        "won deals whose product carries a unit cost",
    ),
    Fact(
        "margin_won",
        "Gross margin on won deals",
        True,
        "won deals: base amount × (list price − unit cost) ÷ list price of the product",
    ),
)

FACT_NAMES: tuple[str, ...] = tuple(f.name for f in FACTS)
MONEY_FACTS: frozenset[str] = frozenset(f.name for f in FACTS if f.money)
ACTIVITY_FACT_BY_KIND: dict[str, str] = {
    "call": "calls",
    "email": "emails",
    "meeting": "meetings",
    "quote": "quotes",
    "follow_up": "follow_ups",
}


def deal_margin(amount: Decimal, list_price: Decimal, unit_cost: Decimal) -> Decimal:
    """Gross margin of a won deal: its base amount × the product's margin rate, to the cent."""
    return (amount * (list_price - unit_cost) / list_price).quantize(Decimal("0.01"))
