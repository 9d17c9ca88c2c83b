"""The audit trail every write goes through.

Entries are django-auditlog LogEntry rows (its model, admin and change display), written explicitly
by our services inside their own transaction, never by signals: a write and its audit record commit
or roll back together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

Action = LogEntry.Action
Changes = dict[str, list[str | None]]
# Who made a change: a login, or None for the system (demo loader, scheduled jobs).
Actor = User | None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of an instance, to diff against after a change."""
    names = (
        list(fields) if fields is not None else [f.attname for f in instance._meta.concrete_fields]
    )
    return {name: getattr(instance, name) for name in names}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """Fields whose value changed, as auditlog's {field: [old, new]} text pairs."""
    changes: Changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = [_as_text(old), _as_text(new)]
    return changes


def created_changes(instance: models.Model) -> Changes:
    return {name: [None, _as_text(value)] for name, value in snapshot(instance).items()}


def audit_log(
    *,
    actor: Actor,
    instance: models.Model,
    action: int,
    changes: Changes | None = None,
    note: str = "",
) -> LogEntry:
    """Record who changed what on one object. Must run inside the writing transaction."""
    _require_transaction()
    extra: dict[str, Any] | None = {"note": note} if note else None
    entry: LogEntry = LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=action,
        changes=changes or {},
        actor=actor if actor is not None and actor.pk else None,
        additional_data=extra,
    )
    return entry


def audit_bulk(
    *,
    actor: Actor,
    model: type[models.Model],
    action: int,
    rows: int,
    note: str,
    details: Mapping[str, Any] | None = None,
) -> LogEntry:
    """Record one entry for a bulk write (demo load, import) instead of one per row."""
    _require_transaction()
    entry: LogEntry = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="*",
        object_repr=f"{rows} {model._meta.verbose_name_plural}",
        action=action,
        changes={"rows": [None, str(rows)]},
        actor=actor if actor is not None and actor.pk else None,
        additional_data={"note": note, **(dict(details) if details else {})},
    )
    return entry


def _require_transaction() -> None:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError(
            "audit records must be written inside the transaction that makes the change"
        )
