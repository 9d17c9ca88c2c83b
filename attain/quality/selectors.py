"""The data-quality report: what in the CRM data would make a KPI wrong or a list misleading.

Every check is set-based SQL (one aggregate over the deals, GROUP BY over categorical columns);
Python only sees distinct values, account names and a handful of example rows, so the report
stays fast on tens of millions of records. Read-only: nothing here writes.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from django.apps import apps
from django.db.models import Count, F, Model, Q
from django.utils import timezone

from attain.core.errors import NotFound, ValidationFailed
from attain.crm.models import Account, Deal, DealStatus, Lead, Product
from attain.org.selectors import org_today
from attain.quality.normalise import (
    category_key,
    closest,
    company_key,
    duplicate_groups,
    is_respelling,
)

# A category spelling is flagged when it is a respelling (see normalise.is_respelling) of a value
# used at least MISSPELLING_MIN_FACTOR times as often. Product thresholds are rapidfuzz Indel
# similarity (0–1) on folded names.
MISSPELLING_MIN_FACTOR = 2
PRODUCT_CUTOFF = 0.85
PRODUCT_SUGGESTION_CUTOFF = 0.6
# Beyond this many distinct values a column is free text, not a category: only the most frequent
# values are compared.
MAX_CATEGORY_VALUES = 1000
MAX_GROUP_MEMBERS_SHOWN = 10

# (model, field, label): the free-text categorical columns a CRM export fills.
CATEGORY_FIELDS: tuple[tuple[type[Model], str, str], ...] = (
    (Account, "industry", "account industry"),
    (Product, "family", "product family"),
    (Deal, "lead_source", "deal lead source"),
    (Deal, "lost_reason", "deal lost reason"),
    (Lead, "source", "lead source"),
)


@dataclass(frozen=True)
class QualityCheck:
    code: str
    title: str
    unit: str
    count: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "unit": self.unit,
            "count": self.count,
            "examples": [_json_safe(example) for example in self.examples],
        }


@dataclass(frozen=True)
class QualityReport:
    since_run_id: int | None
    as_of: date
    checks: list[QualityCheck]
    duration_ms: int

    @property
    def total_issues(self) -> int:
        return sum(check.count for check in self.checks)

    def check(self, code: str) -> QualityCheck:
        for check in self.checks:
            if check.code == code:
                return check
        raise KeyError(code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since_run_id": self.since_run_id,
            "as_of": self.as_of.isoformat(),
            "total_issues": self.total_issues,
            "duration_ms": self.duration_ms,
            "checks": [check.as_dict() for check in self.checks],
        }


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


DEAL_ROW_CHECKS: Final = (
    "deals_without_account",
    "closed_before_created",
    "non_positive_amounts",
    "open_deals_past_close_date",
)
CHECKS: Final = (
    "duplicate_accounts",
    "unknown_products",
    "misspelled_categories",
    *DEAL_ROW_CHECKS,
)


def quality_report(
    *,
    since_run_id: int | None = None,
    limit_examples: int = 20,
    checks: Collection[str] | None = None,
) -> QualityReport:
    """Run the checks (all, or the codes in `checks`); with `since_run_id`, the deal checks look
    only at that run's deals. An importer can skip what its kind cannot have changed."""
    wanted = set(CHECKS if checks is None else checks)
    unknown = wanted - set(CHECKS)
    if unknown:
        raise ValidationFailed(
            {"checks": f"unknown {', '.join(sorted(unknown))}; choose from {', '.join(CHECKS)}"}
        )
    started = time.perf_counter()
    deals = _deal_scope(since_run_id)
    try:
        today = org_today()
    except NotFound:
        today = timezone.now().date()
    found: list[QualityCheck] = []
    if "duplicate_accounts" in wanted:
        found.append(_duplicate_accounts(limit_examples))
    if "unknown_products" in wanted:
        found.append(_unknown_products(deals, limit_examples))
    if "misspelled_categories" in wanted:
        found.append(_misspelled_categories(limit_examples))
    row_checks = [code for code in DEAL_ROW_CHECKS if code in wanted]
    if row_checks:
        found += _deal_row_checks(deals, today, limit_examples, row_checks)
    return QualityReport(
        since_run_id=since_run_id,
        as_of=today,
        checks=found,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


def _deal_scope(since_run_id: int | None) -> Q:
    """Deals a run created or updated: the importer stamps `updated_at` on every row it writes."""
    if since_run_id is None:
        return Q()
    try:
        run_model = apps.get_model("importers", "ImportRun")
    except LookupError as exc:
        raise NotFound("Import runs are not installed, so there is no run to report on.") from exc
    run = run_model.objects.filter(pk=since_run_id).first()
    if run is None:
        raise NotFound(f"No import run has id {since_run_id}.")
    return Q(updated_at__gte=run.started_at)


def _duplicate_accounts(limit: int) -> QualityCheck:
    """Accounts whose names differ only by case, spacing, punctuation or legal form.

    SQL counts each distinct name; Python folds each distinct name once (CRMs repeat names, so
    this is far fewer than the accounts), and only the shown groups' accounts are fetched.
    """
    names = (
        Account.objects.order_by()
        .values_list("name")
        .annotate(n=Count("pk"))
        .iterator(chunk_size=20_000)
    )
    groups = duplicate_groups(names)
    groups.sort(key=lambda g: (-sum(n for _, n in g), min(name for name, _ in g)))
    shown = groups[:limit]
    members: dict[str, list[tuple[int, str]]] = {}
    wanted = [name for group in shown for name, _ in group]
    for pk, name in (
        Account.objects.filter(name__in=wanted).order_by("pk").values_list("pk", "name")
    ):
        members.setdefault(company_key(name), []).append((pk, name))
    firsts = {key: accounts[:MAX_GROUP_MEMBERS_SHOWN] for key, accounts in members.items()}
    ids = [pk for accounts in firsts.values() for pk, _ in accounts]
    deal_counts = dict(
        Deal.objects.filter(account_id__in=ids)
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )
    examples = []
    for group in shown:
        accounts = firsts.get(company_key(group[0][0]), [])
        examples.append(
            {
                "size": sum(n for _, n in group),
                "accounts": [
                    {"id": pk, "name": name, "deals": deal_counts.get(pk, 0)}
                    for pk, name in accounts
                ],
            }
        )
    return QualityCheck(
        code="duplicate_accounts",
        title="Likely duplicate accounts (names differ only by case, spacing, punctuation or "
        "legal form)",
        unit="groups",
        count=len(groups),
        examples=examples,
    )


def _unknown_products(deals: Q, limit: int) -> QualityCheck:
    """Products on deals that are not in the active catalog, or a near-spelling of one that is."""
    used = dict(
        Deal.objects.filter(deals, product__isnull=False)
        .order_by()
        .values("product_id")
        .annotate(n=Count("pk"))
        .values_list("product_id", "n")
    )
    products = list(Product.objects.order_by("name").values_list("pk", "name", "active"))
    catalog = [name for _, name, active in products if active]
    usage_by_name = {name: used.get(pk, 0) for pk, name, _ in products}
    flagged: list[dict[str, Any]] = []
    for pk, name, active in products:
        n = used.get(pk, 0)
        if not n:
            continue
        others = [other for other in catalog if other != name]
        if not active:
            match = closest(name, others, cutoff=PRODUCT_SUGGESTION_CUTOFF)
        else:
            match = closest(name, others, cutoff=PRODUCT_CUTOFF)
            if match is None or usage_by_name[match[0]] < n:
                continue
        flagged.append(
            {
                "product_id": pk,
                "name": name,
                "active": active,
                "deals": n,
                "closest_match": match[0] if match else None,
                "similarity": round(match[1], 2) if match else None,
            }
        )
    flagged.sort(key=lambda row: (-row["deals"], row["name"]))
    return QualityCheck(
        code="unknown_products",
        title="Product names on deals that don't match the catalog (with the closest match)",
        unit="products",
        count=len(flagged),
        examples=flagged[:limit],
    )


def _misspelled_categories(limit: int) -> QualityCheck:
    """Category values that are a respelling of a value used more often in the same column."""
    flagged: list[dict[str, Any]] = []
    for model, column, label in CATEGORY_FIELDS:
        counts = list(
            model._default_manager.exclude(**{column: ""})
            .order_by()
            .values_list(column)
            .annotate(n=Count("pk"))
        )
        counts.sort(key=lambda row: (-row[1], row[0]))
        counts = counts[:MAX_CATEGORY_VALUES]
        seen_keys: dict[str, tuple[str, int]] = {}
        for index, (value, n) in enumerate(counts):
            key = category_key(value)
            if key in seen_keys:
                better, better_n = seen_keys[key]
                flagged.append(_category_example(label, value, n, better, better_n))
                continue
            seen_keys[key] = (value, n)
            for better, better_n in counts[:index]:
                if better_n < MISSPELLING_MIN_FACTOR * n:
                    break
                if is_respelling(value, better):
                    flagged.append(_category_example(label, value, n, better, better_n))
                    break
    flagged.sort(key=lambda row: (row["field"], -row["suggestion_count"], row["value"]))
    return QualityCheck(
        code="misspelled_categories",
        title="Category values that look like a misspelling of a more frequent value",
        unit="values",
        count=len(flagged),
        examples=flagged[:limit],
    )


def _category_example(label: str, value: str, n: int, better: str, better_n: int) -> dict[str, Any]:
    return {
        "field": label,
        "value": value,
        "count": n,
        "suggestion": better,
        "suggestion_count": better_n,
    }


_DEAL_EXAMPLE_FIELDS = (
    "pk",
    "name",
    "owner__full_name",
    "account__name",
    "amount",
    "currency",
    "status",
    "created_at",
    "closed_at",
    "expected_close_date",
    "source_system",
    "external_id",
)


def _deal_row_checks(
    deals: Q, today: date, limit: int, codes: Collection[str] = DEAL_ROW_CHECKS
) -> list[QualityCheck]:
    """Four per-deal checks counted in one scan; examples fetched only for checks that fail."""
    conditions: list[tuple[str, str, Q]] = [
        ("deals_without_account", "Deals without an account", Q(account__isnull=True)),
        (
            "closed_before_created",
            "Deals closed before they were created",
            Q(closed_at__lt=F("created_at")),
        ),
        ("non_positive_amounts", "Deals with a zero or negative amount", Q(amount__lte=0)),
        (
            "open_deals_past_close_date",
            f"Open deals whose expected close date has passed (before {today.isoformat()})",
            Q(status=DealStatus.OPEN, expected_close_date__lt=today),
        ),
    ]
    conditions = [c for c in conditions if c[0] in codes]
    counts = Deal.objects.filter(deals).aggregate(
        **{code: Count("pk", filter=condition) for code, _, condition in conditions}
    )
    checks = []
    for code, title, condition in conditions:
        count = counts[code] or 0
        examples: list[dict[str, Any]] = []
        if count and limit:
            rows = Deal.objects.filter(deals).filter(condition).order_by("pk")
            examples = [
                {
                    "id": row["pk"],
                    "name": row["name"],
                    "owner": row["owner__full_name"],
                    "account": row["account__name"],
                    "amount": row["amount"],
                    "currency": row["currency"],
                    "status": row["status"],
                    "created_at": row["created_at"],
                    "closed_at": row["closed_at"],
                    "expected_close_date": row["expected_close_date"],
                    "source_system": row["source_system"],
                    "external_id": row["external_id"],
                }
                for row in rows.values(*_DEAL_EXAMPLE_FIELDS)[:limit]
            ]
        checks.append(
            QualityCheck(code=code, title=title, unit="deals", count=count, examples=examples)
        )
    return checks
