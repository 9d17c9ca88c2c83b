"""What an export contains: rows in the generic import format, filtered by period and scope.

Columns are the generic import source's field names (attain.importers.sources.base.FIELDS), so an
exported file imports back with `--source generic`. Rows come from one `values_list` query per
kind, iterated in chunks (a server-side cursor on PostgreSQL), so memory stays flat however many
rows there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from attain.access.selectors import viewer_for
from attain.core.errors import AttainError, NotFound
from attain.core.periods import Period, PeriodError
from attain.crm.models import Account, Activity, Deal, DealStatus
from attain.importers.sources.base import FIELDS
from attain.metrics.models import SubjectKind, Target
from attain.org.models import Person, Team, TeamMembership
from attain.org.selectors import org_time_zone, period_parse

EXPORT_KINDS: Final = ("deals", "activities", "accounts", "people", "targets")
PERIOD_KINDS: Final = ("deals", "activities", "targets")
CHUNK: Final = 5000
# Records created in Attain (no CRM id) are exported under this prefix and their primary key.
NATIVE_ID_PREFIX: Final = "attain-"
DATETIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%z"


class ExportError(AttainError):
    """The export cannot be made as asked (unknown kind, period on a kind without dates, …)."""


@dataclass(frozen=True)
class ExportScope:
    """Whose records a person may export: `person_ids`/`team_ids` None means everyone's."""

    person_ids: frozenset[int] | None
    team_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.person_ids is None


EVERYTHING: Final = ExportScope(person_ids=None, team_ids=None)
NOTHING: Final = ExportScope(person_ids=frozenset(), team_ids=frozenset())


def export_scope(*, user: User | AnonymousUser) -> ExportScope:
    """Whose records the person may export, decided by the shared access layer
    (`attain.access.selectors`): executives and admins everything; a manager the people and teams
    of the subtrees they manage (anyone who was ever in them); anyone else their own records."""
    if not user.is_authenticated:
        return NOTHING
    viewer = viewer_for(user=user)
    if viewer.sees_everything:
        return EVERYTHING
    if viewer.person is None:
        return NOTHING
    if viewer.is_manager:
        subtree = Q(pk__in=[])
        for path in viewer.managed_team_paths:
            subtree |= Q(path__startswith=path)
        team_ids = frozenset(Team.objects.filter(subtree).values_list("pk", flat=True))
        members = TeamMembership.objects.filter(team_id__in=team_ids).values_list(
            "person_id", flat=True
        )
        return ExportScope(person_ids=frozenset({viewer.person.pk, *members}), team_ids=team_ids)
    return ExportScope(person_ids=frozenset({viewer.person.pk}), team_ids=frozenset())


def export_columns(kind: str) -> list[str]:
    if kind not in EXPORT_KINDS:
        raise ExportError(f"cannot export {kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
    return [f.name for f in FIELDS[kind]]


def export_rows(
    *, kind: str, period: Period | None = None, scope: ExportScope = EVERYTHING
) -> Iterator[list[str]]:
    """The rows of one export as text cells, in `export_columns(kind)` order.

    Deals are in a period when created or closed in it; activities by the day they happened;
    targets when their period overlaps it. Accounts and people have no period.
    """
    columns = export_columns(kind)
    if period is not None and kind not in PERIOD_KINDS:
        raise ExportError(
            f"--period applies to {', '.join(PERIOD_KINDS)}; {kind} are exported whole"
        )
    tz = org_time_zone()
    producer = _PRODUCERS[kind]
    for record in producer(period, scope, tz):
        yield [_cell(record.get(column)) for column in columns]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _external_id(external_id: str, pk: int) -> str:
    return external_id or f"{NATIVE_ID_PREFIX}{pk}"


def _stamp(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).strftime(DATETIME_FORMAT) if value else None


def _by_owner(qs: QuerySet[Any], scope: ExportScope, field: str = "owner_id") -> QuerySet[Any]:
    if scope.person_ids is None:
        return qs
    return qs.filter(**{f"{field}__in": scope.person_ids})


_DEAL_FIELDS = (
    "pk",
    "external_id",
    "name",
    "owner__email",
    "amount",
    "currency",
    "stage__name",
    "stage__pipeline__name",
    "status",
    "created_at",
    "closed_at",
    "expected_close_date",
    "probability",
    "account__name",
    "product__name",
    "lead_source",
    "next_step",
    "lost_reason",
)


def _deals(period: Period | None, scope: ExportScope, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    qs = _by_owner(Deal.objects.order_by("pk"), scope)
    if period is not None:
        qs = qs.filter(
            Q(created_on__gte=period.start, created_on__lt=period.end)
            | Q(closed_on__gte=period.start, closed_on__lt=period.end)
        )
    for row in qs.values_list(*_DEAL_FIELDS).iterator(chunk_size=CHUNK):
        d = dict(zip(_DEAL_FIELDS, row, strict=True))
        closed = d["status"] != DealStatus.OPEN
        yield {
            "external_id": _external_id(d["external_id"], d["pk"]),
            "name": d["name"],
            "owner": d["owner__email"],
            "amount": d["amount"],
            "currency": d["currency"],
            "stage": d["stage__name"],
            "status": d["status"],
            "created_at": _stamp(d["created_at"], tz),
            # The generic format's close_date: expected while open, actual once closed.
            "close_date": _stamp(d["closed_at"], tz) if closed else d["expected_close_date"],
            "probability": d["probability"],
            "account": d["account__name"],
            "product": d["product__name"],
            "lead_source": d["lead_source"],
            "next_step": d["next_step"],
            "lost_reason": d["lost_reason"],
            "pipeline": d["stage__pipeline__name"],
        }


_ACTIVITY_FIELDS = (
    "pk",
    "external_id",
    "kind",
    "owner__email",
    "occurred_at",
    "subject",
    "outcome",
    "duration_minutes",
    "deal_id",
    "deal__external_id",
    "account__name",
)


def _activities(
    period: Period | None, scope: ExportScope, tz: ZoneInfo
) -> Iterator[dict[str, Any]]:
    qs = _by_owner(Activity.objects.order_by("pk"), scope)
    if period is not None:
        qs = qs.filter(occurred_on__gte=period.start, occurred_on__lt=period.end)
    for row in qs.values_list(*_ACTIVITY_FIELDS).iterator(chunk_size=CHUNK):
        a = dict(zip(_ACTIVITY_FIELDS, row, strict=True))
        yield {
            "external_id": _external_id(a["external_id"], a["pk"]),
            "kind": a["kind"],
            "owner": a["owner__email"],
            "occurred_at": _stamp(a["occurred_at"], tz),
            "subject": a["subject"],
            "outcome": a["outcome"],
            "duration_minutes": a["duration_minutes"],
            "deal": _external_id(a["deal__external_id"], a["deal_id"]) if a["deal_id"] else None,
            "account": a["account__name"],
        }


_ACCOUNT_FIELDS = ("pk", "external_id", "name", "industry", "owner__email", "created_at")


def _accounts(period: Period | None, scope: ExportScope, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    qs = Account.objects.order_by("pk")
    if scope.person_ids is not None:
        # A rep's accounts: the ones they own and the ones they sell to.
        qs = qs.filter(
            Q(owner_id__in=scope.person_ids)
            | Q(pk__in=Deal.objects.filter(owner_id__in=scope.person_ids).values("account_id"))
        )
    for row in qs.values_list(*_ACCOUNT_FIELDS).iterator(chunk_size=CHUNK):
        a = dict(zip(_ACCOUNT_FIELDS, row, strict=True))
        yield {
            # Optional for accounts: without one the importer matches the account by name.
            "external_id": a["external_id"],
            "name": a["name"],
            "industry": a["industry"],
            "owner": a["owner__email"],
            "created_at": _stamp(a["created_at"], tz),
        }


_PERSON_FIELDS = ("full_name", "email", "role", "title", "hire_date", "external_id")


def _people(period: Period | None, scope: ExportScope, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    qs = _by_owner(Person.objects.order_by("pk"), scope, field="pk")
    for row in qs.values_list(*_PERSON_FIELDS).iterator(chunk_size=CHUNK):
        yield dict(zip(_PERSON_FIELDS, row, strict=True))


_TARGET_FIELDS = (
    "kpi",
    "subject_kind",
    "person__email",
    "team__name",
    "period_label",
    "period_start",
    "period_end",
    "value",
)


def _targets(period: Period | None, scope: ExportScope, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    qs = Target.objects.order_by("kpi", "period_start", "pk")
    if scope.person_ids is not None:
        assert scope.team_ids is not None
        qs = qs.filter(Q(person_id__in=scope.person_ids) | Q(team_id__in=scope.team_ids))
    if period is not None:
        qs = qs.filter(period_start__lt=period.end, period_end__gt=period.start)
    labels: dict[tuple[str, date, date], str] = {}
    for row in qs.values_list(*_TARGET_FIELDS).iterator(chunk_size=CHUNK):
        t = dict(zip(_TARGET_FIELDS, row, strict=True))
        subject = {
            SubjectKind.PERSON: t["person__email"],
            SubjectKind.TEAM: t["team__name"],
        }.get(t["subject_kind"], "company")
        yield {
            "kpi": t["kpi"],
            "subject": subject,
            "period": _period_text(t["period_label"], t["period_start"], t["period_end"], labels),
            "value": t["value"],
        }


def _period_text(
    label: str, start: date, end: date, cache: dict[tuple[str, date, date], str]
) -> str:
    """The stored label when it still parses to the stored dates, else an explicit range.

    The dates are the truth; a label from a since-changed calendar must not move the target.
    """
    key = (label, start, end)
    if key not in cache:
        text = f"{start.isoformat()}..{(end - timedelta(days=1)).isoformat()}"
        if label:
            try:
                parsed = period_parse(label)
            except (PeriodError, NotFound):
                parsed = None
            if parsed is not None and (parsed.start, parsed.end) == (start, end):
                text = label
        cache[key] = text
    return cache[key]


_PRODUCERS = {
    "deals": _deals,
    "activities": _activities,
    "accounts": _accounts,
    "people": _people,
    "targets": _targets,
}
