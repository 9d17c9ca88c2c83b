"""CRM records: accounts, products, pipelines, stages, deals with stage history, activities, leads.

Money columns are Decimal(18, 2); a deal keeps its amount in its own currency and in the base
currency at the rate stored on the deal. `created_on`, `closed_on` and `occurred_on` are the
organisation-local dates of the timestamps, maintained by the services and bulk loaders, so that
per-day figures bucket by a stored date instead of converting time zones in SQL.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from attain.core.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    RATE_DECIMAL_PLACES,
    RATE_MAX_DIGITS,
)
from attain.org.models import Person, Territory


def _money_field(**kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


class CompanySize(models.TextChoices):
    SMALL = "small", "1–49 employees"
    MID = "mid", "50–499 employees"
    LARGE = "large", "500–4,999 employees"
    ENTERPRISE = "enterprise", "5,000+ employees"


class Account(models.Model):
    """A customer or prospect company."""

    name = models.CharField(max_length=255)
    industry = models.CharField(max_length=100, blank=True)
    size = models.CharField(max_length=12, choices=CompanySize.choices, blank=True)
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    created_at = models.DateTimeField()
    external_id = models.CharField(max_length=100, blank=True)
    source_system = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=~Q(external_id=""),
                name="account_unique_external_id",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="account_name")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something the company sells; `family` is the product line."""

    name = models.CharField(max_length=200, unique=True)
    family = models.CharField(max_length=100, help_text="Product line")
    list_price = _money_field()
    unit_cost = _money_field(null=True, blank=True, help_text="For gross margin, when known")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="product_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0),
                name="product_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Pipeline(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pipeline_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    CLOSED_WON = "closed_won", "Closed won"
    CLOSED_LOST = "closed_lost", "Closed lost"


CLOSED_CATEGORIES = (ForecastCategory.CLOSED_WON, ForecastCategory.CLOSED_LOST)


class Stage(models.Model):
    """An ordered step of a pipeline with its default win probability."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()
    default_probability = models.PositiveSmallIntegerField(help_text="Percent, 0–100")
    forecast_category = models.CharField(max_length=12, choices=ForecastCategory.choices)
    stall_after_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="An open deal in this stage is stalled after this many days with no activity "
        "and no stage change",
    )

    class Meta:
        ordering = ["pipeline", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_unique_position"),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.CheckConstraint(
                condition=Q(default_probability__gte=0, default_probability__lte=100),
                name="stage_probability_range",
            ),
            models.CheckConstraint(
                condition=Q(forecast_category__in=ForecastCategory.values),
                name="stage_forecast_category_valid",
            ),
            models.CheckConstraint(
                condition=~Q(forecast_category=ForecastCategory.CLOSED_WON)
                | Q(default_probability=100),
                name="stage_won_is_100",
            ),
            models.CheckConstraint(
                condition=~Q(forecast_category=ForecastCategory.CLOSED_LOST)
                | Q(default_probability=0),
                name="stage_lost_is_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.name}"

    @property
    def is_closed(self) -> bool:
        return self.forecast_category in CLOSED_CATEGORIES

    @property
    def is_won(self) -> bool:
        return self.forecast_category == ForecastCategory.CLOSED_WON

    @property
    def is_lost(self) -> bool:
        return self.forecast_category == ForecastCategory.CLOSED_LOST


class DealStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class ExchangeRate(models.Model):
    """Base-currency units for one unit of `currency`, valid from a date until the next row."""

    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMAL_PLACES)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="fx_unique_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} from {self.valid_from.isoformat()}"


class Deal(models.Model):
    """An opportunity; its stage changes are recorded in DealStageChange by the services."""

    name = models.CharField(max_length=255)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    amount = _money_field(help_text="In the deal's currency")
    currency = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(
        max_digits=RATE_MAX_DIGITS,
        decimal_places=RATE_DECIMAL_PLACES,
        help_text="Base-currency units per unit of the deal's currency, as stored at write time",
    )
    amount_base = _money_field(help_text="Amount in the organisation's base currency")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    probability = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Override of the stage's default probability (percent)"
    )
    created_at = models.DateTimeField()
    created_on = models.DateField(editable=False)
    expected_close_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=4, choices=DealStatus.choices, default=DealStatus.OPEN)
    lost_reason = models.CharField(max_length=200, blank=True)
    next_step = models.CharField(max_length=255, blank=True)
    next_step_date = models.DateField(null=True, blank=True)
    lead_source = models.CharField(max_length=50, blank=True)
    # The moment of the deal's latest stage change (its creation, if none since). Every writer
    # keeps this so; stage conversion relies on it to skip deals with no change in a period.
    stage_entered_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    source_system = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_base__gte=0), name="deal_amount_base_not_negative"
            ),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="deal_rate_positive"),
            models.CheckConstraint(
                condition=Q(probability__isnull=True) | Q(probability__gte=0, probability__lte=100),
                name="deal_probability_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DealStatus.values), name="deal_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=DealStatus.OPEN) & Q(closed_at__isnull=True))
                | (Q(status__in=[DealStatus.WON, DealStatus.LOST]) & Q(closed_at__isnull=False)),
                name="deal_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(lost_reason="") | Q(status=DealStatus.LOST),
                name="deal_lost_reason_only_when_lost",
            ),
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=~Q(external_id=""),
                name="deal_unique_external_id",
            ),
        ]
        indexes = [
            # A rep's deals by status and close day: closed-deal measures of a team (won deals of
            # a period, customers, cycle days) are one short range per owner, and on PostgreSQL
            # index-only (what they read is included).
            models.Index(
                fields=["owner", "status", "closed_on"],
                name="deal_owner_status_closed",
                include=["created_on", "account", "amount_base"],
            ),
            # A rep's deals by creation day (pipeline created); it also carries when each deal
            # entered its stage, so stage conversion finds a team's recently moved deals in the
            # index alone on PostgreSQL (no heap visit for the thousands that did not move).
            models.Index(
                fields=["owner", "created_on"],
                name="deal_owner_created_on",
                include=["stage_entered_at", "id"],
            ),
            # Closed-deal KPIs (win rate, revenue, cycle) scan by close date; partial and covering
            # so the planner does not pick the owner FK index and filter afterwards.
            models.Index(
                fields=["closed_on", "owner"],
                name="deal_closed_on_owner",
                condition=Q(closed_on__isnull=False),
                include=["status", "amount_base", "created_at"],
            ),
            # Open deals are a few percent of all deals; company-wide pipeline review, health
            # flags and open pipeline read only them, which without this is a full table scan.
            models.Index(fields=["owner"], name="deal_open_owner", condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_probability(self) -> int:
        return self.probability if self.probability is not None else self.stage.default_probability


class DealStageChange(models.Model):
    """One move of a deal from a stage to another (from_stage is empty when the deal is created)."""

    # No single-column index: the (deal, changed_at) composite below serves every lookup by deal,
    # and PostgreSQL's planner otherwise picks the narrower one and re-sorts.
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="stage_changes", db_index=False
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["deal", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_stage__isnull=True) | ~Q(from_stage=F("to_stage")),
                name="stage_change_moves",
            ),
        ]
        indexes = [
            # Carries the stage moved to: a deal's stage at a moment and its path through the
            # pipeline (stage conversion, open deals as of a date) are index-only on PostgreSQL.
            models.Index(
                fields=["deal", "changed_at"], name="stage_change_deal_at", include=["to_stage"]
            ),
            # Stage conversion reads the changes of a period across all deals.
            models.Index(fields=["changed_at"], name="stage_change_at"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id} at {self.changed_at}"


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    QUOTE = "quote", "Quote"
    FOLLOW_UP = "follow_up", "Follow-up"


class ActivityOutcome(models.TextChoices):
    NONE = "", "—"
    CONNECTED = "connected", "Connected"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left message"
    SENT = "sent", "Sent"
    REPLIED = "replied", "Replied"
    HELD = "held", "Held"
    NO_SHOW = "no_show", "No show"
    RESCHEDULED = "rescheduled", "Rescheduled"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class Activity(models.Model):
    """A call, email, meeting, quote or follow-up by a person, on a deal and/or an account."""

    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    owner = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="activities", db_index=False
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    occurred_at = models.DateTimeField()
    occurred_on = models.DateField(editable=False)
    outcome = models.CharField(max_length=12, choices=ActivityOutcome.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    source_system = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values), name="activity_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=~Q(external_id=""),
                name="activity_unique_external_id",
            ),
        ]
        indexes = [
            # Per-rep activity counts over a date range: the owner leads, the day narrows it.
            models.Index(fields=["owner", "occurred_on", "kind"], name="activity_owner_day_kind"),
            models.Index(fields=["occurred_on"], name="activity_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.owner_id} at {self.occurred_at}"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    WORKING = "working", "Working"
    CONVERTED = "converted", "Converted"
    DISQUALIFIED = "disqualified", "Disqualified"


class Lead(models.Model):
    """A prospect before it becomes a deal."""

    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    source = models.CharField(max_length=50)
    created_at = models.DateTimeField()
    created_on = models.DateField(editable=False)
    owner = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    converted_at = models.DateTimeField(null=True, blank=True)
    deal = models.OneToOneField(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="lead"
    )
    external_id = models.CharField(max_length=100, blank=True)
    source_system = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LeadStatus.values), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=LeadStatus.CONVERTED) & Q(converted_at__isnull=False))
                | (~Q(status=LeadStatus.CONVERTED) & Q(converted_at__isnull=True)),
                name="lead_converted_at_iff_converted",
            ),
            models.CheckConstraint(
                condition=Q(converted_at__isnull=True) | Q(converted_at__gte=F("created_at")),
                name="lead_converted_after_created",
            ),
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=~Q(external_id=""),
                name="lead_unique_external_id",
            ),
        ]
        indexes = [models.Index(fields=["owner", "created_on"], name="lead_owner_created_on")]

    def __str__(self) -> str:
        return self.name
