"""Reading the audit trail."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet


def audit_entries_for(instance: models.Model) -> QuerySet[LogEntry]:
    """Entries about one object, newest first."""
    entries: QuerySet[LogEntry] = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance), object_pk=str(instance.pk)
    ).order_by("-timestamp", "-id")
    return entries
