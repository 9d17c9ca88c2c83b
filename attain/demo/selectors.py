"""Reads about the demo data: a content fingerprint for determinism checks."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from django.contrib.auth.models import User
from django.db import models

from attain.crm.models import (
    Account,
    Activity,
    Deal,
    DealStageChange,
    ExchangeRate,
    Lead,
    Pipeline,
    Product,
    Stage,
)
from attain.org.models import (
    Holiday,
    Organisation,
    Person,
    Team,
    TeamMembership,
    Territory,
    TerritoryAssignment,
)

# Every org/CRM table, parents first.
HASHED_MODELS: Final[tuple[type[models.Model], ...]] = (
    Organisation,
    Holiday,
    Person,
    Team,
    TeamMembership,
    Territory,
    TerritoryAssignment,
    Product,
    Pipeline,
    Stage,
    ExchangeRate,
    Account,
    Deal,
    DealStageChange,
    Activity,
    Lead,
)
# Written by auto_now at load time: when the rows were saved, not what they say.
UNSTABLE_FIELDS: Final = frozenset({"updated_at"})
# Login ids depend on which users existed before the demo; the username is the content.
USER_FIELDS: Final = frozenset({"user_id", "changed_by_id"})


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def demo_content_hash() -> str:
    """SHA-256 over every org/CRM row in primary-key order, the same for the same content.

    Two loads with the same size, seed and as-of must give the same hash; it is computed from
    values as the ORM reads them, so SQLite and PostgreSQL agree too.
    """
    usernames = dict(User.objects.values_list("pk", "username"))
    digest = hashlib.sha256()
    for model in HASHED_MODELS:
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.name not in UNSTABLE_FIELDS and f.attname is not None
        ]
        user_positions = [i for i, name in enumerate(fields) if name in USER_FIELDS]
        digest.update(f"#{model._meta.db_table}:{','.join(fields)}\n".encode())
        rows = (
            model._default_manager.order_by("pk").values_list(*fields).iterator(chunk_size=20_000)
        )
        for row in rows:
            values = list(row)
            for i in user_positions:
                values[i] = usernames.get(values[i]) if values[i] is not None else None
            digest.update(("\x1f".join(_text(v) for v in values) + "\n").encode())
    return digest.hexdigest()
