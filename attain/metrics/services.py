"""Writes for metrics: targets per subject, KPI and period (goal-setting workflows come later)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from attain.audit.services import Action, Actor, audit_log, created_changes
from attain.core.errors import ValidationFailed
from attain.core.periods import Period
from attain.metrics.definitions.catalog import KPIS
from attain.metrics.engine.subjects import Subject
from attain.metrics.models import SubjectKind, Target


@transaction.atomic
def target_set(
    *, actor: Actor, kpi: str, subject: Subject, period: Period, value: Decimal
) -> Target:
    """Set (or replace) the subject's target for a KPI over exactly this period."""
    problems: dict[str, str] = {}
    if kpi not in KPIS:
        problems["kpi"] = f"{kpi!r} is not a KPI of the catalog"
    if value < 0:
        problems["value"] = "must not be negative"
    if problems:
        raise ValidationFailed(problems)
    kind = SubjectKind(subject.kind)
    target, created = Target.objects.select_for_update().get_or_create(
        kpi=kpi,
        subject_kind=kind,
        person_id=subject.person_id if kind is SubjectKind.PERSON else None,
        team_id=subject.team_id if kind is SubjectKind.TEAM else None,
        period_start=period.start,
        period_end=period.end,
        defaults={"value": value, "period_label": period.label},
    )
    if created:
        audit_log(
            actor=actor, instance=target, action=Action.CREATE, changes=created_changes(target)
        )
        return target
    old = target.value
    target.value = value
    target.period_label = period.label
    target.save(update_fields=["value", "period_label", "updated_at"])
    audit_log(
        actor=actor,
        instance=target,
        action=Action.UPDATE,
        changes={"value": [format(old, "f"), format(value, "f")]},
    )
    return target
