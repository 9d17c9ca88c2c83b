"""Fast inserts for big tables: PostgreSQL COPY, SQLite batched executemany, one interface.

The ORM builds a model instance per row and cannot stream; loading millions of demo or imported
rows that way takes hours. Callers here hand over plain tuples whose primary keys they assigned
themselves (`next_id`), so related rows can point at each other without a round trip, and call
`reset_sequences` afterwards so the database's own id generator continues after them.

Everything must run inside `transaction.atomic()`: a failed load leaves nothing behind.
Values are the Python values a model field holds (aware datetimes, dates, Decimals, str, int,
None); they are written exactly as the ORM would store them on each backend.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = [
    "ForeignKeyViolation",
    "bulk_insert",
    "deferred_indexes",
    "foreign_keys_checked_once",
    "next_id",
    "page_fill",
    "pages_have_room",
    "pages_with_room",
    "reset_sequences",
    "table_rows_estimate",
    "temporary_table",
]


def _connection(using: str) -> BaseDatabaseWrapper:
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError(
            "bulk loads must run inside transaction.atomic() so that a failure writes nothing"
        )
    connection.ensure_connection()
    return connection


def _datetime_columns(table: str, columns: Sequence[str]) -> list[int]:
    """Positions of DateTimeField columns of the model stored in `table` (none if unknown)."""
    model = next((m for m in apps.get_models() if m._meta.db_table == table), None)
    if model is None:
        return []
    kinds: dict[str, models.Field[Any, Any]] = {
        f.column: f for f in model._meta.concrete_fields if f.column is not None
    }
    return [
        index
        for index, name in enumerate(columns)
        if isinstance(kinds.get(name), models.DateTimeField)
    ]


def _sqlite_datetime(value: Any) -> Any:
    """Django's SQLite text form of an aware datetime: naive UTC, ISO with a space.

    sqlite3's own adapter would keep the "+00:00" offset, which the ORM never writes and which
    breaks the text comparisons SQLite uses for datetime lookups.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}; bulk rows need aware datetimes")
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def bulk_insert(
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    batch_size: int = 10_000,
    using: str = "default",
) -> int:
    """Insert rows into `table` and return how many; COPY on PostgreSQL, executemany on SQLite.

    `rows` may be a generator and is consumed once, so memory stays flat; it must not touch the
    database itself (a COPY holds the connection until it ends).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    connection = _connection(using)
    # Raw driver calls, so wrap errors the way Django's cursors do (IntegrityError etc.).
    with connection.wrap_database_errors:
        return _insert(connection, table, columns, rows, batch_size)


def _insert(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    batch_size: int,
) -> int:
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    count = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            types = _pg_column_types(cursor, quote(table), columns)
            raw = cursor.cursor
            sql = f"COPY {quote(table)} ({column_list}) FROM STDIN (FORMAT BINARY)"
            with raw.copy(sql) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    if connection.vendor != "sqlite":
        raise NotImplementedError(
            f"bulk_insert supports PostgreSQL and SQLite, not {connection.vendor}"
        )
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})"
    stamp_columns = _datetime_columns(table, columns)
    raw_connection = connection.connection
    assert raw_connection is not None
    cursor = raw_connection.cursor()
    try:
        iterator: Iterator[tuple[Any, ...]] = iter(rows)
        while batch := list(islice(iterator, batch_size)):
            if stamp_columns:
                batch = [_adapt_row(row, stamp_columns) for row in batch]
            cursor.executemany(sql, batch)
            count += len(batch)
    finally:
        cursor.close()
    return count


def _pg_column_types(cursor: Any, table: str, columns: Sequence[str]) -> list[int]:
    """Type OIDs of the columns of a (quoted) table, for binary COPY.

    Binary COPY is 3-4x faster than text here: the server does not parse dates and numbers.
    """
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = to_regclass(%s) "
        "AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    oids = dict(cursor.fetchall())
    missing = [c for c in columns if c not in oids]
    if missing:
        raise ValueError(f"{table} has no column(s) {', '.join(missing)}")
    return [int(oids[c]) for c in columns]


def _adapt_row(row: tuple[Any, ...], stamp_columns: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for index in stamp_columns:
        values[index] = _sqlite_datetime(values[index])
    return tuple(values)


def next_id(table: str, *, using: str = "default") -> int:
    """The first free primary key of `table` (max(id) + 1), for ids assigned in Python."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(table)}")
        row = cursor.fetchone()
    return int(row[0])


def reset_sequences(tables: Iterable[str], *, using: str = "default") -> None:
    """Point each table's id generator just past its largest id (or back to 1 when empty).

    Needed on PostgreSQL after inserting explicit ids, or the next ORM insert collides. SQLite's
    AUTOINCREMENT already advances past explicit ids; there this only lowers the high-water mark
    of emptied tables, so a reloaded demo gets the same ids as the first load.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), "
                    f"MAX(id) IS NOT NULL) FROM {quote(table)}",
                    [quote(table)],
                )
            elif connection.vendor == "sqlite":
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = "
                    f"(SELECT COALESCE(MAX(id), 0) FROM {quote(table)}) WHERE name = %s",
                    [table],
                )


def _run_pending_checks(cursor: Any) -> None:
    """Run PostgreSQL's queued deferred constraint checks now, then defer again: a table with
    pending trigger events refuses ALTER TABLE and CREATE INDEX."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def deferred_indexes(
    tables: Sequence[str],
    *,
    unique: bool = False,
    unique_constraints: bool = False,
    primary_keys: bool = False,
    foreign_keys: bool = True,
    analyze: bool = True,
    using: str = "default",
) -> Iterator[None]:
    """Drop the tables' secondary indexes (and, on PostgreSQL, foreign keys); rebuild on exit.

    Building an index once over sorted data is far cheaper than maintaining it row by row, and
    PostgreSQL would otherwise queue one deferred foreign-key check per row and run them all at
    commit (tens of millions of single-row lookups at the large demo size). Re-adding a foreign
    key validates the whole table in one join, so no check is lost. Unique indexes and primary
    keys stay, so constraints still hold during the load, unless `unique` is set: then unique
    indexes (not primary keys, not unique constraints) are dropped too and rebuilt at the end,
    which fails the whole load if it wrote a duplicate. Inserting a million rows into a unique
    index on text ids costs three times the rest of the insert; only callers that rule out
    duplicates themselves ask for it (an import of a source's first rows checks the ids within
    its file). Inside the caller's transaction: on failure the rollback restores everything;
    until commit the tables are locked against other writers, and on PostgreSQL (DROP INDEX takes
    an exclusive lock) against readers too, so a page that reads them waits for the load. Runs
    ANALYZE afterwards on PostgreSQL so the planner sees the new rows. Without `foreign_keys`
    the foreign keys stay: right for an UPDATE that leaves the key columns alone, which
    PostgreSQL checks no row of, so dropping and validating them again would be pure cost.
    Without `analyze` the statistics are left to autovacuum: right for an UPDATE of one column
    that no index holds and no plan filters on (CREATE INDEX counts the rows anyway). With
    `unique_constraints` (PostgreSQL; SQLite's are unique indexes, see `unique`) the tables'
    unique constraints that no foreign key references are dropped and added back too: for an
    UPDATE that leaves their columns alone, maintaining them row by row costs more than
    building them once. With `primary_keys` (PostgreSQL; a SQLite rowid table is its key) a
    primary key that no foreign key references is dropped and added back too: for a COPY of
    rows whose ids the caller assigned from the sequence, maintaining it took ~1.9 of ~5.7 s
    for a million activities and building it 0.6 s; adding it back fails the load on a
    duplicate id, as the insert would have.
    """
    connection = _connection(using)
    quote = connection.ops.quote_name
    restore: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Pending deferred checks from earlier writes would block the ALTER TABLEs below.
            _run_pending_checks(cursor)
            keys: list[str] = []
            for table in tables:
                if primary_keys:
                    cursor.execute(
                        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                        "WHERE c.conrelid = to_regclass(%s) AND c.contype = 'p' AND NOT EXISTS "
                        "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                        "AND f.confrelid = c.conrelid)",
                        [quote(table)],
                    )
                    for name, definition in cursor.fetchall():
                        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                        add = f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)}"
                        restore.insert(0, f"{add} {definition}")
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = to_regclass(%s) AND NOT x.indisprimary "
                    "AND (%s OR NOT x.indisunique) AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) ORDER BY i.relname",
                    [quote(table), unique],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {quote(name)}")
                    restore.append(definition)
                if unique_constraints:
                    cursor.execute(
                        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                        "WHERE c.conrelid = to_regclass(%s) AND c.contype = 'u' AND NOT EXISTS "
                        "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                        "AND f.conindid = c.conindid) ORDER BY c.conname",
                        [quote(table)],
                    )
                    for name, definition in cursor.fetchall():
                        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                        restore.append(
                            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                        )
                if not foreign_keys:
                    continue
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
                    [quote(table)],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    keys.append(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
            restore.extend(keys)
        elif connection.vendor == "sqlite":
            for table in tables:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND (%s OR sql NOT LIKE 'CREATE UNIQUE%%') ORDER BY name",
                    [table, unique],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {quote(name)}")
                    restore.append(definition)
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Checks the load queued (kept foreign keys on rows this transaction wrote earlier)
            # would block CREATE INDEX: run them now.
            _run_pending_checks(cursor)
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in restore:
            cursor.execute(statement)
        if connection.vendor == "postgresql" and analyze:
            for table in tables:
                cursor.execute(f"ANALYZE {quote(table)}")


@contextmanager
def planner_settings(
    settings: Sequence[tuple[str, str]], *, restore: bool = True, using: str = "default"
) -> Iterator[None]:
    """On PostgreSQL, these planner settings (name, value) for the statements inside; SQLite:
    no effect. They are transaction-local, so this runs inside a transaction. With `restore`
    the values found are put back when the block ends; without, the caller's transaction ends
    right after it (its commit ends the settings: one statement instead of two). An error
    inside leaves them to the rollback that follows, which undoes them (a statement sent to
    PostgreSQL after the error would fail and hide it)."""
    conn = _connection(using)
    if conn.vendor != "postgresql":
        yield
        return
    if not conn.in_atomic_block:
        raise RuntimeError("planner_settings must run inside transaction.atomic()")
    names = [name for name, _ in settings]
    assignments = ", ".join("set_config(%s, %s, true)" for _ in names)
    pairs = [part for setting in settings for part in setting]
    with conn.cursor() as cursor:
        if not restore:
            cursor.execute(f"SELECT {assignments}", pairs)
            yield
            return
        cursor.execute(
            "SELECT " + ", ".join("current_setting(%s)" for _ in names) + f", {assignments}",
            [*names, *pairs],
        )
        row = cursor.fetchone()
        previous = list(row[: len(names)]) if row is not None else []
        yield
        cursor.execute(
            f"SELECT {assignments}",
            [part for pair in zip(names, previous, strict=True) for part in pair],
        )


def table_rows_estimate(table: str, *, using: str = "default") -> int:
    """Roughly how many rows a table holds, without counting them: PostgreSQL's statistics
    (the planner's count or the live rows the statistics collector saw committed, whichever is
    larger), SQLite's highest id."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT GREATEST(c.reltuples, COALESCE(s.n_live_tup, 0), 0)::bigint "
                "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
                "WHERE c.oid = to_regclass(%s)",
                [quote(table)],
            )
        else:
            cursor.execute(f"SELECT MAX(rowid) FROM {quote(table)}")
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


@contextmanager
def pages_with_room(
    tables: Sequence[str], *, fillfactor: int = 50, using: str = "default"
) -> Iterator[None]:
    """On PostgreSQL, rows inserted inside leave each table page this full (percent), the
    table's own setting restored on exit; SQLite: no effect.

    For a big load whose rows a later statement will update nearly all (an import's deals,
    whose last activity the activities file sets): with room on its page, each new row version
    stays there and no index entry is written (a HOT update). 200,000 deals: 2.3 s instead of
    13.9 s with their eight indexes kept, or ~9.5 s dropping and rebuilding them. The pages hold
    about twice as many bytes until then; afterwards, as many as any full update leaves (the old
    versions stay until a VACUUM). Inside the caller's transaction, so a rollback undoes it."""
    connection = _connection(using)
    if connection.vendor != "postgresql" or not tables:
        yield
        return
    quote = connection.ops.quote_name
    restore: list[str] = []
    with connection.cursor() as cursor:
        # Pending deferred checks from earlier writes would block the ALTER TABLEs below.
        _run_pending_checks(cursor)
        for table in tables:
            cursor.execute(
                "SELECT option_value FROM pg_options_to_table("
                "(SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s))) "
                "WHERE option_name = 'fillfactor'",
                [quote(table)],
            )
            found = cursor.fetchone()
            cursor.execute(f"ALTER TABLE {quote(table)} SET (fillfactor = {int(fillfactor)})")
            restore.append(
                f"ALTER TABLE {quote(table)} SET (fillfactor = {int(found[0])})"
                if found
                else f"ALTER TABLE {quote(table)} RESET (fillfactor)"
            )
    yield
    with connection.cursor() as cursor:
        # And so would the checks the load queued (foreign keys kept): run them.
        _run_pending_checks(cursor)
        for statement in restore:
            cursor.execute(statement)


def page_fill(table: str, *, using: str = "default") -> float | None:
    """How full a PostgreSQL table's pages are (0-1, estimated from its statistics: rows times
    their average width over the pages), or None when unknown (SQLite, never analyzed)."""
    connection = _connection(using)
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relpages, c.reltuples, (SELECT SUM(s.avg_width) FROM pg_stats s "
            "WHERE s.schemaname = n.nspname AND s.tablename = c.relname) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass(%s)",
            [connection.ops.quote_name(table)],
        )
        row = cursor.fetchone()
    if not row or not row[0] or row[1] is None or row[1] <= 0 or row[2] is None:
        return None
    pages, rows, width = row
    # 24-byte row header and 4-byte line pointer per row; 8,168 usable bytes per 8 kB page.
    return float(rows) * (28 + float(width)) / (float(pages) * 8168)


# A table whose pages are at most this full (estimated) takes a full update of a column no
# index holds as HOT updates: a page left half free fits a new version of each of its rows.
ROOMY_PAGES = 0.6


def pages_have_room(table: str, *, using: str = "default") -> bool:
    """Whether updating nearly every row of `table` can keep each new version on its page
    (PostgreSQL, pages written by `pages_with_room`); False when unknown or on SQLite."""
    fill = page_fill(table, using=using)
    return fill is not None and fill <= ROOMY_PAGES


@contextmanager
def temporary_table(name: str, columns: str, *, using: str = "default") -> Iterator[str]:
    """A temporary table (`columns` as SQL) for a set-based statement; dropped on exit, error or
    not, and also first, in case an earlier statement of the transaction left one behind."""
    connection = _connection(using)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


class ForeignKeyViolation(IntegrityError):
    """A row written while per-row foreign-key checks were off points at a missing row."""


class _Writes:
    """SQLite authorizer that notes which tables (and updated columns) statements write.

    Called when a statement is prepared, not per row, so it costs nothing during a load.
    """

    def __init__(self) -> None:
        self.inserted: set[str] = set()
        self.updated: set[tuple[str, str]] = set()
        self.deleted: set[str] = set()

    def __call__(
        self, action: int, table: str | None, column: str | None, database: str | None, _: Any
    ) -> int:
        if database == "main" and table and not table.startswith("sqlite_"):
            if action == sqlite3.SQLITE_INSERT:
                self.inserted.add(table)
            elif action == sqlite3.SQLITE_UPDATE and column:
                self.updated.add((table, column))
            elif action == sqlite3.SQLITE_DELETE:
                self.deleted.add(table)
        return sqlite3.SQLITE_OK

    def tables_to_check(self, cursor: Any) -> list[str]:
        """Tables whose rows may now point at nothing: those written into, those whose
        foreign-key column was updated, and the children of a table deleted from or whose
        referenced key was updated (what SQLite would have checked row by row)."""
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        check = set(self.inserted)
        for (child,) in cursor.fetchall():
            cursor.execute('SELECT "table", "from", "to" FROM pragma_foreign_key_list(%s)', [child])
            for parent, column, key in cursor.fetchall():
                if (
                    (child, column) in self.updated
                    or parent in self.deleted
                    or (parent, key or "id") in self.updated
                ):
                    check.add(child)
        return sorted(check)


def _check_foreign_keys(connection: BaseDatabaseWrapper, cursor: Any, table: str) -> None:
    """Raise ForeignKeyViolation for a row of `table` whose foreign key points at nothing.

    One anti-join per key instead of `PRAGMA foreign_key_check`, which looks up the parent of
    each row in the table's order: for a million activities pointing at random deals that was
    3-4.5 s, the anti-joins (over the key columns' indexes) about 0.5 s. Keys SQLite declares
    without a target column or over several columns (Django makes neither) use the pragma,
    through Django's `check_constraints`.
    """
    quote = connection.ops.quote_name
    cursor.execute('SELECT "table", "from", "to", seq FROM pragma_foreign_key_list(%s)', [table])
    keys = cursor.fetchall()
    if any(key is None or seq for _, _, key, seq in keys):
        try:
            connection.check_constraints(table_names=[table])
        except IntegrityError as exc:
            raise ForeignKeyViolation(f"{_VIOLATION}: {exc}") from exc
        return
    for parent, column, key, _ in keys:
        cursor.execute(
            f"SELECT rowid, {quote(column)} FROM {quote(table)} WHERE {quote(column)} IS NOT NULL "
            f"AND {quote(column)} NOT IN (SELECT {quote(key)} FROM {quote(parent)} "
            f"WHERE {quote(key)} IS NOT NULL) LIMIT 1"
        )
        row = cursor.fetchone()
        if row is not None:
            raise ForeignKeyViolation(
                f"{_VIOLATION}: table '{table}' row {row[0]} has {column} = {row[1]!r}, "
                f"which is no {key} of table '{parent}'"
            )


_VIOLATION = "the foreign-key check before commit found a row pointing at nothing"


@contextmanager
def foreign_keys_checked_once(
    *, enabled: bool = True, using: str = "default"
) -> Iterator[Callable[[], bool]]:
    """On SQLite, switch per-row foreign-key enforcement off for the transaction about to be
    opened inside this block; the caller calls the yielded function just before commit, which
    checks the foreign keys of every table the transaction wrote in one pass each and raises
    ForeignKeyViolation (rolling the transaction back) for a row that points at nothing.

    Looking up every referenced row as each row is inserted costs a third or more of a
    million-row insert; one pass over the written tables at the end costs far less. SQLite
    ignores `PRAGMA foreign_keys` inside a transaction, so this must be entered outside any
    atomic block: inside one (a caller's or a test's transaction), on PostgreSQL, or when not
    `enabled`, nothing changes and the check function is a no-op returning False. Enforcement is
    switched back on when the block ends, whatever happened.
    """
    connection = connections[using]
    if not enabled or connection.vendor != "sqlite" or connection.in_atomic_block:
        yield lambda: False
        return
    connection.ensure_connection()
    # Django's helper returns False when SQLite ignored the pragma (an open transaction).
    if not connection.disable_constraint_checking():
        yield lambda: False
        return
    raw = connection.connection
    assert raw is not None
    writes = _Writes()
    raw.set_authorizer(writes)

    def check() -> bool:
        if not connection.in_atomic_block:
            raise RuntimeError("check foreign keys inside the transaction, before it commits")
        with connection.cursor() as cursor:
            for table in writes.tables_to_check(cursor):
                _check_foreign_keys(connection, cursor, table)
        return True

    try:
        yield check
    finally:
        # A connection Django replaced meanwhile was opened with enforcement on.
        if connection.connection is raw:
            raw.set_authorizer(None)
            connection.enable_constraint_checking()
