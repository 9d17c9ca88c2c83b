"""One loader per import kind: parse a batch, validate every row, upsert the good ones in bulk.

A loader runs inside the import's transaction. Parsing is vectorised (`parsing`); what needs the
database (owners, stages, accounts, existing records) is resolved per batch with a handful of
queries. Rows are upserted by (source system, external id): a row equal to what is stored is
unchanged, a different one updates the record (a stage change also writes stage history). Every
problem becomes a RowError. Deals and activities take their clean rows as frames (`_insert_new`:
new ones inserted at once with `writing.frame_insert`, stored equal ones counted unchanged); the
row-by-row path handles the rest and the other kinds (attain.core.bulk or the services).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Container, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.db import connection, models
from django.utils import timezone

from attain.audit.services import Action, Actor, audit_bulk
from attain.core.bulk import (
    bulk_insert,
    deferred_indexes,
    next_id,
    pages_have_room,
    reset_sequences,
    table_rows_estimate,
    temporary_table,
)
from attain.core.frames import frame_insert, frame_query
from attain.core.money import quantize_money
from attain.crm.models import (
    CLOSED_CATEGORIES,
    Account,
    Activity,
    ActivityKind,
    ActivityOutcome,
    Deal,
    DealStageChange,
    DealStatus,
    ForecastCategory,
    Lead,
    LeadStatus,
    Pipeline,
    Product,
    Stage,
)
from attain.importers.lookups import (
    PeopleIndex,
    RateTable,
    base_amount,
    money,
    money_frame,
    name_key,
)
from attain.importers.parsing import (
    datetime_formats,
    not_a_date,
    parse_currency,
    parse_datetime,
    parse_int,
    parse_money,
    parse_percent,
    text_too_long,
)
from attain.importers.reading import ROW, Table
from attain.importers.results import ImportResult, RowError
from attain.importers.selectors import ColumnPlan
from attain.importers.sources import FIELDS, Source
from attain.metrics.engine.rollup_bulk import ACTIVITY_FACTS, activity_increments
from attain.org.models import Organisation, Person, Role

LOOKUP_CHUNK = 5_000
# A CSV row of a CRM export is rarely shorter than this; estimates the rows of a file.
BYTES_PER_ROW = 100
# Above this many touched deals, last_activity_at is recomputed in one grouped pass.
BULK_DEAL_REFRESH = 20_000
# How `attain export` writes the id of a record made in Attain (no CRM id): attain-<pk>.
NATIVE_PREFIX = "attain-"
TEXT_LIMITS = {"name": 255, "subject": 255, "next_step": 255, "lost_reason": 200, "company": 200}


@dataclass
class Context:
    org: Organisation
    tz: ZoneInfo
    source: Source
    actor: Actor
    result: ImportResult
    plan: ColumnPlan
    create_missing_people: bool = False
    stage_mapping: dict[str, str] = field(default_factory=dict)
    now: datetime = field(default_factory=timezone.now)
    people: PeopleIndex = field(default_factory=PeopleIndex)
    # (row, raw cells, reasons) of every rejected row, for the rejected-rows CSV
    rejected_rows: list[tuple[int, list[str | None], str]] = field(default_factory=list)
    # (person id, local day) pairs whose rollups the import changed
    touched: set[tuple[int, date]] = field(default_factory=set)
    # fact increments (person_id, day, facts) of rows whose effect on the rollups is known
    # from the frames written (new activities): added to the rollups, not recomputed
    increments: list[pl.DataFrame] = field(default_factory=list)
    counts: dict[type[models.Model], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )

    @property
    def source_key(self) -> str:
        return self.source.key


class Loader:
    kind = ""
    # tables written with bulk_insert, whose indexes a big import defers
    bulk_tables: list[str] = []
    # the records this loader upserts by (source system, external id)
    model: type[models.Model] | None = None
    # the rollup facts its records can change (None: any), so only those are recomputed
    facts: frozenset[str] | None = None
    # tables a later import updates nearly every row of: a big first load leaves room on
    # their pages for it (`attain.core.bulk.pages_with_room`)
    sparse_tables: list[str] = []

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.plan = ctx.plan
        self.seen_ids: dict[str, int] = {}
        self._owner_memo: dict[str, tuple[int | None, str]] = {}

    # ------------------------------------------------------------------ hooks
    def prepare(self, table: Table) -> None:
        """Work that needs the whole file before the first batch (stage creation)."""

    def load(self, frame: pl.DataFrame) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """After the last batch: rollups, audit entries, sequences."""

    # ------------------------------------------------------------------ parsing helpers
    def parsed(
        self, frame: pl.DataFrame, *, every_format: bool = False
    ) -> tuple[pl.DataFrame, dict[int, list[RowError]]]:
        """Typed columns named after the fields, and the errors per row found without the DB.

        Date columns are parsed with the formats a sample of the batch uses; when that leaves
        a cell unread, the batch is parsed again with every format before reporting it.
        """
        exprs: list[pl.Expr] = [pl.col(ROW)]
        narrowed = False
        reasons: list[tuple[str, pl.Expr]] = []
        staged: list[pl.DataFrame] = []  # columns parsed ahead of the select (money, instants)
        tz = self.ctx.tz.key
        for spec in FIELDS[self.kind]:
            if spec.name not in self.plan.positions:
                exprs.append(pl.lit(None, dtype=_dtype(spec.type)).alias(spec.name))
                if spec.type == "datetime":
                    exprs.append(pl.lit(None, dtype=pl.Date()).alias(f"{spec.name}__on"))
                continue
            text = pl.col(self.plan.column(spec.name))
            if spec.name == "occurred_at" and "occurred_time" in self.plan.positions:
                clock = pl.col(self.plan.column("occurred_time"))
                text = (
                    pl.when(clock.is_not_null())
                    .then(pl.concat_str([text, pl.lit(" "), clock]))
                    .otherwise(text)
                )
            reason: pl.Expr
            if spec.type == "datetime":
                formats = None
                if not every_format:
                    sample = frame.select(text.alias("t")).get_column("t").drop_nulls().head(200)
                    formats = datetime_formats(sample)
                    narrowed = narrowed or formats is not None
                # Parsed once into a column: the instant, its local day and the reason all read it.
                staged.append(
                    frame.select(parse_datetime(text, tz, formats)[0].alias(f"__at_{spec.name}"))
                )
                value = pl.col(f"__at_{spec.name}")
                reason = not_a_date(text, value)
                exprs.append(value.dt.convert_time_zone(tz).dt.date().alias(f"{spec.name}__on"))
            elif spec.type == "date":
                value, reason = parse_datetime(text, tz)
                value = value.dt.convert_time_zone(tz).dt.date()
            elif spec.type == "money":
                prefix = f"__money_{spec.name}_"
                staged.append(parse_money(frame, text).select(pl.all().name.prefix(prefix)))
                value, reason = pl.col(f"{prefix}amount"), pl.col(f"{prefix}reason")
                exprs.append(pl.col(f"{prefix}currency").alias(f"{spec.name}__currency"))
            elif spec.type == "currency":
                value, reason = parse_currency(text)
            elif spec.type == "percent":
                value, reason = parse_percent(text)
            elif spec.type == "int":
                value, reason = parse_int(text)
            else:
                value = text
                reason = text_too_long(
                    text,
                    TEXT_LIMITS.get(
                        spec.name,
                        100
                        if spec.name in ("external_id", "industry", "lead_source", "source")
                        else 255,
                    ),
                )
            if spec.required:
                reason = pl.when(text.is_null()).then(pl.lit("required")).otherwise(reason)
            exprs.append(value.alias(spec.name))
            reasons.append((spec.name, reason.alias(f"!{spec.name}")))
        out = frame.hstack([c for parts in staged for c in parts.iter_columns()]).select(
            exprs + [r for _, r in reasons] + [pl.col(c) for c in self._raw_columns()]
        )
        if narrowed:
            dates = [f"!{f.name}" for f in FIELDS[self.kind] if f.type == "datetime"]
            present = [c for c in dates if c in out.columns]
            if (
                present
                and out.select(pl.any_horizontal(pl.col(present).is_not_null()).any()).item()
            ):
                return self.parsed(frame, every_format=True)
        errors: dict[int, list[RowError]] = defaultdict(list)
        for name, _ in reasons:
            column = self.plan.column(name)
            header = self.plan.headers[self.plan.positions[name]]
            bad = out.filter(pl.col(f"!{name}").is_not_null()).select(ROW, column, f"!{name}")
            for row, raw, why in bad.iter_rows():
                errors[row].append(RowError(row, header, raw or "", why))
        return out, errors

    def _raw_columns(self) -> list[str]:
        return [f"c{i}" for i in sorted(set(self.plan.positions.values()))]

    def header(self, name: str) -> str:
        position = self.plan.positions.get(name)
        return self.plan.headers[position] if position is not None else name

    def reject(self, row: int, errors: list[RowError], raw: dict[str, Any]) -> None:
        result = self.ctx.result
        result.rejected += 1
        for error in errors:
            result.add_error(error)
        reasons = "; ".join(f"{e.column}: {e.reason}" for e in errors)
        self.ctx.rejected_rows.append((row, [], reasons))  # cells filled in per batch

    def duplicate(self, row: int, external_id: str | None) -> RowError | None:
        if not external_id:
            return None
        first = self.seen_ids.setdefault(external_id, row)
        if first != row:
            return RowError(
                row,
                self.header("external_id"),
                external_id,
                f"duplicate id; row {first} has the same id",
            )
        return None

    def owner(
        self, row: int, value: str | None, day: date | None, *, required: bool = True
    ) -> tuple[int | None, RowError | None]:
        if not value:
            if required:
                return None, RowError(row, self.header("owner"), "", "required")
            return None, None
        memo = self._owner_memo.get(value)
        if memo is None:
            memo = self._owner_memo[value] = self.ctx.people.match(value)
        pk, reason = memo
        if pk is not None:
            return pk, None
        if self.ctx.create_missing_people and "more than one" not in reason:
            created = self._person_create(value, day or self.ctx.now.date())
            self._owner_memo[value] = (created, "")
            return created, None
        result = self.ctx.result
        if value not in result.unmatched_owners:
            result.unmatched_owners.append(value)
        return None, RowError(
            row,
            self.header("owner"),
            value,
            f"{reason} (add them, map the name, or use --create-missing-people)",
        )

    def _person_create(self, value: str, day: date) -> int:
        from attain.org.services import person_create

        text = value.strip()
        if "@" in text:
            email = text.lower()
            local = email.split("@", 1)[0]
            full_name = " ".join(p.capitalize() for p in re.split(r"[._-]+", local) if p)
        else:
            full_name = re.sub(r"\s+", " ", text)
            slug = re.sub(r"[^a-z0-9]+", ".", name_key(text)).strip(".") or "person"
            email = f"{slug}@{self.ctx.source_key}.import.invalid"
            n = 1
            while email in self.ctx.people.by_email:
                n += 1
                email = f"{slug}.{n}@{self.ctx.source_key}.import.invalid"
        person = person_create(
            actor=self.ctx.actor,
            full_name=full_name or email,
            email=email,
            hire_date=day,
            role=Role.REP,
        )
        self.ctx.people.add(person.pk, person.email, person.full_name)
        self.ctx.result.notes.append(
            f"created person {person.full_name} <{person.email}> for owner {value!r}"
        )
        return person.pk

    def existing(
        self, model: type[models.Model], ids: list[str], fields: list[str]
    ) -> dict[str, tuple[Any, ...]]:
        """Stored rows of this source by external id, in chunks the database accepts."""
        found: dict[str, tuple[Any, ...]] = {}
        if self.ctx.source_key == "generic":
            found.update(self.native(model, ids, fields))
        if not ids or not self.source_has_rows(model):
            return found
        quote = connection.ops.quote_name
        by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
        columns = ", ".join(quote(str(by_attname[n])) for n in ["external_id", *fields])
        table = quote(model._meta.db_table)
        if connection.vendor == "postgresql":
            # One `= ANY(array)` query per batch: PostgreSQL answers a big id list with one scan,
            # where chunks of IN lists would each scan the table again.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {columns} FROM {table} "
                    "WHERE source_system = %s AND external_id = ANY(%s) AND NOT (external_id = '')",
                    [self.ctx.source_key, ids],
                )
                for values in cursor.fetchall():
                    found[values[0]] = tuple(values[1:])
            return found
        if any(_converted(model, name) for name in fields):
            manager = model._default_manager
            for start in range(0, len(ids), LOOKUP_CHUNK):
                chunk = ids[start : start + LOOKUP_CHUNK]
                # The exclude repeats the unique index's condition, so SQLite can use it.
                for values in (
                    manager.filter(source_system=self.ctx.source_key, external_id__in=chunk)
                    .exclude(external_id="")
                    .order_by()
                    .values_list("external_id", *fields)
                ):
                    found[values[0]] = values[1:]
            return found
        # Plain columns only (ids, text): raw IN lists, since the ORM prepares each of 5,000
        # parameters in Python; `NOT (external_id = '')` again matches the unique index.
        with connection.cursor() as cursor:
            for start in range(0, len(ids), LOOKUP_CHUNK):
                chunk = ids[start : start + LOOKUP_CHUNK]
                cursor.execute(
                    f"SELECT {columns} FROM {table} WHERE source_system = %s AND external_id IN "
                    f"({', '.join(['%s'] * len(chunk))}) AND NOT (external_id = '')",
                    [self.ctx.source_key, *chunk],
                )
                for values in cursor.fetchall():
                    found[values[0]] = tuple(values[1:])
        return found

    def stored_frame(
        self,
        model: type[models.Model],
        ids: pl.Series,
        fields: dict[str, pl.DataType],
        *,
        sql: dict[str, str] | None = None,
    ) -> pl.DataFrame:
        """Like `existing`, as a frame (external_id, then `fields`: plain columns such as ids)
        found with one join per batch: the ids go into a temporary table (COPY on PostgreSQL)
        and come back joined to the stored rows, with no Python object per id. Handing a
        batch's 50,000 ids over as an `= ANY` array or `IN` lists cost more in Python than the
        query itself. `sql` may read a field through an expression, `{}` standing for its
        column (text in a form polars parses, say).
        """
        schema: dict[str, pl.DataType] = {"external_id": pl.String(), **fields}
        if self.ctx.source_key == "generic":
            found = self.existing(model, ids.drop_nulls().unique().to_list(), list(fields))
            return pl.DataFrame(
                [(ext, *values) for ext, values in found.items()], schema=schema, orient="row"
            )
        wanted = ids.drop_nulls().unique()
        if wanted.is_empty() or not self.source_has_rows(model):
            return pl.DataFrame(schema=schema)
        quote = connection.ops.quote_name
        by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
        columns = ", ".join(
            (sql or {}).get(name, "{}").format(f"m.{quote(str(by_attname[name]))}")
            for name in fields
        )
        with temporary_table("attain_import_ids", "external_id TEXT") as table:
            frame_insert(table, wanted.alias("external_id").to_frame())
            # `NOT (m.external_id = '')` repeats the unique index's condition, so it is used.
            return frame_query(
                f"SELECT t.external_id, {columns} FROM {table} t "
                f"JOIN {quote(model._meta.db_table)} m ON m.source_system = %s "
                "AND m.external_id = t.external_id AND NOT (m.external_id = '')",
                [self.ctx.source_key],
                schema,
            )

    def native(
        self, model: type[models.Model], ids: list[str], fields: list[str]
    ) -> dict[str, tuple[Any, ...]]:
        """Records made in Attain, exported with the id `attain-<pk>`, found again by that pk.

        Only records without a CRM id of their own qualify, so a re-imported export of them
        updates (or leaves) the same records instead of creating copies.
        """
        wanted = {
            int(i.removeprefix(NATIVE_PREFIX)): i
            for i in ids
            if i.startswith(NATIVE_PREFIX) and i.removeprefix(NATIVE_PREFIX).isdigit()
        }
        found: dict[str, tuple[Any, ...]] = {}
        keys = sorted(wanted)
        for start in range(0, len(keys), LOOKUP_CHUNK):
            for values in (
                model._default_manager.filter(pk__in=keys[start : start + LOOKUP_CHUNK])
                .filter(external_id="")
                .order_by()
                .values_list("pk", *fields)
            ):
                found[wanted[values[0]]] = tuple(values[1:])
        return found

    _has_rows: dict[type[models.Model], bool]

    def source_has_rows(self, model: type[models.Model]) -> bool:
        if not hasattr(self, "_has_rows"):
            self._has_rows = {}
        if model not in self._has_rows:
            self._has_rows[model] = model._default_manager.filter(
                source_system=self.ctx.source_key
            ).exists()
        return self._has_rows[model]

    def frame_candidates(
        self,
        out: pl.DataFrame,
        errors: dict[int, list[RowError]],
        stored: Container[str],
    ) -> tuple[pl.Series, pl.Series]:
        """For the frame path: which rows are candidates (clean, with an external id seen once in
        the file and not twice in this batch) and which of them are already stored (those may
        turn out unchanged), as boolean columns `__new` and `__stored`."""
        column = out.get_column("external_id")
        ids = column.to_list()
        # Membership tests mapped in C, the rest in polars: a comprehension testing each row
        # took ~0.5 s of a 1M-row import.
        seen = pl.Series(list(map(self.seen_ids.__contains__, ids)), dtype=pl.Boolean)
        known = pl.Series("__stored", list(map(stored.__contains__, ids)), dtype=pl.Boolean)
        mask = (
            (column.fill_null("").str.len_bytes() > 0)
            & ~out.get_column(ROW).is_in(list(errors))
            & ~seen
            & ~column.is_duplicated()
        )
        return mask.alias("__new"), known

    def unchanged_rows(
        self, mine: pl.DataFrame, theirs: pl.DataFrame, columns: Sequence[str]
    ) -> set[int]:
        """Rows whose compared `columns` equal the stored record's: counted unchanged, their ids
        marked seen, and their row numbers returned (so nothing else touches them)."""
        joined = mine.join(theirs, on="external_id", suffix="__s")
        same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}__s")) for c in columns])
        rows_same = joined.filter(same).select(ROW, "external_id")
        self.ctx.result.unchanged += rows_same.height
        self.seen_ids.update(
            zip(
                rows_same.get_column("external_id").to_list(),
                rows_same.get_column(ROW).to_list(),
                strict=True,
            )
        )
        return set(rows_same.get_column(ROW).to_list())

    def count(self, model: type[models.Model], created: int = 0, updated: int = 0) -> None:
        pair = self.ctx.counts[model]
        pair[0] += created
        pair[1] += updated

    def local(self, instant: datetime | None) -> date | None:
        return instant.astimezone(self.ctx.tz).date() if instant is not None else None


UTC_ZONE = ZoneInfo("UTC")


def _converted(model: type[models.Model], name: str) -> bool:
    """Whether the ORM converts this column's SQLite value (dates, decimals, booleans)."""
    field = next(f for f in model._meta.concrete_fields if f.attname == name)
    return isinstance(
        field, models.DateField | models.DecimalField | models.BooleanField | models.TimeField
    )


def db_stamp() -> Callable[[datetime | None], Any]:
    """How bulk rows carry an instant: as is, or on SQLite already in Django's text form.

    bulk_insert would convert each value itself; the importer's instants are UTC already, so
    dropping the zone is enough and several times cheaper per row.
    """
    if connection.vendor != "sqlite":
        return lambda value: value

    def text(value: datetime | None) -> str | None:
        # polars and Django hand over UTC instants; anything else is converted first.
        if value is None:
            return None
        if value.tzinfo is not UTC_ZONE and value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ")

    return text


def _dtype(kind: str) -> pl.DataType:
    return {
        "datetime": pl.Datetime("us", "UTC"),
        "date": pl.Date(),
        "percent": pl.Int64(),
        "int": pl.Int64(),
    }.get(kind, pl.String())


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # excluded by the parser's pattern; kept for safety
        return Decimal("0")


class AccountIndex:
    """Accounts by name key, creating missing ones in bulk at the end of each batch."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.by_name: dict[str, int] = {}
        for pk, name in Account.objects.values_list("id", "name"):
            self.by_name.setdefault(name_key(name), pk)
        self.next = next_id(Account._meta.db_table)
        self.pending: list[tuple[Any, ...]] = []
        self.created = 0

    def get(self, name: str | None, created_at: datetime, *, create: bool = True) -> int | None:
        if not name:
            return None
        key = name_key(name)
        pk = self.by_name.get(key)
        if pk is None and create:
            pk = self.next
            self.next += 1
            self.by_name[key] = pk
            self.pending.append(
                (pk, name.strip()[:255], "", "", None, None, created_at, "", self.ctx.source_key)
            )
        return pk

    def flush(self) -> None:
        if self.pending:
            self.created += bulk_insert(Account._meta.db_table, ACCOUNT_COLUMNS, self.pending)
            self.pending = []


ACCOUNT_COLUMNS = [f.column for f in Account._meta.concrete_fields]
DEAL_COLUMNS = [f.column for f in Deal._meta.concrete_fields]
STAGE_CHANGE_COLUMNS = [f.column for f in DealStageChange._meta.concrete_fields]
ACTIVITY_COLUMNS = [f.column for f in Activity._meta.concrete_fields]
LEAD_COLUMNS = [f.column for f in Lead._meta.concrete_fields]


# ====================================================================== deals


@dataclass
class StageInfo:
    pk: int
    category: str
    name: str
    status: str = field(init=False)

    def __post_init__(self) -> None:
        self.status = (
            DealStatus.WON
            if self.category == ForecastCategory.CLOSED_WON
            else DealStatus.LOST
            if self.category == ForecastCategory.CLOSED_LOST
            else DealStatus.OPEN
        )


DEAL_COMPARED = [
    "name",
    "account_id",
    "owner_id",
    "product_id",
    "amount",
    "currency",
    "stage_id",
    "probability",
    "created_at",
    "expected_close_date",
    "closed_at",
    "status",
    "lost_reason",
    "next_step",
    "lead_source",
]


_UTC_US = pl.Datetime("us", "UTC")
# A stored deal as `_unchanged` compares it with a parsed row.
STORED_DEAL: dict[str, pl.DataType] = {
    "external_id": pl.String(),
    "id": pl.Int64(),
    "name": pl.String(),
    "account_id": pl.Int64(),
    "owner_id": pl.Int64(),
    "product_id": pl.Int64(),
    "amount": pl.String(),
    "currency": pl.String(),
    "stage_id": pl.Int64(),
    "probability": pl.Int64(),
    "created_at": _UTC_US,
    "expected_close_date": pl.Date(),
    "closed_at": _UTC_US,
    "status": pl.String(),
    "lost_reason": pl.String(),
    "next_step": pl.String(),
    "lead_source": pl.String(),
}
TEXT_READ = {"created_at", "closed_at", "expected_close_date"}


def _iso_text_sql() -> tuple[str, str]:
    """SQL reading an instant and a day column (`{}`) as the ISO text `_from_iso_text` parses:
    stored rows read back this way skip the ORM's converters (what made re-imports slow)."""
    if connection.vendor == "postgresql":
        instant = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        return instant, "to_char({}, 'YYYY-MM-DD')"
    return "CAST({} AS TEXT)", "CAST({} AS TEXT)"  # SQLite stores them as that text already


def _from_iso_text(instants: list[str], days: list[str]) -> list[pl.Expr]:
    """Those text columns parsed; a value stored in another form reads as null."""
    return [
        pl.col(*instants).str.to_datetime(
            "%Y-%m-%d %H:%M:%S%.f", time_unit="us", time_zone="UTC", strict=False
        ),
        pl.col(*days).str.to_date("%Y-%m-%d", strict=False),
    ]


class DealLoader(Loader):
    kind = "deals"
    bulk_tables = [Deal._meta.db_table, DealStageChange._meta.db_table]
    model = Deal
    sparse_tables = [Deal._meta.db_table]  # the activities file sets their last activity

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.rates = RateTable(ctx.org.base_currency)
        self.accounts = AccountIndex(ctx)
        self.products = {name_key(n): pk for pk, n in Product.objects.values_list("id", "name")}
        self.product_names = dict(Product.objects.values_list("id", "name"))
        self.unknown_products: dict[str, int] = defaultdict(int)
        self.next_deal = next_id(Deal._meta.db_table)
        self.next_change = next_id(DealStageChange._meta.db_table)
        self.pipeline: Pipeline | None = None
        self.stages: dict[str, StageInfo] = {}
        self.won: StageInfo | None = None
        self.lost: StageInfo | None = None
        self.stage_changes = 0

    # -------------------------------------------------------------- stages
    def prepare(self, table: Table) -> None:
        self.pipeline = Pipeline.objects.filter(is_default=True).first() or (
            Pipeline.objects.order_by("id").first()
        )
        if "stage" in self.plan.positions and not Deal.objects.exists():
            self._stages_from_file(table)
        self._load_stages()

    def _load_stages(self) -> None:
        self.stages = {}
        if self.pipeline is None:
            return
        for stage in Stage.objects.filter(pipeline=self.pipeline).order_by("position"):
            info = StageInfo(stage.pk, stage.forecast_category, stage.name)
            self.stages[name_key(stage.name)] = info
            if info.category == ForecastCategory.CLOSED_WON and self.won is None:
                self.won = info
            if info.category == ForecastCategory.CLOSED_LOST and self.lost is None:
                self.lost = info

    def stage_key(self, value: str) -> str:
        mapped = self.ctx.stage_mapping.get(value) or self.ctx.stage_mapping.get(value.strip())
        if mapped:
            return name_key(mapped)
        label = self.ctx.source.stage_labels.get(value.strip().lower())
        return name_key(label or value)

    def _closing(self, value: str) -> str | None:
        key = name_key(value)
        label = self.ctx.source.stage_labels.get(value.strip().lower())
        keys = {key, name_key(label)} if label else {key}
        if keys & {name_key(v) for v in self.ctx.source.won}:
            return ForecastCategory.CLOSED_WON
        if keys & {name_key(v) for v in self.ctx.source.lost}:
            return ForecastCategory.CLOSED_LOST
        return None

    def _stages_from_file(self, table: Table) -> None:
        """First deal import: create the stages the file uses (vendor won/lost conventions)."""
        from attain.crm.services import StageSpec, pipeline_create

        column = self.plan.column("stage")
        prob = self.plan.column("probability") if "probability" in self.plan.positions else None
        order: dict[str, str] = {}
        probs: dict[str, list[float]] = defaultdict(list)
        cols = [column] + ([prob] if prob else [])
        for record in table.distinct(cols).iter_rows():
            value = record[0]
            if not value:
                continue
            shown = (
                self.ctx.stage_mapping.get(value)
                or self.ctx.source.stage_labels.get(value.strip().lower())
                or value.strip()
            )
            order.setdefault(name_key(shown), shown)
            if prob and record[1]:
                with suppress(ValueError):
                    probs[name_key(shown)].append(float(record[1].strip("% ")))
        existing = {}
        if self.pipeline is not None:
            existing = {name_key(s.name): s for s in Stage.objects.filter(pipeline=self.pipeline)}
        new_open: list[tuple[float, int, str]] = []
        won_names: list[str] = []
        lost_names: list[str] = []
        for index, (key, shown) in enumerate(order.items()):
            if key in existing:
                continue
            category = self._closing(shown)
            if category == ForecastCategory.CLOSED_WON:
                won_names.append(shown)
            elif category == ForecastCategory.CLOSED_LOST:
                lost_names.append(shown)
            else:
                values = probs.get(key)
                new_open.append((sum(values) / len(values) if values else -1.0, index, shown))
        if not (new_open or won_names or lost_names):
            return
        has_won = any(s.forecast_category == ForecastCategory.CLOSED_WON for s in existing.values())
        has_lost = any(
            s.forecast_category == ForecastCategory.CLOSED_LOST for s in existing.values()
        )
        # A pipeline needs a won and a lost stage; Pipedrive keeps them as statuses.
        if not has_won and not won_names:
            won_names.append("Won" if self.ctx.source.status_closes else "Closed Won")
        if not has_lost and not lost_names:
            lost_names.append("Lost" if self.ctx.source.status_closes else "Closed Lost")
        if any(p >= 0 for p, _, _ in new_open):
            new_open.sort(key=lambda t: (t[0] if t[0] >= 0 else 50.0, t[1]))
        specs: list[StageSpec] = []
        count = len(new_open)
        for position, (probability, _, shown) in enumerate(new_open, start=1):
            p = round(probability) if probability >= 0 else round(10 + 80 * position / (count + 1))
            p = max(1, min(p, 99))
            category = (
                ForecastCategory.COMMIT
                if p >= 75
                else ForecastCategory.BEST_CASE
                if p >= 50
                else ForecastCategory.PIPELINE
            )
            specs.append(StageSpec(shown[:100], p, category))
        specs += [StageSpec(n[:100], 100, ForecastCategory.CLOSED_WON) for n in won_names]
        specs += [StageSpec(n[:100], 0, ForecastCategory.CLOSED_LOST) for n in lost_names]
        if self.pipeline is None:
            self.pipeline = pipeline_create(
                actor=self.ctx.actor, name="Sales", stages=specs, is_default=True
            )
        else:
            start = (
                Stage.objects.filter(pipeline=self.pipeline).aggregate(m=models.Max("position"))[
                    "m"
                ]
                or 0
            )
            Stage.objects.bulk_create(
                Stage(
                    pipeline=self.pipeline,
                    name=spec.name,
                    position=start + index,
                    default_probability=spec.probability,
                    forecast_category=spec.category,
                )
                for index, spec in enumerate(specs, start=1)
            )
            audit_bulk(
                actor=self.ctx.actor,
                model=Stage,
                action=Action.CREATE,
                rows=len(specs),
                note=f"stages created by the first deal import ({self.ctx.source_key})",
            )
        self.ctx.result.notes.append(
            f"created stages in pipeline {self.pipeline.name!r} from the file: "
            + ", ".join(f"{s.name} ({s.category}, {s.probability}%)" for s in specs)
        )

    # -------------------------------------------------------------- rows
    def load(self, frame: pl.DataFrame) -> None:
        out, errors = self.parsed(frame)
        theirs = self._stored(out.get_column("external_id"))
        source = self.ctx.source
        result = self.ctx.result
        inserts: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        updates: list[tuple[int, dict[str, Any], tuple[Any, ...]]] = []
        won_keys = {name_key(v) for v in source.won}
        lost_keys = {name_key(v) for v in source.lost}
        actor_id = self.ctx.actor.pk if self.ctx.actor is not None and self.ctx.actor.pk else None
        base = self.ctx.org.base_currency
        stamp = db_stamp()
        now = stamp(self.ctx.now)
        stage_memo: dict[str, StageInfo | None] = {}
        rest = self._insert_new(out, errors, theirs, won_keys, lost_keys, actor_id)
        # The rows left (usually few) compare with the stored deals as Python values.
        left = rest.filter(pl.col("external_id").is_in(theirs.get_column("external_id").implode()))
        stored = self.existing(
            Deal,
            left.get_column("external_id").unique().to_list(),
            ["id", *DEAL_COMPARED, "stage_entered_at", "created_on", "closed_on"],
        )
        for rec in rest.iter_rows(named=True):
            row = rec[ROW]
            problems = list(errors.get(row, ()))
            dup = self.duplicate(row, rec["external_id"])
            if dup:
                problems.append(dup)
            created_at: datetime | None = rec["created_at"]
            created_on: date | None = rec["created_at__on"]
            owner_id, err = (
                self.owner(row, rec["owner"], created_on) if rec["owner"] else (None, None)
            )
            if err:
                problems.append(err)
            # stage and status
            stage: StageInfo | None = None
            raw_stage = rec["stage"]
            status_value = (rec["status"] or "").strip()
            if raw_stage:
                if raw_stage in stage_memo:
                    stage = stage_memo[raw_stage]
                else:
                    stage = stage_memo[raw_stage] = self.stages.get(self.stage_key(raw_stage))
                if stage is None:
                    known = ", ".join(s.name for s in self.stages.values())
                    problems.append(
                        RowError(
                            row,
                            self.header("stage"),
                            raw_stage,
                            f"unknown stage; the pipeline has {known or 'no stages'} "
                            "(map it under `stages:` in the mapping file)",
                        )
                    )
            if status_value and stage is not None:
                key = name_key(status_value)
                if key in won_keys or key == "won":
                    stage = self.won
                elif key in lost_keys or key == "lost":
                    stage = self.lost
                elif key == "deleted":
                    problems.append(
                        RowError(
                            row,
                            self.header("status"),
                            status_value,
                            "the deal is deleted in the CRM",
                        )
                    )
                elif key != "open":
                    problems.append(
                        RowError(
                            row,
                            self.header("status"),
                            status_value,
                            "not a deal status (open, won, lost)",
                        )
                    )
                if stage is None:
                    problems.append(
                        RowError(
                            row,
                            self.header("status"),
                            status_value,
                            "the pipeline has no stage for this status",
                        )
                    )
            # close time
            closed_at: datetime | None = None
            expected: date | None = None
            close_date = rec["close_date"]
            if stage is not None and stage.category in CLOSED_CATEGORIES:
                explicit = (
                    rec["won_at"]
                    if stage.category == ForecastCategory.CLOSED_WON
                    else rec["lost_at"]
                )
                closed_at = explicit or close_date
                if closed_at is None:
                    problems.append(
                        RowError(
                            row,
                            self.header("close_date"),
                            "",
                            f"a deal in the closed stage {stage.name!r} needs a close date",
                        )
                    )
                elif created_at is not None and closed_at < created_at:
                    if self.local(closed_at) < created_on:  # type: ignore[operator]
                        problems.append(
                            RowError(
                                row,
                                self.header("close_date"),
                                str(self.local(closed_at)),
                                f"closed before it was created ({created_on})",
                            )
                        )
                    else:  # a close date without a time, on the creation day
                        closed_at = created_at
            elif close_date is not None:
                expected = self.local(close_date)
            # money
            currency = rec["currency"] or rec["amount__currency"] or base
            rate: Decimal | None = None
            amount: Decimal | None = None
            if rec["amount"] is not None:
                amount = money(rec["amount"], currency)
            if created_on is not None and currency:
                rate = self.rates.rate(currency, created_on)
                if rate is None:
                    problems.append(
                        RowError(
                            row,
                            self.header("currency") if rec["currency"] else self.header("amount"),
                            currency,
                            f"no exchange rate for {currency} on or before {created_on}",
                        )
                    )
            if problems:
                self.reject(row, problems, rec)
                continue
            assert stage is not None and created_at is not None and amount is not None
            assert rate is not None and owner_id is not None and created_on is not None
            account_id = self.accounts.get(rec["account"], created_at)
            product_id = None
            if rec["product"]:
                product_id = self.products.get(name_key(rec["product"]))
                if product_id is None:
                    self.unknown_products[rec["product"]] += 1
            lost_reason = (rec["lost_reason"] or "") if stage.status == DealStatus.LOST else ""
            values = (
                rec["name"],
                account_id,
                owner_id,
                product_id,
                amount,
                currency,
                stage.pk,
                rec["probability"],
                created_at,
                expected,
                closed_at,
                stage.status,
                lost_reason,
                rec["next_step"] or "",
                (rec["lead_source"] or "")[:50],
            )
            closed_on = self.local(closed_at)
            old = stored.get(rec["external_id"])
            if old is None:
                pk = self.next_deal
                self.next_deal += 1
                created_text = stamp(created_at)
                inserts.append(
                    (
                        pk,
                        rec["name"],
                        account_id,
                        owner_id,
                        product_id,
                        amount,
                        currency,
                        rate,
                        base_amount(amount, rate, base),
                        stage.pk,
                        rec["probability"],
                        created_text,
                        created_on,
                        expected,
                        stamp(closed_at),
                        closed_on,
                        stage.status,
                        lost_reason,
                        rec["next_step"] or "",
                        None,
                        (rec["lead_source"] or "")[:50],
                        created_text,
                        None,
                        rec["external_id"],
                        self.ctx.source_key,
                        now,
                    )
                )
                changes.append((self.next_change, pk, None, stage.pk, created_text, actor_id))
                self.next_change += 1
                result.created += 1
                self.ctx.touched.update(
                    (owner_id, d) for d in (created_on, closed_on) if d is not None
                )
                continue
            pk, *before = old[: 1 + len(DEAL_COMPARED)]
            if tuple(before) == values:
                result.unchanged += 1
                continue
            stage_entered_at, old_created_on, old_closed_on = old[1 + len(DEAL_COMPARED) :]
            new: dict[str, Any] = dict(zip(DEAL_COMPARED, values, strict=True))
            new.update(
                exchange_rate=rate,
                amount_base=base_amount(amount, rate, base),
                created_on=created_on,
                closed_on=closed_on,
            )
            old_values = dict(zip(DEAL_COMPARED, before, strict=True))
            change: tuple[Any, ...] = ()
            if old_values["stage_id"] != stage.pk:
                when = closed_at or max(self.ctx.now, stage_entered_at)
                when = max(when, stage_entered_at)
                new["stage_entered_at"] = when
                change = (old_values["stage_id"], stage.pk, when)
            updates.append((pk, new, change))
            self.ctx.touched.update(
                (person, d)
                for person, d in (
                    (old_values["owner_id"], old_created_on),
                    (old_values["owner_id"], old_closed_on),
                    (owner_id, created_on),
                    (owner_id, closed_on),
                )
                if d is not None
            )
            result.updated += 1
        self.accounts.flush()
        if inserts:
            bulk_insert(Deal._meta.db_table, DEAL_COLUMNS, inserts)
            bulk_insert(DealStageChange._meta.db_table, STAGE_CHANGE_COLUMNS, changes)
            self.count(Deal, created=len(inserts))
            self.stage_changes += len(changes)
        for pk, new, change in updates:
            Deal.objects.filter(pk=pk).update(updated_at=self.ctx.now, **new)
            if change:
                DealStageChange.objects.create(
                    deal_id=pk,
                    from_stage_id=change[0],
                    to_stage_id=change[1],
                    changed_at=change[2],
                    changed_by_id=actor_id,
                )
                self.next_change += 1
                self.stage_changes += 1
        self.count(Deal, updated=len(updates))

    def _insert_new(
        self,
        out: pl.DataFrame,
        errors: dict[int, list[RowError]],
        theirs: pl.DataFrame,
        won_keys: set[str],
        lost_keys: set[str],
        actor_id: int | None,
    ) -> pl.DataFrame:
        """Insert the batch's new, valid deals (and their first stage change) as frames.

        Returns the rows left for the row-by-row path: any with a problem, ids already stored
        or repeated, owners to create, statuses or rates that need a closer look.
        """
        base = self.ctx.org.base_currency
        owner_map: dict[str, int] = {}
        for value in out.get_column("owner").drop_nulls().unique().to_list():
            memo = self._owner_memo.get(value)
            if memo is None:
                memo = self._owner_memo[value] = self.ctx.people.match(value)
            if memo[0] is not None:
                owner_map[value] = memo[0]
        stage_pk: dict[str, int] = {}
        stage_cat: dict[str, str] = {}
        for value in out.get_column("stage").drop_nulls().unique().to_list():
            info = self.stages.get(self.stage_key(value))
            if info is not None:
                stage_pk[value], stage_cat[value] = info.pk, info.category
        status_kind: dict[str, str] = {}
        for value in out.get_column("status").drop_nulls().unique().to_list():
            key = name_key(value)
            if key in won_keys or key == "won":
                status_kind[value] = "won"
            elif key in lost_keys or key == "lost":
                status_kind[value] = "lost"
            elif key == "open":
                status_kind[value] = "open"
        mask, known = self.frame_candidates(
            out, errors, set(theirs.get_column("external_id").to_list())
        )
        won_pk = self.won.pk if self.won else None
        lost_pk = self.lost.pk if self.lost else None
        status = pl.col("status").replace_strict(status_kind, default=None, return_dtype=pl.String)
        raw_pk = pl.col("stage").replace_strict(stage_pk, default=None, return_dtype=pl.Int64)
        raw_cat = pl.col("stage").replace_strict(stage_cat, default=None, return_dtype=pl.String)
        typed = out.with_columns(
            mask,
            known,
            pl.col("owner")
            .replace_strict(owner_map, default=None, return_dtype=pl.Int64)
            .alias("__owner"),
            pl.when(pl.col("status").is_null() | (status == "open"))
            .then(raw_pk)
            .when(raw_pk.is_not_null() & (status == "won"))
            .then(pl.lit(won_pk, dtype=pl.Int64))
            .when(raw_pk.is_not_null() & (status == "lost"))
            .then(pl.lit(lost_pk, dtype=pl.Int64))
            .alias("__stage"),
            pl.when(pl.col("status").is_null() | (status == "open"))
            .then(raw_cat)
            .when(raw_pk.is_not_null() & (status == "won"))
            .then(pl.lit(ForecastCategory.CLOSED_WON))
            .when(raw_pk.is_not_null() & (status == "lost"))
            .then(pl.lit(ForecastCategory.CLOSED_LOST))
            .alias("__category"),
            pl.coalesce(pl.col("currency"), pl.col("amount__currency"), pl.lit(base)).alias(
                "__currency"
            ),
        )
        won = pl.col("__category") == ForecastCategory.CLOSED_WON
        lost = pl.col("__category") == ForecastCategory.CLOSED_LOST
        closing_at = (
            pl.when(won)
            .then(pl.coalesce("won_at", "close_date"))
            .when(lost)
            .then(pl.coalesce("lost_at", "close_date"))
        )
        closing_on = (
            pl.when(won & pl.col("won_at").is_not_null())
            .then(pl.col("won_at__on"))
            .when(lost & pl.col("lost_at").is_not_null())
            .then(pl.col("lost_at__on"))
            .when(won | lost)
            .then(pl.col("close_date__on"))
        )
        typed = typed.with_columns(closing_at.alias("__closed_at"), closing_on.alias("__closed_on"))
        good = (
            pl.col("__new")
            & pl.col("__owner").is_not_null()
            & pl.col("__stage").is_not_null()
            & pl.col("created_at").is_not_null()
            & pl.col("amount").is_not_null()
            & ((~won & ~lost) | pl.col("__closed_at").is_not_null())
            & (
                pl.col("__closed_on").is_null()
                | (pl.col("__closed_on") >= pl.col("created_at__on"))
            )
        )
        new = typed.filter(good)
        if new.is_empty():
            return out
        # exchange rates per (currency, creation day); a missing rate goes the slow way
        pairs = new.select("__currency", "created_at__on").unique().rows()
        rates = {(c, d): self.rates.rate(c, d) for c, d in pairs}
        missing = [(c, d) for (c, d), r in rates.items() if r is None]
        if missing:
            lacking = pl.DataFrame(
                {"__currency": [c for c, _ in missing], "created_at__on": [d for _, d in missing]},
                schema={"__currency": pl.String, "created_at__on": pl.Date},
            )
            new = new.join(lacking, on=["__currency", "created_at__on"], how="anti")
            if new.is_empty():
                return out
        closed_at = (
            pl.when(pl.col("__closed_at") < pl.col("created_at"))
            .then(pl.col("created_at"))
            .otherwise(pl.col("__closed_at"))
        )
        # Money at the currency's minor unit, half-up, and in base currency, as polars decimals
        # and integers; the rare row too big for that to match `money` exactly goes row by row.
        # Decimals travel as their exact text: both databases read "12000.50" as the number.
        priced = money_frame(
            new.select(
                "amount",
                pl.col("__currency").alias("currency"),
                pl.col("created_at__on").alias("day"),
            ),
            rates,
            base,
        )
        new = new.with_columns(
            priced.get_column("amount").alias("__amount"),
            priced.get_column("exchange_rate").alias("__rate"),
            priced.get_column("amount_base").alias("__base"),
        ).filter(priced.get_column("exact"))
        settled = self._unchanged(new.filter(pl.col("__stored")), theirs, won, lost, closed_at)
        new = new.filter(~pl.col("__stored"))
        done = settled | set(new.get_column(ROW).to_list())
        rest = typed.filter(~pl.col(ROW).is_in(list(done))).select(out.columns)
        if new.is_empty():
            return rest
        # accounts named by the new deals (created when missing, before the deals point at them)
        account_ids: dict[str, int] = {}
        for name, created_at in (
            new.filter(pl.col("account").is_not_null())
            .group_by("account", maintain_order=True)
            .agg(pl.col("created_at").first())
            .iter_rows()
        ):
            pk = self.accounts.get(name, created_at)
            if pk is not None:
                account_ids[name] = pk
        self.accounts.flush()
        product_ids: dict[str, int] = {}
        for name, n in new.group_by("product").len().iter_rows():
            if name is None:
                continue
            pk = self.products.get(name_key(name))
            if pk is None:
                self.unknown_products[name] += n
            else:
                product_ids[name] = pk
        start = self.next_deal
        self.next_deal += new.height
        deals = new.select(
            pl.int_range(start, start + new.height, dtype=pl.Int64).alias("id"),
            pl.col("name"),
            pl.col("account")
            .replace_strict(account_ids, default=None, return_dtype=pl.Int64)
            .alias("account_id"),
            pl.col("__owner").alias("owner_id"),
            pl.col("product")
            .replace_strict(product_ids, default=None, return_dtype=pl.Int64)
            .alias("product_id"),
            pl.col("__amount").alias("amount"),
            pl.col("__currency").alias("currency"),
            pl.col("__rate").alias("exchange_rate"),
            pl.col("__base").alias("amount_base"),
            pl.col("__stage").alias("stage_id"),
            pl.col("probability").cast(pl.Int64),
            pl.col("created_at"),
            pl.col("created_at__on").alias("created_on"),
            pl.when(~won & ~lost).then(pl.col("close_date__on")).alias("expected_close_date"),
            closed_at.alias("closed_at"),
            pl.col("__closed_on").alias("closed_on"),
            pl.when(won)
            .then(pl.lit(DealStatus.WON.value))
            .when(lost)
            .then(pl.lit(DealStatus.LOST.value))
            .otherwise(pl.lit(DealStatus.OPEN.value))
            .alias("status"),
            pl.when(lost)
            .then(pl.col("lost_reason").fill_null(""))
            .otherwise(pl.lit(""))
            .alias("lost_reason"),
            pl.col("next_step").fill_null(""),
            pl.lit(None, dtype=pl.Date).alias("next_step_date"),
            pl.col("lead_source").fill_null("").str.slice(0, 50),
            pl.col("created_at").alias("stage_entered_at"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("last_activity_at"),
            pl.col("external_id"),
            pl.lit(self.ctx.source_key).alias("source_system"),
            pl.lit(self.ctx.now).cast(pl.Datetime("us", "UTC")).alias("updated_at"),
        )
        frame_insert(Deal._meta.db_table, deals)
        first = self.next_change
        self.next_change += deals.height
        first_stage_changes(
            deals=(start, start + deals.height), first_change=first, actor_id=actor_id
        )
        self.count(Deal, created=deals.height)
        self.stage_changes += deals.height
        self.ctx.result.created += deals.height
        self.seen_ids.update(
            zip(new.get_column("external_id").to_list(), new.get_column(ROW).to_list(), strict=True)
        )
        self.ctx.touched.update(deals.select("owner_id", "created_on").unique().iter_rows())
        self.ctx.touched.update(
            deals.filter(pl.col("closed_on").is_not_null())
            .select("owner_id", "closed_on")
            .unique()
            .iter_rows()
        )
        return rest

    def _unchanged(
        self,
        old: pl.DataFrame,
        theirs: pl.DataFrame,
        won: pl.Expr,
        lost: pl.Expr,
        closed_at: pl.Expr,
    ) -> set[int]:
        """Rows of stored deals whose values equal what is stored: counted, and left alone.

        Everything else about a stored deal (a change, a new account) goes row by row.
        """
        if old.is_empty():
            return set()
        accounts = {
            name: self.accounts.by_name.get(name_key(name))
            for name in old.get_column("account").drop_nulls().unique().to_list()
        }
        products = {
            name: self.products.get(name_key(name))
            for name in old.get_column("product").drop_nulls().unique().to_list()
        }
        mine = old.select(
            pl.col(ROW),
            pl.col("external_id"),
            pl.col("name"),
            pl.col("account")
            .replace_strict(accounts, default=None, return_dtype=pl.Int64)
            .alias("account_id"),
            pl.col("__owner").alias("owner_id"),
            pl.col("product")
            .replace_strict(products, default=None, return_dtype=pl.Int64)
            .alias("product_id"),
            pl.col("__amount").alias("amount"),
            pl.col("__currency").alias("currency"),
            pl.col("__stage").alias("stage_id"),
            pl.col("probability").cast(pl.Int64),
            pl.col("created_at"),
            pl.when(~won & ~lost).then(pl.col("close_date__on")).alias("expected_close_date"),
            closed_at.alias("closed_at"),
            pl.when(won)
            .then(pl.lit(DealStatus.WON.value))
            .when(lost)
            .then(pl.lit(DealStatus.LOST.value))
            .otherwise(pl.lit(DealStatus.OPEN.value))
            .alias("status"),
            pl.when(lost)
            .then(pl.col("lost_reason").fill_null(""))
            .otherwise(pl.lit(""))
            .alias("lost_reason"),
            pl.col("next_step").fill_null(""),
            pl.col("lead_source").fill_null("").str.slice(0, 50),
        )
        return self.unchanged_rows(mine, theirs, DEAL_COMPARED)

    def _stored(self, ids: pl.Series) -> pl.DataFrame:
        """The batch's stored deals (external_id, id and the compared columns), typed as the
        parsed rows are, read as one frame: the ORM's converters took most of a re-import
        (9 s of cProfile for 200,000 unchanged deals on SQLite). Amounts come as 2-place text,
        instants and dates as ISO text that polars parses."""
        if self.ctx.source_key == "generic":  # `attain-<pk>` ids are found through the ORM
            found = self.existing(Deal, ids.drop_nulls().unique().to_list(), ["id", *DEAL_COMPARED])
            rows = [
                (ext, *(str(v) if isinstance(v, Decimal) else v for v in values))
                for ext, values in found.items()
            ]
            return pl.DataFrame(rows, schema=STORED_DEAL, orient="row")
        instant, day = _iso_text_sql()
        # Amounts as 2-place text (SQLite keeps them as numbers).
        money = "{}::text" if connection.vendor == "postgresql" else "printf('%%.2f', {})"
        sql = {
            "amount": money,
            "expected_close_date": day,
            "created_at": instant,
            "closed_at": instant,
        }
        text = {n: pl.String() if n in TEXT_READ else t for n, t in STORED_DEAL.items()}
        del text["external_id"]
        frame = self.stored_frame(Deal, ids, text, sql=sql)
        typed = frame.with_columns(
            _from_iso_text(["created_at", "closed_at"], ["expected_close_date"])
        )
        # A value stored in another form reads as null and might then equal an empty cell:
        # such a deal loses its creation time here, so it never compares equal (row by row).
        unread = pl.any_horizontal(
            [frame.get_column(n).is_not_null() & typed.get_column(n).is_null() for n in TEXT_READ]
        )
        return typed.with_columns(
            pl.when(unread).then(None).otherwise(pl.col("created_at")).alias("created_at")
        )

    def finish(self) -> None:
        reset_sequences(
            [Deal._meta.db_table, DealStageChange._meta.db_table, Account._meta.db_table]
        )
        if self.accounts.created:
            self.count(Account, created=self.accounts.created)
            self.ctx.result.notes.append(
                f"created {self.accounts.created} accounts named by the deals"
            )
        if self.stage_changes:
            self.count(DealStageChange, created=self.stage_changes)
        if self.unknown_products:
            names = list(self.product_names.values())
            for product, n in sorted(self.unknown_products.items())[:20]:
                close = difflib.get_close_matches(product, names, n=1)
                hint = f" (closest: {close[0]!r})" if close else ""
                self.ctx.result.notes.append(
                    f"{n} deals name product {product!r}, which is not in the catalog{hint}; "
                    "left without a product"
                )


def first_stage_changes(*, deals: tuple[int, int], first_change: int, actor_id: int | None) -> None:
    """Each deal of an id range just inserted enters its stage when it is created: copied from
    the stored rows by one INSERT … SELECT, so the rows are not sent to the database twice (on
    SQLite not even once more through Python: no tuple per row)."""
    quote = connection.ops.quote_name
    low, high = deals
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(DealStageChange._meta.db_table)} "
            "(id, deal_id, from_stage_id, to_stage_id, changed_at, changed_by_id) "
            "SELECT id - %s, id, NULL, stage_id, created_at, CAST(%s AS BIGINT) "
            f"FROM {quote(Deal._meta.db_table)} WHERE id >= %s AND id < %s",
            [low - first_change, actor_id, low, high],
        )


# ====================================================================== activities

_OUTCOMES = (
    {name_key(label): value for value, label in ActivityOutcome.choices if value}
    | {name_key(value.replace("_", " ")): value for value in ActivityOutcome.values if value}
    | {
        "busy": "no_answer",
        "no answer": "no_answer",
        "left voicemail": "left_message",
        "completed": "held",
        "scheduled": "",
        "canceled": "rescheduled",
        "cancelled": "rescheduled",
    }
)


ACTIVITY_COMPARED = [
    "kind",
    "owner_id",
    "deal_id",
    "account_id",
    "occurred_at",
    "outcome",
    "duration_minutes",
    "subject",
]
# A stored activity as the loader reads it back: the compared columns between its id and its
# local day, in the order the row path unpacks them.
STORED_ACTIVITY: dict[str, pl.DataType] = {
    "external_id": pl.String(),
    "id": pl.Int64(),
    "kind": pl.String(),
    "owner_id": pl.Int64(),
    "deal_id": pl.Int64(),
    "account_id": pl.Int64(),
    "occurred_at": _UTC_US,
    "outcome": pl.String(),
    "duration_minutes": pl.Int64(),
    "subject": pl.String(),
    "occurred_on": pl.Date(),
}


class ActivityLoader(Loader):
    kind = "activities"
    bulk_tables = [Activity._meta.db_table]
    model = Activity
    facts = ACTIVITY_FACTS

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.accounts = AccountIndex(ctx)
        self.next_activity = next_id(Activity._meta.db_table)
        self.kinds = {name_key(k): v for k, v in ctx.source.activity_kinds.items()}
        self.kinds.update({name_key(v): v for v in ActivityKind.values})
        self.unknown_deals = 0
        # deals whose latest activity must be recomputed (row path: updates, odd rows) ...
        self.deals_touched: set[int] = set()
        # ... and, per batch of new rows, each deal's latest new activity (it can only advance)
        self.deals_latest: list[pl.DataFrame] = []
        # every deal of the source (external_id, id, account_id), when read once up front
        self.deal_links: pl.DataFrame | None = None

    def prepare(self, table: Table) -> None:
        """Read the source's deals once when there are no more of them than the file has
        rows: a big file names most of them, and looking each batch's deals up again cost
        0.3-0.5 s a batch (a hash join over the deal table), against one read of 200,000
        deals in well under a second. Memory then grows with the file, as the ids seen do."""
        if self.ctx.source_key == "generic":
            return  # its ids may name Attain's own deals (`native`); looked up per batch
        limit = table.path.stat().st_size // BYTES_PER_ROW
        deal = connection.ops.quote_name(Deal._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {deal} WHERE source_system = %s "
                "AND NOT (external_id = '') LIMIT %s) AS s",
                [self.ctx.source_key, limit + 1],
            )
            count = cursor.fetchone()[0]
        if count <= limit:
            self.deal_links = frame_query(
                f"SELECT external_id, id, account_id FROM {deal} WHERE source_system = %s "
                "AND NOT (external_id = '')",
                [self.ctx.source_key],
                {"external_id": pl.String(), "id": pl.Int64(), "account_id": pl.Int64()},
            )

    def load(self, frame: pl.DataFrame) -> None:
        out, errors = self.parsed(frame)
        stored_rows = self._stored(out.get_column("external_id"))
        refs = out.get_column("deal")
        if self.deal_links is not None:
            linked = self.deal_links.join(
                refs.drop_nulls().unique().alias("external_id").to_frame(),
                on="external_id",
                how="semi",
            )
        else:
            linked = self.stored_frame(Deal, refs, {"id": pl.Int64(), "account_id": pl.Int64()})
        result = self.ctx.result
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        kinds = self.kinds
        stamp = db_stamp()
        rest = self._insert_new(out, errors, stored_rows, linked)
        # The few rows left for the row path find their stored activity in a dict.
        stored: dict[str, tuple[Any, ...]] = {
            row[0]: row[1:]
            for row in stored_rows.filter(
                pl.col("external_id").is_in(rest.get_column("external_id").drop_nulls().implode())
            ).iter_rows()
        }
        # The few rows left for the row path look their deals up in a dict.
        deals: dict[str, tuple[int, int | None]] = {
            ext: (pk, account)
            for ext, pk, account in linked.filter(
                pl.col("external_id").is_in(rest.get_column("deal").drop_nulls().unique().implode())
            ).iter_rows()
        }
        for rec in rest.iter_rows(named=True):
            row = rec[ROW]
            problems = list(errors.get(row, ()))
            dup = self.duplicate(row, rec["external_id"])
            if dup:
                problems.append(dup)
            occurred_at: datetime | None = rec["occurred_at"]
            occurred_on: date | None = rec["occurred_at__on"]
            owner_id, err = (
                self.owner(row, rec["owner"], occurred_on) if rec["owner"] else (None, None)
            )
            if err:
                problems.append(err)
            kind = None
            if rec["kind"]:
                kind = kinds.get(name_key(rec["kind"]))
                if kind is None:
                    problems.append(
                        RowError(
                            row,
                            self.header("kind"),
                            rec["kind"],
                            "not an activity kind (call, email, meeting, quote, follow-up, task)",
                        )
                    )
            if problems:
                self.reject(row, problems, rec)
                continue
            assert occurred_at is not None and owner_id is not None and kind is not None
            assert occurred_on is not None
            deal_id: int | None = None
            account_id: int | None = None
            if rec["deal"]:
                link = deals.get(rec["deal"])
                if link is None:
                    self.unknown_deals += 1
                else:
                    deal_id, account_id = link
            if account_id is None and rec["account"]:
                account_id = self.accounts.get(rec["account"], occurred_at, create=False)
            outcome = _OUTCOMES.get(name_key(rec["outcome"] or ""), "")
            values = (
                kind,
                owner_id,
                deal_id,
                account_id,
                occurred_at,
                outcome,
                rec["duration_minutes"],
                rec["subject"] or "",
            )
            old = stored.get(rec["external_id"])
            if deal_id is not None:
                self.deals_touched.add(deal_id)
            if old is None:
                pk = self.next_activity
                self.next_activity += 1
                inserts.append(
                    (
                        pk,
                        kind,
                        owner_id,
                        deal_id,
                        account_id,
                        stamp(occurred_at),
                        occurred_on,
                        outcome,
                        rec["duration_minutes"],
                        rec["subject"] or "",
                        rec["external_id"],
                        self.ctx.source_key,
                    )
                )
                result.created += 1
                self.ctx.touched.add((owner_id, occurred_on))
                continue
            pk, *before = old
            if tuple(before[:8]) == values:
                result.unchanged += 1
                continue
            updates.append(
                (
                    pk,
                    {
                        **dict(zip(ACTIVITY_COMPARED, values, strict=True)),
                        "occurred_on": occurred_on,
                    },
                )
            )
            self.ctx.touched.update({(before[1], before[8]), (owner_id, occurred_on)})
            if before[2] is not None:
                self.deals_touched.add(before[2])
            result.updated += 1
        if inserts:
            bulk_insert(Activity._meta.db_table, ACTIVITY_COLUMNS, inserts)
            self.count(Activity, created=len(inserts))
        for pk, new in updates:
            Activity.objects.filter(pk=pk).update(**new)
        self.count(Activity, updated=len(updates))

    def _insert_new(
        self,
        out: pl.DataFrame,
        errors: dict[int, list[RowError]],
        stored: pl.DataFrame,
        linked: pl.DataFrame,
    ) -> pl.DataFrame:
        """Insert the batch's new, valid rows as one frame; return the rows left to check.

        The rest (rows with a problem, ids already stored or repeated, owners to create) go
        through the row-by-row path, which reports, updates or rejects them.
        """
        owner_map: dict[str, int] = {}
        for value in out.get_column("owner").drop_nulls().unique().to_list():
            memo = self._owner_memo.get(value)
            if memo is None:
                memo = self._owner_memo[value] = self.ctx.people.match(value)
            if memo[0] is not None:
                owner_map[value] = memo[0]
        kind_map: dict[str, str] = {}
        for value in out.get_column("kind").drop_nulls().unique().to_list():
            found = self.kinds.get(name_key(value))
            if found is not None:
                kind_map[value] = found
        mask, known = self.frame_candidates(
            out, errors, set(stored.get_column("external_id").to_list())
        )
        typed = out.with_columns(
            mask,
            known,
            pl.col("owner")
            .replace_strict(owner_map, default=None, return_dtype=pl.Int64)
            .alias("__owner"),
            pl.col("kind")
            .replace_strict(kind_map, default=None, return_dtype=pl.String)
            .alias("__kind"),
        )
        good = (
            pl.col("__new")
            & pl.col("__owner").is_not_null()
            & pl.col("__kind").is_not_null()
            & pl.col("occurred_at").is_not_null()
        )
        new = typed.filter(good)
        if new.is_empty():
            return out
        new = new.join(
            linked.select(
                pl.col("external_id").alias("deal"),
                pl.col("id").alias("__deal_id"),
                pl.col("account_id").alias("__deal_account"),
            ),
            on="deal",
            how="left",
            maintain_order="left",
        )
        # A deal's account wins; names are looked up only for rows without one.
        account_names = {
            name: pk
            for name in new.filter(pl.col("__deal_account").is_null())
            .get_column("account")
            .drop_nulls()
            .unique()
            .to_list()
            if (pk := self.accounts.by_name.get(name_key(name))) is not None
        }
        outcomes = {
            value: _OUTCOMES.get(name_key(value), "")
            for value in new.get_column("outcome").drop_nulls().unique().to_list()
        }
        values = new.select(
            pl.col(ROW),
            pl.col("__stored"),
            pl.col("__kind").alias("kind"),
            pl.col("__owner").alias("owner_id"),
            pl.col("__deal_id").alias("deal_id"),
            pl.coalesce(
                pl.col("__deal_account"),
                pl.col("account").replace_strict(
                    account_names, default=None, return_dtype=pl.Int64
                ),
            ).alias("account_id"),
            pl.col("occurred_at"),
            pl.col("occurred_at__on").alias("occurred_on"),
            pl.col("outcome")
            .replace_strict(outcomes, default="", return_dtype=pl.String)
            .fill_null("")
            .alias("outcome"),
            pl.col("duration_minutes").cast(pl.Int64),
            pl.col("subject").fill_null(""),
            pl.col("external_id"),
            pl.lit(self.ctx.source_key).alias("source_system"),
        )
        self.unknown_deals += new.filter(
            pl.col("deal").is_not_null() & pl.col("__deal_id").is_null()
        ).height
        settled = self.unchanged_rows(values.filter(pl.col("__stored")), stored, ACTIVITY_COMPARED)
        fresh = values.filter(~pl.col("__stored"))
        new = new.filter(~pl.col("__stored"))
        done = settled | set(fresh.get_column(ROW).to_list())
        rest = typed.filter(~pl.col(ROW).is_in(list(done))).select(out.columns)
        if fresh.is_empty():
            return rest
        start = self.next_activity
        self.next_activity += fresh.height
        rows = fresh.select(
            pl.int_range(start, start + fresh.height, dtype=pl.Int64).alias("id"),
            pl.all().exclude(ROW, "__stored"),
        )
        frame_insert(Activity._meta.db_table, rows)
        self.count(Activity, created=rows.height)
        self.ctx.result.created += rows.height
        self.seen_ids.update(
            zip(new.get_column("external_id").to_list(), new.get_column(ROW).to_list(), strict=True)
        )
        self._add_increments(activity_increments(rows))
        self.deals_latest.append(
            rows.filter(pl.col("deal_id").is_not_null())
            .group_by("deal_id")
            .agg(pl.col("occurred_at").max().alias("latest"))
        )
        return rest

    def _add_increments(self, frame: pl.DataFrame) -> None:
        """Keep the new rows' fact increments, summed every few batches so that memory grows
        with the person-days of the file, not its rows."""
        increments = self.ctx.increments
        increments.append(frame)
        if len(increments) >= 8:
            increments[:] = [pl.concat(increments).group_by("person_id", "day").agg(pl.all().sum())]

    def _stored(self, ids: pl.Series) -> pl.DataFrame:
        """The batch's stored activities (`STORED_ACTIVITY`) read as one frame, as deals are:
        through the ORM's converters, re-importing a million unchanged activities on SQLite
        spent ~40 of ~55 s of cProfile reading them back. Instants and days come as ISO text
        that polars parses; one that does not parse reads as null and so never compares equal
        (the row path then rewrites that activity with its file values)."""
        if self.ctx.source_key == "generic":  # `attain-<pk>` ids are found through the ORM
            found = self.existing(
                Activity, ids.drop_nulls().unique().to_list(), list(STORED_ACTIVITY)[1:]
            )
            return pl.DataFrame(
                [(ext, *values) for ext, values in found.items()],
                schema=STORED_ACTIVITY,
                orient="row",
            )
        instant, day = _iso_text_sql()
        text = {**STORED_ACTIVITY, "occurred_at": pl.String(), "occurred_on": pl.String()}
        del text["external_id"]
        frame = self.stored_frame(
            Activity, ids, text, sql={"occurred_at": instant, "occurred_on": day}
        )
        return frame.with_columns(_from_iso_text(["occurred_at"], ["occurred_on"]))

    def finish(self) -> None:
        reset_sequences([Activity._meta.db_table])
        if self.deals_latest:
            latest = (
                pl.concat(self.deals_latest)
                .group_by("deal_id")
                .agg(pl.col("latest").max())
                .rename({"deal_id": "id"})
            )
            deal_last_activity_advance(latest)
        deal_last_activity_refresh(sorted(self.deals_touched))
        if self.unknown_deals:
            self.ctx.result.notes.append(
                f"{self.unknown_deals} activities name deals that were not imported from "
                f"{self.ctx.source_key}; they are kept without a deal"
            )


def deal_last_activity_advance(latest: pl.DataFrame) -> None:
    """Move deals' last_activity_at forward to their newest imported activity (columns id,
    latest), as `activity_log` does for one: only where that is later than what is stored."""
    if latest.is_empty():
        return
    quote = connection.ops.quote_name
    deal = quote(Deal._meta.db_table)
    # On PostgreSQL, updating most deals writes a new version of every row with all its index
    # entries: cheaper without the secondary indexes, rebuilt once afterwards. That includes the
    # unique (source, id) index, which the update cannot break (it leaves those columns alone):
    # maintaining it took half the update (1.5-1.7 s instead of 2.8-3.1 s for 200,000 deals),
    # rebuilding it 0.5-0.8 s. The foreign keys stay: no row is checked for them (dropping and
    # re-adding them cost 1-1.5 s); nor is the table analyzed again (0.3-0.6 s): one column
    # that no index holds changed. SQLite updates rows in place and only the indexes holding
    # the changed column (none): there the drop and rebuild was pure cost (5-6 s for 200,000
    # deals).
    # Unless the deals' pages have room for the new versions (a source's first deals file
    # leaves it, `DealLoader.sparse_tables`): then each stays on its page and no index is
    # touched.
    most = (
        connection.vendor == "postgresql"
        and latest.height >= BULK_DEAL_REFRESH
        and latest.height * 2 >= table_rows_estimate(Deal._meta.db_table)
        and not pages_have_room(Deal._meta.db_table)
    )
    columns = f"{_id_key()}, latest {_stamp()}"
    with temporary_table("attain_import_deal_latest", columns) as table:
        frame_insert(table, latest.select("id", "latest"))
        with (
            deferred_indexes([Deal._meta.db_table], unique=True, foreign_keys=False, analyze=False)
            if most
            else nullcontext(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"UPDATE {deal} SET last_activity_at = t.latest FROM {table} t "
                f"WHERE {deal}.id = t.id AND ({deal}.last_activity_at IS NULL "
                f"OR {deal}.last_activity_at < t.latest)"
            )


def _stamp() -> str:
    """The column type Django gives a DateTimeField, for temporary tables."""
    return "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"


def _id_key() -> str:
    """A temporary table's deal id key. On SQLite, INTEGER PRIMARY KEY is the rowid itself
    (BIGINT PRIMARY KEY is a separate index): the update joining 200,000 of them to the deals
    took 0.45 s instead of 1.0-1.1 s."""
    return (
        "id BIGINT PRIMARY KEY" if connection.vendor == "postgresql" else "id INTEGER PRIMARY KEY"
    )


def deal_last_activity_refresh(ids: list[int]) -> None:
    """Set each deal's last_activity_at to its latest activity (or null when it has none).

    Few deals: a correlated MAX per deal. Many (a big activities import): the touched ids go
    into a temporary table and one grouped pass over their activities updates those whose value
    differs; probing a million activities deal by deal took several seconds.
    """
    quote = connection.ops.quote_name
    deal, activity = quote(Deal._meta.db_table), quote(Activity._meta.db_table)
    with connection.cursor() as cursor:
        if len(ids) <= BULK_DEAL_REFRESH:
            for start in range(0, len(ids), LOOKUP_CHUNK):
                chunk = ids[start : start + LOOKUP_CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"UPDATE {deal} SET last_activity_at = (SELECT MAX(a.occurred_at) FROM "
                    f"{activity} a WHERE a.deal_id = {deal}.id) WHERE id IN ({marks})",
                    chunk,
                )
            return
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with temporary_table("attain_import_touched_deals", _id_key()) as touched:
        frame_insert(touched, pl.DataFrame({"id": ids}, schema={"id": pl.Int64}))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {deal} SET last_activity_at = m.latest FROM (SELECT a.deal_id, "
                f"MAX(a.occurred_at) AS latest FROM {activity} a JOIN {touched} t "
                f"ON t.id = a.deal_id GROUP BY a.deal_id) AS m WHERE {deal}.id = m.deal_id "
                f"AND {deal}.last_activity_at {differs} m.latest"
            )
            cursor.execute(
                f"UPDATE {deal} SET last_activity_at = NULL WHERE id IN (SELECT id FROM "
                f"{touched}) AND last_activity_at IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {activity} a WHERE a.deal_id = {deal}.id)"
            )


# ====================================================================== accounts


class AccountLoader(Loader):
    kind = "accounts"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.index = AccountIndex(ctx)

    def load(self, frame: pl.DataFrame) -> None:
        out, errors = self.parsed(frame)
        ids = [v for v in out.get_column("external_id").to_list() if v]
        stored = self.existing(Account, ids, ["id", "name", "industry", "owner_id", "created_at"])
        result = self.ctx.result
        for rec in out.iter_rows(named=True):
            row = rec[ROW]
            problems = list(errors.get(row, ()))
            dup = self.duplicate(row, rec["external_id"] or f"name:{name_key(rec['name'] or '')}")
            if dup:
                problems.append(dup)
            owner_id, err = self.owner(
                row, rec["owner"], self.local(rec["created_at"]), required=False
            )
            if err:
                problems.append(err)
            if problems:
                self.reject(row, problems, rec)
                continue
            name = rec["name"]
            created_at = rec["created_at"] or self.ctx.now
            old = stored.get(rec["external_id"]) if rec["external_id"] else None
            pk = old[0] if old else self.index.by_name.get(name_key(name))
            if pk is None:
                self.index.get(name, created_at)
                pending = self.index.pending[-1]
                self.index.pending[-1] = (
                    pending[0],
                    name,
                    rec["industry"] or "",
                    "",
                    None,
                    owner_id,
                    created_at,
                    rec["external_id"] or "",
                    self.ctx.source_key,
                )
                result.created += 1
                continue
            account = Account.objects.get(pk=pk)
            new = {
                "name": name,
                "industry": rec["industry"] or account.industry,
                "owner_id": owner_id if owner_id is not None else account.owner_id,
            }
            if rec["external_id"] and not account.external_id:
                new.update(external_id=rec["external_id"], source_system=self.ctx.source_key)
            if all(getattr(account, k) == v for k, v in new.items()):
                result.unchanged += 1
                continue
            Account.objects.filter(pk=pk).update(**new)
            self.count(Account, updated=1)
            result.updated += 1
        self.index.flush()

    def finish(self) -> None:
        reset_sequences([Account._meta.db_table])
        self.count(Account, created=self.index.created)


# ====================================================================== leads

_LEAD_STATUS = {
    "new": LeadStatus.NEW,
    "open": LeadStatus.NEW,
    "open - not contacted": LeadStatus.NEW,
    "working": LeadStatus.WORKING,
    "working - contacted": LeadStatus.WORKING,
    "in progress": LeadStatus.WORKING,
    "contacted": LeadStatus.WORKING,
    "attempted to contact": LeadStatus.WORKING,
    "connected": LeadStatus.WORKING,
    "open deal": LeadStatus.WORKING,
    "converted": LeadStatus.CONVERTED,
    "closed - converted": LeadStatus.CONVERTED,
    "qualified": LeadStatus.CONVERTED,
    "disqualified": LeadStatus.DISQUALIFIED,
    "unqualified": LeadStatus.DISQUALIFIED,
    "closed - not converted": LeadStatus.DISQUALIFIED,
    "bad timing": LeadStatus.DISQUALIFIED,
    "archived": LeadStatus.DISQUALIFIED,
}


class LeadLoader(Loader):
    kind = "leads"
    bulk_tables = [Lead._meta.db_table]
    model = Lead

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.next_lead = next_id(Lead._meta.db_table)

    def load(self, frame: pl.DataFrame) -> None:
        out, errors = self.parsed(frame)
        ids = [v for v in out.get_column("external_id").to_list() if v]
        fields = [
            "id",
            "name",
            "company",
            "email",
            "source",
            "owner_id",
            "status",
            "created_at",
            "created_on",
            "converted_at",
        ]
        stored = self.existing(Lead, ids, fields)
        result = self.ctx.result
        inserts: list[tuple[Any, ...]] = []
        for rec in out.iter_rows(named=True):
            row = rec[ROW]
            problems = list(errors.get(row, ()))
            dup = self.duplicate(row, rec["external_id"])
            if dup:
                problems.append(dup)
            created_at = rec["created_at"]
            created_on = rec["created_at__on"]
            owner_id, err = self.owner(row, rec["owner"], created_on, required=False)
            if err:
                problems.append(err)
            status = LeadStatus.NEW
            if rec["status"]:
                found = _LEAD_STATUS.get(name_key(rec["status"]))
                if found is None:
                    problems.append(
                        RowError(
                            row,
                            self.header("status"),
                            rec["status"],
                            "not a lead status (new, working, converted, disqualified)",
                        )
                    )
                else:
                    status = found
            email = (rec["email"] or "").strip()
            if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                problems.append(RowError(row, self.header("email"), email, "not an e-mail"))
            if problems:
                self.reject(row, problems, rec)
                continue
            converted_at = created_at if status == LeadStatus.CONVERTED else None
            values = (
                rec["name"],
                rec["company"] or "",
                email,
                (rec["source"] or "unknown")[:50],
                owner_id,
                status,
                created_at,
            )
            old = stored.get(rec["external_id"])
            if old is None:
                pk = self.next_lead
                self.next_lead += 1
                inserts.append(
                    (
                        pk,
                        rec["name"],
                        rec["company"] or "",
                        email,
                        (rec["source"] or "unknown")[:50],
                        created_at,
                        created_on,
                        owner_id,
                        status,
                        converted_at,
                        None,
                        rec["external_id"],
                        self.ctx.source_key,
                    )
                )
                result.created += 1
                if owner_id is not None:
                    self.ctx.touched.add((owner_id, created_on))
                continue
            pk, *before = old
            if tuple(before[:7]) == values:
                result.unchanged += 1
                continue
            keep_converted = (
                before[8] if status == LeadStatus.CONVERTED and before[8] else (converted_at)
            )
            Lead.objects.filter(pk=pk).update(
                name=values[0],
                company=values[1],
                email=values[2],
                source=values[3],
                owner_id=owner_id,
                status=status,
                created_at=created_at,
                created_on=created_on,
                converted_at=keep_converted,
            )
            for person, day in ((before[4], before[7]), (owner_id, created_on)):
                if person is not None and day is not None:
                    self.ctx.touched.add((person, day))
            self.count(Lead, updated=1)
            result.updated += 1
        if inserts:
            bulk_insert(Lead._meta.db_table, LEAD_COLUMNS, inserts)
            self.count(Lead, created=len(inserts))

    def finish(self) -> None:
        reset_sequences([Lead._meta.db_table])


# ====================================================================== people

_ROLES = (
    {name_key(label): value for value, label in Role.choices}
    | {v: v for v in Role.values}
    | {
        "sales rep": Role.REP,
        "account executive": Role.REP,
        "ae": Role.REP,
        "sdr": Role.REP,
        "sales manager": Role.MANAGER,
        "admin": Role.ADMIN,
    }
)


class PersonLoader(Loader):
    kind = "people"

    def load(self, frame: pl.DataFrame) -> None:
        from attain.core.errors import ValidationFailed
        from attain.org.services import person_create, person_update

        out, errors = self.parsed(frame)
        result = self.ctx.result
        for rec in out.iter_rows(named=True):
            row = rec[ROW]
            problems = list(errors.get(row, ()))
            email = (rec["email"] or "").strip().lower()
            dup = self.duplicate(row, email)
            if dup:
                problems.append(RowError(row, self.header("email"), email, dup.reason))
            role = None
            if rec["role"]:
                role = _ROLES.get(name_key(rec["role"]))
                if role is None:
                    problems.append(
                        RowError(
                            row,
                            self.header("role"),
                            rec["role"],
                            f"not a role ({', '.join(Role.values)})",
                        )
                    )
            if problems:
                self.reject(row, problems, rec)
                continue
            person = Person.objects.filter(email__iexact=email).first()
            try:
                if person is None:
                    hire = rec["hire_date"] or self.ctx.now.astimezone(self.ctx.tz).date()
                    person = person_create(
                        actor=self.ctx.actor,
                        full_name=rec["full_name"],
                        email=email,
                        hire_date=hire,
                        role=role or Role.REP,
                        title=rec["title"] or "",
                    )
                    if rec["external_id"]:
                        Person.objects.filter(pk=person.pk).update(external_id=rec["external_id"])
                    self.ctx.people.add(person.pk, person.email, person.full_name)
                    result.created += 1
                    continue
                new: dict[str, Any] = {"full_name": rec["full_name"]}
                if role:
                    new["role"] = role
                if rec["title"]:
                    new["title"] = rec["title"]
                if rec["hire_date"]:
                    new["hire_date"] = rec["hire_date"]
                if all(getattr(person, k) == v for k, v in new.items()):
                    result.unchanged += 1
                    continue
                person_update(actor=self.ctx.actor, person=person, **new)
                result.updated += 1
            except ValidationFailed as exc:
                self.reject(
                    row,
                    [
                        RowError(
                            row,
                            self.header(k) if k in self.plan.positions else k,
                            str(rec.get(k) or ""),
                            v,
                        )
                        for k, v in exc.problems.items()
                    ],
                    rec,
                )


# ====================================================================== targets


class TargetLoader(Loader):
    kind = "targets"

    def load(self, frame: pl.DataFrame) -> None:
        from attain.core.errors import AttainError, ValidationFailed
        from attain.metrics.engine.subjects import Subject
        from attain.metrics.models import SubjectKind, Target
        from attain.metrics.services import target_set
        from attain.org.models import Team
        from attain.org.selectors import period_parse

        out, errors = self.parsed(frame)
        result = self.ctx.result
        teams = {name_key(n): pk for pk, n in Team.objects.values_list("id", "name")}
        for rec in out.iter_rows(named=True):
            row = rec[ROW]
            problems = list(errors.get(row, ()))
            subject: Subject | None = None
            text = (rec["subject"] or "").strip()
            if text:
                if name_key(text) in ("company", "the company", "all"):
                    subject = Subject.company()
                elif name_key(text) in teams:
                    team = Team.objects.get(pk=teams[name_key(text)])
                    subject = Subject(
                        kind="team",
                        label=team.name,
                        spec=f"team:{team.name}",
                        team_id=team.pk,
                        team_path=team.path,
                    )
                else:
                    pk, reason = self.ctx.people.match(text.removeprefix("person:"))
                    if pk is None:
                        problems.append(
                            RowError(
                                row,
                                self.header("subject"),
                                text,
                                f"{reason}, and no team has this name",
                            )
                        )
                    else:
                        subject = Subject.for_person(Person.objects.get(pk=pk))
            period = None
            if rec["period"]:
                try:
                    period = period_parse(rec["period"], org=self.ctx.org)
                except (AttainError, ValueError) as exc:
                    problems.append(RowError(row, self.header("period"), rec["period"], str(exc)))
            dup = self.duplicate(
                row,
                f"{rec['kpi']}|{subject.spec if subject else text}|"
                f"{period.start if period else rec['period']}",
            )
            if dup:
                problems.append(dup)
            if problems:
                self.reject(row, problems, rec)
                continue
            assert subject is not None and period is not None
            value = _decimal(rec["value"])
            kind = SubjectKind(subject.kind)
            current = (
                Target.objects.filter(
                    kpi=rec["kpi"],
                    subject_kind=kind,
                    person_id=subject.person_id if kind is SubjectKind.PERSON else None,  # type: ignore[misc]
                    team_id=subject.team_id if kind is SubjectKind.TEAM else None,
                    period_start=period.start,
                    period_end=period.end,
                )
                .values_list("value", flat=True)
                .first()
            )
            if current is not None and current == quantize_money(value):
                result.unchanged += 1
                continue
            try:
                target_set(
                    actor=self.ctx.actor,
                    kpi=rec["kpi"],
                    subject=subject,
                    period=period,
                    value=quantize_money(value),
                )
            except ValidationFailed as exc:
                self.reject(
                    row,
                    [
                        RowError(
                            row,
                            self.header(k) if k in self.plan.positions else k,
                            str(rec.get(k) or ""),
                            v,
                        )
                        for k, v in exc.problems.items()
                    ],
                    rec,
                )
                continue
            if current is None:
                result.created += 1
            else:
                result.updated += 1


LOADERS: dict[str, type[Loader]] = {
    "deals": DealLoader,
    "activities": ActivityLoader,
    "accounts": AccountLoader,
    "leads": LeadLoader,
    "people": PersonLoader,
    "targets": TargetLoader,
}

__all__ = ["LOADERS", "Context", "Loader"]
