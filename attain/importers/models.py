"""Import runs and their issues: who loaded which file when, what it did, and what went wrong."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportKind(models.TextChoices):
    DEALS = "deals", "Deals"
    ACTIVITIES = "activities", "Activities"
    ACCOUNTS = "accounts", "Accounts"
    PEOPLE = "people", "People"
    LEADS = "leads", "Leads"
    TARGETS = "targets", "Targets"


class ImportStatus(models.TextChoices):
    COMMITTED = "committed", "Committed"
    PARTIAL = "partial", "Committed without the rejected rows"
    REJECTED = "rejected", "Rejected, nothing written"
    UNREADABLE = "unreadable", "File could not be read"


class ImportRun(models.Model):
    """One real import of one file; dry runs are not recorded because they write nothing."""

    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    seconds = models.DecimalField(max_digits=10, decimal_places=3)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_bytes = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    skip_bad_rows = models.BooleanField(default=False)
    notes = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_run_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_run_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["file_sha256"], name="import_run_sha")]

    def __str__(self) -> str:
        return f"{self.kind} from {self.file_name} at {self.started_at:%Y-%m-%d %H:%M}"


class ImportIssue(models.Model):
    """A problem with one row (or, with row 0, with the whole file) of an import run."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(help_text="Spreadsheet row number (the header is row 1)")
    column = models.CharField(max_length=255, blank=True)
    value = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["run", "row", "id"]
        indexes = [models.Index(fields=["run", "row"], name="import_issue_run_row")]

    def __str__(self) -> str:
        return f"row {self.row} {self.column}: {self.reason}"
