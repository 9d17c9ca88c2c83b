"""Writes to the CRM: accounts, products, pipelines, deals (with stage history), activities, leads.

Every function runs in one transaction and writes its audit record in it. Stage history is only
ever written here (and by bulk loaders that write the same rows), so it is complete by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from attain.audit.services import Action, Actor, audit_log, created_changes, diff, snapshot
from attain.core.errors import ValidationFailed
from attain.core.money import MoneyError, quantize_money, quantize_rate, to_base, validate_currency
from attain.core.periods import local_date
from attain.crm.models import (
    Account,
    Activity,
    ActivityKind,
    CompanySize,
    Deal,
    DealStageChange,
    DealStatus,
    ExchangeRate,
    ForecastCategory,
    Lead,
    LeadStatus,
    Pipeline,
    Product,
    Stage,
)
from attain.metrics.engine.rollups import rollup_refresh
from attain.org.models import Organisation, Person, Territory
from attain.org.selectors import org_time_zone, organisation_get


def _aware(value: datetime, field: str) -> datetime:
    if timezone.is_naive(value):
        raise ValidationFailed({field: "must carry a time zone (an aware datetime)"})
    return value


@transaction.atomic
def account_create(
    *,
    actor: Actor,
    name: str,
    industry: str = "",
    size: str = "",
    territory: Territory | None = None,
    owner: Person | None = None,
    created_at: datetime | None = None,
    external_id: str = "",
    source_system: str = "",
) -> Account:
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "must not be empty"
    if size and size not in CompanySize.values:
        problems["size"] = f"{size!r} is not one of {', '.join(CompanySize.values)}"
    if problems:
        raise ValidationFailed(problems)
    account = Account.objects.create(
        name=name.strip(),
        industry=industry.strip(),
        size=size,
        territory=territory,
        owner=owner,
        created_at=_aware(created_at, "created_at") if created_at else timezone.now(),
        external_id=external_id,
        source_system=source_system,
    )
    audit_log(actor=actor, instance=account, action=Action.CREATE, changes=created_changes(account))
    return account


@transaction.atomic
def product_create(
    *,
    actor: Actor,
    name: str,
    family: str,
    list_price: Decimal,
    unit_cost: Decimal | None = None,
) -> Product:
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "must not be empty"
    elif Product.objects.filter(name=name.strip()).exists():
        problems["name"] = f"a product named {name.strip()!r} exists"
    if list_price < 0:
        problems["list_price"] = "must not be negative"
    if unit_cost is not None and unit_cost < 0:
        problems["unit_cost"] = "must not be negative"
    if problems:
        raise ValidationFailed(problems)
    product = Product.objects.create(
        name=name.strip(),
        family=family.strip(),
        list_price=quantize_money(list_price),
        unit_cost=quantize_money(unit_cost) if unit_cost is not None else None,
    )
    audit_log(actor=actor, instance=product, action=Action.CREATE, changes=created_changes(product))
    return product


@dataclass(frozen=True)
class StageSpec:
    name: str
    probability: int
    category: str
    stall_after_days: int = 30


@transaction.atomic
def pipeline_create(
    *, actor: Actor, name: str, stages: Sequence[StageSpec], is_default: bool = False
) -> Pipeline:
    """Create a pipeline with its ordered stages; it needs one won and one lost stage."""
    problems: dict[str, str] = {}
    categories = [s.category for s in stages]
    if ForecastCategory.CLOSED_WON not in categories:
        problems["stages"] = "a pipeline needs a closed-won stage"
    elif ForecastCategory.CLOSED_LOST not in categories:
        problems["stages"] = "a pipeline needs a closed-lost stage"
    names = [s.name.strip().lower() for s in stages]
    if len(set(names)) != len(names):
        problems["stages"] = "stage names must be distinct"
    for index, spec in enumerate(stages, start=1):
        if spec.category not in ForecastCategory.values:
            problems[f"stages[{index}].category"] = f"{spec.category!r} is not a forecast category"
        if not 0 <= spec.probability <= 100:
            problems[f"stages[{index}].probability"] = "must be 0–100"
    if Pipeline.objects.filter(name=name.strip()).exists():
        problems["name"] = f"a pipeline named {name.strip()!r} exists"
    if problems:
        raise ValidationFailed(problems)
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(name=name.strip(), is_default=is_default)
    Stage.objects.bulk_create(
        Stage(
            pipeline=pipeline,
            name=spec.name.strip(),
            position=index,
            default_probability=spec.probability,
            forecast_category=spec.category,
            stall_after_days=spec.stall_after_days,
        )
        for index, spec in enumerate(stages, start=1)
    )
    audit_log(
        actor=actor,
        instance=pipeline,
        action=Action.CREATE,
        changes={"stages": [None, ", ".join(s.name for s in stages)]},
    )
    return pipeline


def exchange_rate_on(currency: str, day: date, *, org: Organisation | None = None) -> Decimal:
    """Base-currency units per unit of `currency` on a day, from the stored rate table."""
    org = org or organisation_get()
    code = validate_currency(currency)
    if code == org.base_currency:
        return Decimal("1.00000000")
    rate = (
        ExchangeRate.objects.filter(currency=code, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationFailed(
            {"currency": f"no exchange rate for {code} on or before {day.isoformat()}"}
        )
    return rate


@transaction.atomic
def exchange_rate_set(
    *, actor: Actor, currency: str, valid_from: date, rate: Decimal
) -> ExchangeRate:
    try:
        code = validate_currency(currency)
    except MoneyError as exc:
        raise ValidationFailed({"currency": str(exc)}) from None
    if rate <= 0:
        raise ValidationFailed({"rate": "must be positive"})
    obj, created = ExchangeRate.objects.update_or_create(
        currency=code, valid_from=valid_from, defaults={"rate": quantize_rate(rate)}
    )
    audit_log(
        actor=actor,
        instance=obj,
        action=Action.CREATE if created else Action.UPDATE,
        changes={"rate": [None, format(obj.rate, "f")]},
    )
    return obj


def _check_stage_status(stage: Stage, status: str) -> str:
    if stage.is_won:
        return DealStatus.WON
    if stage.is_lost:
        return DealStatus.LOST
    return DealStatus.OPEN if status in ("", DealStatus.OPEN) else status


@transaction.atomic
def deal_create(
    *,
    actor: Actor,
    name: str,
    owner: Person,
    amount: Decimal,
    stage: Stage,
    created_at: datetime,
    currency: str | None = None,
    account: Account | None = None,
    product: Product | None = None,
    probability: int | None = None,
    expected_close_date: date | None = None,
    next_step: str = "",
    next_step_date: date | None = None,
    lead_source: str = "",
    closed_at: datetime | None = None,
    lost_reason: str = "",
    external_id: str = "",
    source_system: str = "",
) -> Deal:
    """Create a deal in a stage; its first stage-history row is written with it."""
    org = organisation_get()
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "must not be empty"
    if amount < 0:
        problems["amount"] = f"{amount} is negative"
    if probability is not None and not 0 <= probability <= 100:
        problems["probability"] = f"{probability} is not 0–100"
    code = org.base_currency
    try:
        code = validate_currency(currency or org.base_currency)
    except MoneyError as exc:
        problems["currency"] = str(exc)
    _aware(created_at, "created_at")
    status = _check_stage_status(stage, DealStatus.OPEN)
    if status != DealStatus.OPEN and closed_at is None:
        problems["closed_at"] = f"required for a deal in the closed stage {stage.name!r}"
    if status == DealStatus.OPEN and closed_at is not None:
        problems["closed_at"] = f"an open deal (stage {stage.name!r}) has no close time"
    if lost_reason and status != DealStatus.LOST:
        problems["lost_reason"] = "only a lost deal has a lost reason"
    if closed_at is not None and closed_at < created_at:
        problems["closed_at"] = "is before the deal was created"
    if problems:
        raise ValidationFailed(problems)
    tz = org_time_zone(org)
    rate = exchange_rate_on(code, local_date(created_at, tz), org=org)
    amount_q = quantize_money(amount, code)
    deal = Deal.objects.create(
        name=name.strip(),
        owner=owner,
        account=account,
        product=product,
        amount=amount_q,
        currency=code,
        exchange_rate=rate,
        amount_base=to_base(amount_q, rate, org.base_currency),
        stage=stage,
        probability=probability,
        created_at=created_at,
        created_on=local_date(created_at, tz),
        expected_close_date=expected_close_date,
        next_step=next_step,
        next_step_date=next_step_date,
        lead_source=lead_source,
        status=status,
        closed_at=_aware(closed_at, "closed_at") if closed_at else None,
        closed_on=local_date(closed_at, tz) if closed_at else None,
        lost_reason=lost_reason,
        stage_entered_at=created_at,
        external_id=external_id,
        source_system=source_system,
    )
    DealStageChange.objects.create(
        deal=deal,
        from_stage=None,
        to_stage=stage,
        changed_at=created_at,
        changed_by=actor if actor is not None and actor.pk else None,
    )
    rollup_refresh(person_id=deal.owner_id, days=_deal_days(deal))
    audit_log(actor=actor, instance=deal, action=Action.CREATE, changes=created_changes(deal))
    return deal


def _deal_days(deal: Deal) -> set[date]:
    """The days whose rollup facts a deal contributes to (created, and closed if closed)."""
    return {day for day in (deal.created_on, deal.closed_on) if day is not None}


@transaction.atomic
def deal_change_stage(
    *,
    actor: Actor,
    deal: Deal,
    stage: Stage,
    changed_at: datetime | None = None,
    lost_reason: str = "",
) -> Deal:
    """Move a deal to another stage of its pipeline; a closed stage closes it (won or lost).

    Writes the stage-history row; reopening a closed deal clears its close time.
    """
    deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
    when = _aware(changed_at, "changed_at") if changed_at else timezone.now()
    problems: dict[str, str] = {}
    if stage.pipeline_id != deal.stage.pipeline_id:
        problems["stage"] = f"{stage.name!r} is not a stage of the deal's pipeline"
    if stage.pk == deal.stage_id:
        problems["stage"] = f"the deal is already in {stage.name!r}"
    if when < deal.stage_entered_at:
        problems["changed_at"] = "is before the deal entered its current stage"
    if lost_reason and not stage.is_lost:
        problems["lost_reason"] = "only a lost deal has a lost reason"
    if problems:
        raise ValidationFailed(problems)
    tracked = ["stage_id", "status", "closed_at", "closed_on", "lost_reason", "stage_entered_at"]
    before = snapshot(deal, tracked)
    previous_stage = deal.stage
    deal.stage = stage
    deal.stage_entered_at = when
    deal.status = _check_stage_status(stage, DealStatus.OPEN)
    if deal.status == DealStatus.OPEN:
        deal.closed_at = None
        deal.closed_on = None
        deal.lost_reason = ""
    else:
        deal.closed_at = when
        deal.closed_on = local_date(when, org_time_zone())
        deal.lost_reason = lost_reason if deal.status == DealStatus.LOST else ""
    deal.save()
    rollup_refresh(
        person_id=deal.owner_id,
        days={d for d in (before["closed_on"], deal.closed_on) if d is not None},
    )
    DealStageChange.objects.create(
        deal=deal,
        from_stage=previous_stage,
        to_stage=stage,
        changed_at=when,
        changed_by=actor if actor is not None and actor.pk else None,
    )
    audit_log(
        actor=actor,
        instance=deal,
        action=Action.UPDATE,
        changes=diff(before, snapshot(deal, tracked)),
    )
    return deal


_DEAL_EDITABLE = {
    "name",
    "account",
    "product",
    "probability",
    "expected_close_date",
    "next_step",
    "next_step_date",
    "lead_source",
    "amount",
    "currency",
}


@transaction.atomic
def deal_update(*, actor: Actor, deal: Deal, **values: Any) -> Deal:
    """Edit a deal's fields; stage and status change only through deal_change_stage."""
    unknown = set(values) - _DEAL_EDITABLE
    if unknown:
        raise ValidationFailed(
            {
                name: "change the stage with deal_change_stage"
                if name in {"stage", "status", "closed_at"}
                else "cannot be changed"
                for name in sorted(unknown)
            }
        )
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    problems: dict[str, str] = {}
    if "amount" in values and values["amount"] < 0:
        problems["amount"] = f"{values['amount']} is negative"
    probability = values.get("probability")
    if probability is not None and not 0 <= probability <= 100:
        problems["probability"] = f"{probability} is not 0–100"
    if "currency" in values:
        try:
            values["currency"] = validate_currency(values["currency"])
        except MoneyError as exc:
            problems["currency"] = str(exc)
    if "name" in values and not str(values["name"]).strip():
        problems["name"] = "must not be empty"
    if problems:
        raise ValidationFailed(problems)
    fields = [f.attname for f in Deal._meta.concrete_fields if f.name != "updated_at"]
    before = snapshot(deal, fields)
    for field, value in values.items():
        setattr(deal, field, value)
    if "amount" in values or "currency" in values:
        org = organisation_get()
        rate = exchange_rate_on(deal.currency, local_date(deal.created_at, org_time_zone(org)))
        deal.amount = quantize_money(deal.amount, deal.currency)
        deal.exchange_rate = rate
        deal.amount_base = to_base(deal.amount, rate, org.base_currency)
    deal.save()
    rollup_refresh(person_id=deal.owner_id, days=_deal_days(deal))
    audit_log(
        actor=actor,
        instance=deal,
        action=Action.UPDATE,
        changes=diff(before, snapshot(deal, fields)),
    )
    return deal


@transaction.atomic
def activity_log(
    *,
    actor: Actor,
    kind: str,
    owner: Person,
    occurred_at: datetime,
    deal: Deal | None = None,
    account: Account | None = None,
    outcome: str = "",
    duration_minutes: int | None = None,
    subject: str = "",
    external_id: str = "",
    source_system: str = "",
) -> Activity:
    """Record an activity; it also refreshes the deal's last-activity time (stalled detection)."""
    problems: dict[str, str] = {}
    if kind not in ActivityKind.values:
        problems["kind"] = f"{kind!r} is not one of {', '.join(ActivityKind.values)}"
    if duration_minutes is not None and duration_minutes < 0:
        problems["duration_minutes"] = "must not be negative"
    if deal is not None and account is not None and deal.account_id not in (None, account.pk):
        problems["account"] = "is not the deal's account"
    if problems:
        raise ValidationFailed(problems)
    _aware(occurred_at, "occurred_at")
    activity = Activity.objects.create(
        kind=kind,
        owner=owner,
        deal=deal,
        account=account if account is not None else (deal.account if deal else None),
        occurred_at=occurred_at,
        occurred_on=local_date(occurred_at, org_time_zone()),
        outcome=outcome,
        duration_minutes=duration_minutes,
        subject=subject,
        external_id=external_id,
        source_system=source_system,
    )
    if deal is not None:
        Deal.objects.filter(pk=deal.pk).filter(last_activity_at__isnull=True).update(
            last_activity_at=occurred_at
        )
        Deal.objects.filter(pk=deal.pk, last_activity_at__lt=occurred_at).update(
            last_activity_at=occurred_at
        )
    rollup_refresh(person_id=owner.pk, days={activity.occurred_on})
    audit_log(
        actor=actor, instance=activity, action=Action.CREATE, changes=created_changes(activity)
    )
    return activity


@transaction.atomic
def lead_create(
    *,
    actor: Actor,
    name: str,
    source: str,
    created_at: datetime,
    owner: Person | None = None,
    company: str = "",
    email: str = "",
    external_id: str = "",
    source_system: str = "",
) -> Lead:
    if not name.strip():
        raise ValidationFailed({"name": "must not be empty"})
    lead = Lead.objects.create(
        name=name.strip(),
        source=source.strip() or "unknown",
        created_at=_aware(created_at, "created_at"),
        created_on=local_date(created_at, org_time_zone()),
        owner=owner,
        company=company.strip(),
        email=email.strip(),
        external_id=external_id,
        source_system=source_system,
    )
    if owner is not None:
        rollup_refresh(person_id=owner.pk, days={lead.created_on})
    audit_log(actor=actor, instance=lead, action=Action.CREATE, changes=created_changes(lead))
    return lead


@transaction.atomic
def lead_convert(*, actor: Actor, lead: Lead, deal: Deal, converted_at: datetime) -> Lead:
    """Mark a lead converted into a deal."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    problems: dict[str, str] = {}
    if lead.status == LeadStatus.CONVERTED:
        problems["status"] = "the lead is already converted"
    if converted_at < lead.created_at:
        problems["converted_at"] = "is before the lead was created"
    if Lead.objects.filter(deal=deal).exclude(pk=lead.pk).exists():
        problems["deal"] = f"deal {deal.pk} already came from another lead"
    if problems:
        raise ValidationFailed(problems)
    before = snapshot(lead, ["status", "converted_at", "deal_id"])
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = _aware(converted_at, "converted_at")
    lead.deal = deal
    lead.save()
    audit_log(
        actor=actor,
        instance=lead,
        action=Action.UPDATE,
        changes=diff(before, snapshot(lead, ["status", "converted_at", "deal_id"])),
    )
    return lead
