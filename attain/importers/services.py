"""Writes for imports: run an import (all or nothing, or without the bad rows) and record it.

`import_run` reads the file in batches, validates every row, upserts the good ones by (source
system, external id) inside one transaction and keeps the rollups exact. A dry run does the same
work and rolls it back, so its counts are the real ones. A real import is recorded as an ImportRun
with its issues and an audit entry per table it wrote.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from django.db import DatabaseError, transaction
from django.utils import timezone

from attain.audit.services import Action, Actor, audit_bulk, audit_log, created_changes
from attain.core.bulk import (
    deferred_indexes,
    foreign_keys_checked_once,
    pages_with_room,
    table_rows_estimate,
)
from attain.core.errors import ValidationFailed
from attain.importers.loaders import BYTES_PER_ROW, LOADERS, Context
from attain.importers.models import ImportIssue, ImportRun, ImportStatus
from attain.importers.reading import Unreadable, table_open
from attain.importers.results import ImportResult, RowError
from attain.importers.selectors import column_plan
from attain.importers.sources import FIELDS, SOURCES
from attain.metrics.engine.rollup_bulk import rollup_add, rollup_recompute, rollup_recompute_facts
from attain.metrics.engine.rollups import rollup_refresh
from attain.org.models import Organisation
from attain.org.selectors import org_time_zone

# Files this big load with deferred secondary indexes and, on SQLite, foreign keys checked once
# before commit instead of row by row (about 100,000 rows of a CRM export).
BIG_FILE_BYTES = 10 * 1024 * 1024
# Defer index maintenance only when the table holds at most this many times the file's rows.
DEFER_SHARE = 4
# Above this many touched person-days a bulk recompute beats refreshing each one.
REFRESH_LIMIT = 2_000


class _Rollback(Exception):
    """Raised inside the import transaction to undo a dry run or a rejected import."""


def import_run(
    *,
    actor: Actor,
    kind: str,
    path: Path,
    source: str = "auto",
    mapping: dict[str, str] | None = None,
    stage_mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    create_missing_people: bool = False,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one file of `kind`; see docs/import.md for the rules.

    Without `skip_bad_rows` any rejected row undoes the whole import; with it the good rows are
    kept and the rejected ones are written, with their reasons, to `<file>.rejected.csv`.
    """
    started = time.perf_counter()
    started_at = timezone.now()
    path = Path(path)
    problems: dict[str, str] = {}
    if kind not in FIELDS:
        problems["kind"] = f"{kind!r} is not one of {', '.join(FIELDS)}"
    if source != "auto" and source not in SOURCES:
        problems["source"] = f"{source!r} is not one of auto, {', '.join(SOURCES)}"
    if problems:
        raise ValidationFailed(problems)
    result = ImportResult(kind=kind, source=source, dry_run=dry_run, file_name=path.name)
    size = 0
    headers: list[str] = []
    try:
        mark = time.perf_counter()
        result.file_sha256, size = _digest(path)
        result.step("file hash", mark)
        org = Organisation.objects.filter(singleton=True).first()
        if org is None:
            raise Unreadable("the organisation is not configured yet; set it up before importing")
        with table_open(path, sheet=sheet) as table:
            headers = table.headers
            plan = column_plan(kind=kind, headers=table.headers, source=source, mapping=mapping)
            result.source = plan.source
            result.mapping = plan.mapping
            if plan.problems:
                for problem in plan.problems:
                    result.add_error(problem)
                raise Unreadable("the columns do not match; see the errors")
            ctx = Context(
                org=org,
                tz=org_time_zone(org),
                source=SOURCES[plan.source],
                actor=actor,
                result=result,
                plan=plan,
                create_missing_people=create_missing_people,
                stage_mapping=dict(stage_mapping or {}),
            )
            # Outside the transaction: SQLite only switches foreign keys off between transactions.
            big = _big(LOADERS[kind].bulk_tables, size)
            try:
                with foreign_keys_checked_once(enabled=big) as check_foreign_keys:
                    with transaction.atomic():
                        _load(ctx, table, progress)
                        if dry_run or (result.rejected and not skip_bad_rows):
                            raise _Rollback
                        mark = time.perf_counter()
                        if check_foreign_keys():
                            mark = result.step("check foreign keys", mark)
                        result.committed = True
                    result.step("commit", mark)
            except _Rollback:
                if not dry_run:
                    # Rejected real import: nothing was written, so nothing was created.
                    result.notes.append(
                        f"nothing was written; without the rejected rows {result.created} "
                        f"would have been created, {result.updated} updated and "
                        f"{result.unchanged} unchanged"
                    )
                    result.created = result.updated = result.unchanged = 0
            if skip_bad_rows and ctx.rejected_rows and not dry_run:
                result.rejected_file = _write_rejected(path, headers, ctx.rejected_rows)
    except Unreadable as exc:
        result.unreadable = True
        if str(exc) != "the columns do not match; see the errors":
            result.add_error(RowError(0, "", "", str(exc)))
    except DatabaseError as exc:
        result.unreadable = True
        result.committed = False
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        result.add_error(RowError(0, "", "", f"the database refused the import: {first}"))
    result.seconds = time.perf_counter() - started
    mark = time.perf_counter()
    if not dry_run:
        result.run_id = _record(
            result, actor=actor, started_at=started_at, size=size, skip_bad_rows=skip_bad_rows
        )
        mark = result.step("record the run", mark)
    if result.committed:
        result.quality = _quality(result.run_id)
        result.step("quality report", mark)
    return result


def _load(ctx: Context, table: Any, progress: Callable[[int], None] | None) -> None:
    result = ctx.result
    mark = time.perf_counter()
    loader = LOADERS[ctx.plan.kind](ctx)
    loader.prepare(table)
    done = 0
    big, first = _defer(loader, table.path.stat().st_size)
    with ExitStack() as deferral:
        # A source's first rows are all written: the indexes go from the start. A re-import
        # keeps them until its writes make a rebuild worth it (`_worth_deferring`): an
        # unchanged file writes nothing, and rebuilding the indexes of a million activities
        # for it cost 4-6 s.
        deferred = big and first
        if deferred:
            # Primary keys too, but not for generic files: their `attain-<pk>` ids update
            # Attain's own records by key, which without the key's index would scan the table.
            keys = ctx.source_key != "generic"
            if loader.sparse_tables:
                deferral.enter_context(pages_with_room(loader.sparse_tables))
            deferral.enter_context(
                deferred_indexes(loader.bulk_tables, unique=True, primary_keys=keys)
            )
        stored = _stored_rows(loader.bulk_tables) if big and not first else 0
        for frame in table.batches():
            already = len(ctx.rejected_rows)
            before = result.created + result.updated
            loader.load(frame)
            if len(ctx.rejected_rows) > already:
                _fill_rejected_cells(ctx.rejected_rows, already, frame, len(ctx.plan.headers))
            done += frame.height
            ctx.result.rows = done
            if progress is not None:
                progress(done)
            written = result.created + result.updated
            if (
                big
                and not deferred
                and _worth_deferring(written - before, frame.height, written, stored)
            ):
                deferral.enter_context(deferred_indexes(loader.bulk_tables))
                deferred = True
        mark = result.step("read and write rows", mark)
    mark = result.step("rebuild deferred indexes", mark)
    loader.finish()
    mark = result.step("finish (sequences, deal dates)", mark)
    # The person-days of a first big deals file get room too: its activities add to them.
    _rollups(ctx, loader.facts, room=bool(big and first and loader.sparse_tables))
    mark = result.step("rollups", mark)
    for model, (created, updated) in ctx.counts.items():
        for action, rows in ((Action.CREATE, created), (Action.UPDATE, updated)):
            if rows:
                audit_bulk(
                    actor=ctx.actor,
                    model=model,
                    action=action,
                    rows=rows,
                    note=f"import of {ctx.result.file_name} ({ctx.source_key})",
                    details={"sha256": ctx.result.file_sha256, "kind": ctx.plan.kind},
                )
    result.step("audit", mark)


def _defer(loader: Any, size: int) -> tuple[bool, bool]:
    """Whether building the loader's indexes once at the end instead of row by row may pay,
    and whether this is the source's first import (then from the start, unique indexes and
    primary keys too).

    Worth it for a big file that is a good share of its table: rebuilding the indexes of a
    table twenty times the file's size would cost more than it saves. Unique indexes only when
    the table holds no record of this source yet: the loader then rules out duplicate ids
    itself (it checks the file's ids against each other), and needs no index to find stored
    ones.
    """
    if not _big(loader.bulk_tables, size):
        return False, False
    model = loader.model
    return True, model is not None and not loader.source_has_rows(model)


def _worth_deferring(batch_written: int, batch_rows: int, written: int, stored: int) -> bool:
    """Whether a re-import has written enough for the rest of its rows to go in without
    indexes, rebuilt once at the end: a batch mostly written (new rows, so the file likely
    holds more) or, over the batches, rows amounting to a good share of the table."""
    if not written:
        return False
    return batch_written * 2 >= batch_rows or written * DEFER_SHARE >= stored


def _stored_rows(tables: list[str]) -> int:
    return max((table_rows_estimate(t) for t in tables), default=0)


def _big(tables: list[str], size: int) -> bool:
    """A big file for these tables: big in bytes and a good share of the largest table (so
    work done once over the whole table, an index rebuild or a foreign-key check, costs less
    than doing it row by row)."""
    if not tables or size < BIG_FILE_BYTES:
        return False
    return _stored_rows(tables) <= DEFER_SHARE * (size // BYTES_PER_ROW)


def _fill_rejected_cells(
    rejected: list[tuple[int, list[str | None], str]], start: int, frame: Any, width: int
) -> None:
    """Every cell of the rows rejected in this batch, for the rejected-rows CSV."""
    import polars as pl

    from attain.importers.reading import ROW

    wanted = [row for row, _, _ in rejected[start:]]
    columns = [f"c{i}" for i in range(width)]
    cells = {
        record[0]: list(record[1:])
        for record in frame.filter(pl.col(ROW).is_in(wanted)).select(ROW, *columns).iter_rows()
    }
    for index in range(start, len(rejected)):
        row, _, reason = rejected[index]
        rejected[index] = (row, cells.get(row, []), reason)


def _rollups(ctx: Context, facts: frozenset[str] | None, *, room: bool = False) -> None:
    """Keep the rollups exact after an import: add the increments of the rows written as frames
    (new activities), then refresh the person-days the other rows touched: one by one when they
    are few, else the touched people's days between the first and last touched day in bulk,
    only the loader's `facts` when it names them (an activities file changes no deal fact).

    Increments first: a refresh reads the raw rows, new ones included, so it corrects
    whatever it covers and must come last."""
    if ctx.increments:
        rollup_add(pl.concat(ctx.increments))
    touched = ctx.touched
    if not touched:
        return
    if len(touched) > REFRESH_LIMIT:
        touched_days = [day for _, day in touched]
        start, end = min(touched_days), max(touched_days) + timedelta(days=1)
        person_ids = sorted({person_id for person_id, _ in touched})
        if facts is None:
            rollup_recompute(start=start, end=end, person_ids=person_ids, room=room)
        else:
            rollup_recompute_facts(start=start, end=end, person_ids=person_ids, facts=facts)
        return
    days: dict[int, set[date]] = defaultdict(set)
    for person_id, day in touched:
        days[person_id].add(day)
    for person_id, person_days in sorted(days.items()):
        rollup_refresh(person_id=person_id, days=person_days)


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise Unreadable(f"cannot open {path}: {exc.strerror or exc}") from None
    return digest.hexdigest(), size


def _write_rejected(
    path: Path, headers: list[str], rows: list[tuple[int, list[str | None], str]]
) -> Path:
    """`<file>.rejected.csv` beside the input: the row number, the reasons, then the cells."""
    target = path.with_name(path.name + ".rejected.csv")
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "reason", *headers])
        for row, cells, reason in sorted(rows, key=lambda r: r[0]):
            writer.writerow([row, reason, *("" if c is None else c for c in cells)])
    return target


def _quality(run_id: int | None) -> dict[str, Any] | None:
    """The data-quality report on what the run wrote (the quality app's selector)."""
    from attain.quality.selectors import quality_report

    return quality_report(since_run_id=run_id).as_dict()


@transaction.atomic
def _record(
    result: ImportResult, *, actor: Actor, started_at: Any, size: int, skip_bad_rows: bool
) -> int:
    if result.unreadable:
        status = ImportStatus.UNREADABLE
    elif result.committed:
        status = ImportStatus.PARTIAL if result.rejected else ImportStatus.COMMITTED
    else:
        status = ImportStatus.REJECTED
    run = ImportRun.objects.create(
        kind=result.kind,
        source=result.source,
        status=status,
        actor=actor if actor is not None and actor.pk else None,
        started_at=started_at,
        seconds=Decimal(str(round(result.seconds, 3))),
        file_name=result.file_name[:255],
        file_sha256=result.file_sha256,
        file_bytes=size,
        rows=result.rows,
        created=result.created if result.committed else 0,
        updated=result.updated if result.committed else 0,
        unchanged=result.unchanged if result.committed else 0,
        rejected=result.rejected,
        skip_bad_rows=skip_bad_rows,
        notes=result.notes,
        mapping=result.mapping,
    )
    ImportIssue.objects.bulk_create(
        (
            ImportIssue(
                run=run,
                row=e.row,
                column=e.column[:255],
                value=e.value[:255],
                reason=e.reason[:500],
            )
            for e in result.errors
        ),
        batch_size=1000,
    )
    audit_log(actor=actor, instance=run, action=Action.CREATE, changes=created_changes(run))
    return run.pk
