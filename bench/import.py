"""Benchmark `attain import` end to end on vendor-format files, and record the figures.

Run by hand (not part of the test suite), for example:

    ATTAIN_DEBUG=1 .venv/bin/python bench/import.py                      # everything
    ATTAIN_DEBUG=1 .venv/bin/python bench/import.py --db sqlite --source hubspot \\
        --deals 20000 --activities 100000 --no-doc                          # a quick look

For each source (Salesforce, HubSpot, Pipedrive) it writes a deals CSV and an activities CSV the
way that CRM exports them — headers, date formats, amount style, stage names or ids and activity
types taken from `attain.importers.sources.SOURCES` — with 200,000 deals and 1,000,000 activities
by default. Then, for each database, into a fresh SQLite file or a fresh PostgreSQL database
(`bench_import`, dropped afterwards), untimed: migrate, create the organisation and its reps;
timed: `attain import deals FILE`, then `attain import activities FILE`, each as its own child
process (so the time is end to end, process start included, and ru_maxrss is that import's peak
memory); untimed again: `attain metrics verify` and `attain quality`; then each import's floor on
this machine (`child_floor`: start-up, reading the file, writing its stored rows into bare tables
and building their indexes, the least any import of the file can take here). Results go to the
section "Import" of docs/benchmarks.md (replacing it; other sections are kept).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from demo_load import machine

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Import"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/bench_import"
SOURCES = ("salesforce", "hubspot", "pipedrive")
GOALS = {"sqlite": 100_000, "postgres": 200_000}  # rows/s end to end
AS_OF = date(2026, 11, 20)
TIME_ZONE = "America/New_York"

FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn"]
LAST = ["Smith", "Jones", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore", "Clark", "Hall"]
COMPANY_WORDS = ["North", "Blue", "Summit", "Iron", "Bright", "Cedar", "Atlas", "Nova", "Delta"]
COMPANY_KINDS = ["Logistics", "Foods", "Systems", "Health", "Energy", "Retail", "Labs", "Media"]
COMPANY_FORMS = ["Inc", "LLC", "Ltd", "GmbH", "Corp"]
LEAD_SOURCES = ["Website", "Referral", "Partner", "Outbound", "Trade show", "Webinar"]
LOST_REASONS = ["Price", "No budget", "Chose competitor", "No decision", "Went dark"]

# Open stages in order, then the won and lost stage (or status) as each CRM writes them.
STAGES: dict[str, tuple[list[str], str, str]] = {
    "salesforce": (
        [
            "Prospecting",
            "Qualification",
            "Needs Analysis",
            "Value Proposition",
            "Negotiation/Review",
        ],
        "Closed Won",
        "Closed Lost",
    ),
    "hubspot": (
        [
            "appointmentscheduled",
            "qualifiedtobuy",
            "presentationscheduled",
            "decisionmakerboughtin",
            "contractsent",
        ],
        "closedwon",
        "closedlost",
    ),
    "pipedrive": (
        ["Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started"],
        "Won",
        "Lost",
    ),
}
ACTIVITY_TYPES = {
    "salesforce": ["Call", "Call", "Email", "Email", "Meeting", "Other"],
    "hubspot": ["Call", "Call", "Email", "Email", "Meeting", "Task"],
    "pipedrive": ["call", "call", "email", "email", "meeting", "task"],
}


# ---------------------------------------------------------------- files


def rep_names(n: int) -> list[str]:
    names = [f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}" for i in range(n)]
    return [f"{name} {i // 100 + 1}" if i >= 100 else name for i, name in enumerate(names)]


@dataclass
class DealFacts:
    """What activities need to know about the deals: their ids, owners and accounts."""

    ids: list[str]
    owners: list[int]
    accounts: list[str]


def _amount(source: str, value: Decimal) -> str:
    if source == "salesforce":  # amount_style "code": "USD 12,000.50"
        return f"USD {value:,.2f}"
    return f"{value:.2f}"


def write_deals(source: str, path: Path, n: int, reps: list[str], seed: int) -> DealFacts:
    from attain.importers.sources import SOURCES as VENDORS

    vendor = VENDORS[source]
    headers = vendor.headers["deals"]
    open_stages, won, lost = STAGES[source]
    rng = random.Random(seed)
    fields = [
        "external_id",
        "name",
        "owner",
        "amount",
        "currency",
        "stage",
        "created_at",
        "close_date",
        "probability",
        "account",
        "lead_source",
        "lost_reason",
    ]
    if vendor.status_closes:
        fields += ["status", "won_at", "lost_at"]
    accounts = [
        f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {i} {rng.choice(COMPANY_FORMS)}"
        for i in range(max(1, n // 10))
    ]
    facts = DealFacts([], [], [])
    start = datetime(2024, 1, 1, 8, 0)
    span_minutes = int((datetime(2026, 11, 1) - start).total_seconds() // 60)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([headers[f][0] for f in fields])
        for i in range(n):
            owner = rng.randrange(len(reps))
            account = rng.choice(accounts)
            created = _working_time(start, rng.randrange(span_minutes // 1440), rng)
            amount = Decimal(rng.randrange(50_000, 12_000_000)) / 100
            roll = rng.random()
            closed_at = _working_time(created, rng.randint(5, 150), rng)
            if closed_at.date() >= AS_OF:
                roll = 0.0  # still open
            status = "open" if roll < 0.4 else "won" if roll < 0.7 else "lost"
            position = rng.randrange(len(open_stages))
            row: dict[str, str] = {
                "external_id": _deal_id(source, i),
                "name": f"{account} – deal {i}",
                "owner": reps[owner],
                "amount": _amount(source, amount),
                "currency": "USD",
                "created_at": created.strftime(vendor.datetime_format),
                "account": account,
                "lead_source": rng.choice(LEAD_SOURCES),
                "lost_reason": rng.choice(LOST_REASONS) if status == "lost" else "",
            }
            if status == "open":
                expected = created.date() + timedelta(days=rng.randint(20, 200))
                row["stage"] = open_stages[position]
                row["close_date"] = expected.strftime(vendor.date_format)
                row["probability"] = str(10 + 20 * position)
            elif vendor.status_closes:  # Pipedrive: last open stage, status and its own time
                row["stage"] = open_stages[-1]
                row["close_date"] = closed_at.date().strftime(vendor.date_format)
                row["probability"] = ""
            else:
                row["stage"] = won if status == "won" else lost
                row["close_date"] = closed_at.date().strftime(vendor.date_format)
                row["probability"] = "100" if status == "won" else "0"
            if vendor.status_closes:
                row["status"] = {"open": "Open", "won": won, "lost": lost}[status]
                stamp = closed_at.strftime(vendor.datetime_format)
                row["won_at"] = stamp if status == "won" else ""
                row["lost_at"] = stamp if status == "lost" else ""
            writer.writerow([row[f] for f in fields])
            facts.ids.append(row["external_id"])
            facts.owners.append(owner)
            facts.accounts.append(account)
    return facts


def _working_time(base: datetime, days: int, rng: random.Random) -> datetime:
    """A local time between 07:00 and 19:00 some days after `base`: CRMs write local wall-clock
    times, and these always exist (no daylight-saving gap falls in working hours)."""
    day = (base + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, 7) + timedelta(minutes=rng.randrange(720))


def _deal_id(source: str, i: int) -> str:
    if source == "salesforce":
        return f"0065g{i:013d}"[:18]
    return str(1_000_000 + i)


def write_activities(
    source: str, path: Path, n: int, reps: list[str], deals: DealFacts, seed: int
) -> None:
    from attain.importers.sources import SOURCES as VENDORS

    vendor = VENDORS[source]
    headers = vendor.headers["activities"]
    rng = random.Random(seed + 1)
    fields = ["external_id", "kind", "owner", "occurred_at", "subject", "duration_minutes", "deal"]
    fields.append("account")
    split_time = "occurred_time" in headers  # Pipedrive: due date and due time apart
    if split_time:
        fields.insert(4, "occurred_time")
    types = ACTIVITY_TYPES[source]
    start = datetime(2024, 1, 1, 7, 0)
    span_minutes = int((datetime(2026, 11, 19) - start).total_seconds() // 60)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([headers[f][0] for f in fields])
        for i in range(n):
            when = _working_time(start, rng.randrange(span_minutes // 1440), rng)
            kind = rng.choice(types)
            row: dict[str, str] = {"external_id": f"{'00T5g' if source == 'salesforce' else ''}{i}"}
            if rng.random() < 0.7:  # most activities are on a deal, by the deal's owner
                d = rng.randrange(len(deals.ids))
                row["deal"] = deals.ids[d]
                row["owner"] = reps[deals.owners[d]]
                row["account"] = deals.accounts[d]
            else:
                row["deal"] = ""
                row["owner"] = reps[rng.randrange(len(reps))]
                row["account"] = ""
            row["kind"] = kind
            minutes = rng.choice([5, 10, 15, 30, 45, 60])
            if source == "salesforce":  # Tasks carry a date only
                row["occurred_at"] = when.strftime(vendor.date_format)
            elif split_time:
                row["occurred_at"] = when.strftime(vendor.date_format)
                row["occurred_time"] = when.strftime("%H:%M")
            else:
                row["occurred_at"] = when.strftime(vendor.datetime_format)
            row["duration_minutes"] = (
                f"{minutes // 60:02d}:{minutes % 60:02d}" if split_time else str(minutes)
            )
            row["subject"] = f"{kind} {i}"
            writer.writerow([row[f] for f in fields])


# ---------------------------------------------------------------- child: setup


def child_setup(reps: int) -> None:
    """A fresh organisation with one company, one team per 10 reps, and the reps."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import transaction

    from attain.org.models import TeamKind
    from attain.org.services import (
        membership_start,
        organisation_configure,
        person_create,
        team_create,
    )

    hired = date(2022, 1, 3)
    with transaction.atomic():
        organisation_configure(
            actor=None, name="Bench Co", base_currency="USD", time_zone=TIME_ZONE
        )
        company = team_create(actor=None, name="Bench Co", kind=TeamKind.COMPANY)
        team = company
        for i, name in enumerate(rep_names(reps)):
            if i % 10 == 0:
                team = team_create(actor=None, name=f"Team {i // 10 + 1}", parent=company)
            slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
            person = person_create(
                actor=None, full_name=name, email=f"{slug}@bench.example", hire_date=hired
            )
            membership_start(actor=None, person=person, team=team, start_date=hired)


# ---------------------------------------------------------------- child: floor

# The tables an import of each kind stores its records in (not the rollups, derived from them).
FLOOR_TABLES = {
    "deals": ["crm_account", "crm_deal", "crm_dealstagechange"],
    "activities": ["crm_activity"],
}


def child_floor(kind: str, path: Path) -> dict[str, float]:
    """The least any import of this file can take on this machine, in seconds per part.

    Run after the real import, on its database: *read* is polars reading the file with every
    column as text (no parsing, no validation); *write* is putting the rows that import stored
    (every column, in one transaction) into bare copies of its tables with no index, constraint
    or trigger: PostgreSQL's binary `COPY`, SQLite's `executemany`; *index* is then building
    those tables' indexes (primary keys included), which the metrics' queries need. The rollups,
    foreign-key checks, stage history logic and the run's record are left out, so the sum,
    with the process start-up measured by the parent, is a lower bound, not an estimate.
    """
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    import polars as pl
    from django.db import connection, transaction

    best_read = min(_seconds(lambda: pl.read_csv(path, infer_schema=False)) for _ in range(2))
    tables = FLOOR_TABLES[kind]
    write = index = 0.0
    for name in tables:
        copy = f"attain_floor_{name}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} AS SELECT * FROM {name} WHERE 1 = 0")
        indexes = _index_sql(name, copy)
        if connection.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY (SELECT * FROM {name}) TO STDOUT (FORMAT BINARY)") as out,
            ):
                data = b"".join(bytes(block) for block in out)
            started = time.perf_counter()
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.copy(f"COPY {copy} FROM STDIN (FORMAT BINARY)") as into,
            ):
                into.write(data)
            write += time.perf_counter() - started
        else:
            # Read with a plain connection: the stored values, not Django's Python types,
            # which would go back through its adapters on the way in.
            import sqlite3

            plain = sqlite3.connect(connection.settings_dict["NAME"])
            selected = plain.execute(f"SELECT * FROM {name}")
            rows = selected.fetchall()
            width = len(selected.description)
            plain.close()
            marks = ", ".join(["?"] * width)
            raw = connection.connection
            started = time.perf_counter()
            with transaction.atomic():
                raw.executemany(f"INSERT INTO {copy} VALUES ({marks})", rows)
            write += time.perf_counter() - started
            del rows
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in indexes:
                cursor.execute(sql)
        index += time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {copy}")
    return {"read": best_read, "write": write, "index": index}


def _seconds(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _index_sql(table: str, copy: str) -> list[str]:
    """CREATE INDEX statements that give `copy` the indexes of `table` (its key included)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
            definitions = [row[0] for row in cursor.fetchall()]
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
            definitions = [row[0] for row in cursor.fetchall()]
            # A rowid table's integer primary key is the table itself: no index to build.
    statements = []
    for number, definition in enumerate(definitions):
        on = re.search(r" ON (?:public\.)?\"?" + re.escape(table) + r"\"?", definition)
        if on is None:
            raise SystemExit(f"cannot read the index definition {definition!r}")
        name = f"INDEX attain_floor_{number}_{table}"
        head = re.sub(r"INDEX \S+", name, definition[: on.start()])
        statements.append(f"{head} ON {copy}{definition[on.end() :]}")
    return statements


def timed_floor(env: dict[str, str], kind: str, path: Path) -> dict[str, float]:
    """The floor of one import (`child_floor`), with the process start-up of an `attain`
    command: the best of three runs of `attain import --help`."""
    starts = []
    for _ in range(3):
        started = time.perf_counter()
        _attain(env, "import", "--help")
        starts.append(time.perf_counter() - started)
    parts = json.loads(_child(env, f"floor of {kind}", "--child-floor", kind, str(path)))
    return {"start": min(starts), **parts}


def _child(env: dict[str, str], what: str, *args: str) -> str:
    """Run this script in a child process (`--child-…`); its output, or exit naming `what`."""
    child = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if child.returncode:
        raise SystemExit(f"{what} failed: {child.stderr[-2000:]}")
    return child.stdout


# ---------------------------------------------------------------- parent: runs


def _recreate_postgres(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"bench_[a-z0-9_]+", name):
        raise SystemExit(f"refusing to drop a database named {name!r} (must start with bench_)")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _attain(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "attain"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def timed_import(env: dict[str, str], kind: str, path: Path, source: str) -> dict[str, Any]:
    """One `attain import` in its own process: wall seconds and that process's peak RSS."""
    command = [str(Path(sys.executable).parent / "attain"), "import", kind, str(path)]
    command += ["--source", source, "--format", "json"]
    out = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed with the process below)
    err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    text = out.read()
    try:
        result = json.loads(text)
    except json.JSONDecodeError:
        detail = f"{text[-2000:]}\n{err.read()[-4000:]}"
        raise SystemExit(f"attain import {kind} failed:\n{detail}") from None
    finally:
        out.close()
        err.close()
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "exit": process.returncode,
        "created": result.get("created", 0),
        "updated": result.get("updated", 0),
        "rejected": result.get("rejected", 0),
        "errors": result.get("errors", [])[:5],
        "notes": result.get("notes", [])[:5],
        "rows": result.get("rows", 0),
        "import_seconds": result.get("seconds"),
        "steps": result.get("steps", {}),
    }


def run_one(db: str, source: str, files: dict[str, Path], reps: int, pg_url: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="attain-bench-import-"))
    try:
        if db == "sqlite":
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        else:
            _recreate_postgres(pg_url)
            url = pg_url
        env = {**os.environ, "DATABASE_URL": url, "ATTAIN_DEBUG": "1"}
        migrated = _attain(env, "migrate", "--verbosity", "0")
        if migrated.returncode:
            raise SystemExit(f"migrate failed: {migrated.stderr[-2000:]}")
        _child(env, "setup", "--child-setup", "--reps", str(reps))
        result: dict[str, Any] = {"database": db, "source": source}
        for kind in ("deals", "activities"):
            result[kind] = timed_import(env, kind, files[kind], source)
            print(f"  {db} {source} {kind}: {json.dumps(result[kind])}", file=sys.stderr)
        started = time.perf_counter()
        verify = _attain(env, "metrics", "verify")
        result["verify"] = "match" if verify.returncode == 0 else "MISMATCH"
        result["verify_seconds"] = time.perf_counter() - started
        if verify.returncode:
            result["verify_detail"] = (verify.stderr or verify.stdout)[-1000:]
        started = time.perf_counter()
        quality = _attain(env, "quality", "--format", "json")
        result["quality_seconds"] = time.perf_counter() - started
        if quality.returncode == 0:
            checks = json.loads(quality.stdout)["checks"]
            result["quality"] = {c["code"]: c["count"] for c in checks}
        result["floor"] = {kind: timed_floor(env, kind, files[kind]) for kind in files}
        print(f"  {db} {source} floor: {json.dumps(result['floor'])}", file=sys.stderr)
        return result
    finally:
        if db == "postgres":
            _recreate_postgres(pg_url, drop_only=True)
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_version(pg_url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except Exception as exc:  # informative only
        return f"not reachable ({type(exc).__name__})"
    return str(row[0]) if row else "?"


def table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| database | source | kind | rows | created | rejected | seconds | rows/s | peak RSS MB "
        "| goal |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        for kind in ("deals", "activities"):
            k = r[kind]
            rate = k["rows"] / k["seconds"] if k["seconds"] else 0
            goal = GOALS[r["database"]]
            verdict = f"≥ {goal // 1000}k: " + ("met" if rate >= goal else "MISSED")
            lines.append(
                f"| {'PostgreSQL' if r['database'] == 'postgres' else 'SQLite'} | {r['source']} "
                f"| {kind} | {k['rows']:,} | {k['created']:,} | {k['rejected']:,} "
                f"| {k['seconds']:.1f} | {rate:,.0f} | {k['peak_mb']:.0f} | {verdict} |"
            )
    return lines


def steps_table(results: list[dict[str, Any]]) -> list[str]:
    """Where each import's wall time went, from the `steps` its JSON result reports."""
    names: list[str] = []
    for r in results:
        for kind in ("deals", "activities"):
            names += [n for n in r[kind].get("steps", {}) if n not in names]
    if not names:
        return []
    lines = [
        "| database | source | kind | process | " + " | ".join(names) + " |",
        "|---|---|---|---:|" + "---:|" * len(names),
    ]
    for r in results:
        for kind in ("deals", "activities"):
            k = r[kind]
            steps = k.get("steps", {})
            cells = " | ".join(f"{steps[n]:.1f}" if n in steps else "–" for n in names)
            # start-up, imports and exit outside import_run
            outside = k["seconds"] - (k.get("import_seconds") or 0) - steps.get("quality report", 0)
            lines.append(
                f"| {'PostgreSQL' if r['database'] == 'postgres' else 'SQLite'} | {r['source']} "
                f"| {kind} | {outside:.1f} | {cells} |"
            )
    return lines


def floor_table(results: list[dict[str, Any]]) -> list[str]:
    """The floor of each import next to its goal and its measured time (`child_floor`)."""
    if not any("floor" in r for r in results):
        return []
    lines = [
        "| database | source | kind | start-up | read | write | index | floor s "
        "| floor rows/s | goal rows/s | measured s | measured / floor |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for kind, parts in r.get("floor", {}).items():
            total = sum(parts.values())
            measured = r[kind]["seconds"]
            lines.append(
                f"| {'PostgreSQL' if r['database'] == 'postgres' else 'SQLite'} | {r['source']} "
                f"| {kind} | {parts['start']:.1f} | {parts['read']:.1f} | {parts['write']:.1f} "
                f"| {parts['index']:.1f} | {total:.1f} | {r[kind]['rows'] / total:,.0f} "
                f"| {GOALS[r['database']]:,} | {measured:.1f} | {measured / total:.1f}× |"
            )
    return lines


def write_doc(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    verify = ", ".join(
        f"{r['database']}/{r['source']}: {r['verify']} ({r['verify_seconds']:.0f} s)"
        for r in results
    )
    quality = ", ".join(
        f"{r['database']}/{r['source']}: {r['quality_seconds']:.1f} s" for r in results
    )
    body = [
        SECTION,
        "",
        "`attain import` end to end on files as each CRM exports them, measured by "
        "`bench/import.py`: a deals CSV and an activities CSV per source, written with the "
        "source's own headers, date and amount formats and stage names (HubSpot as internal "
        "stage ids, Pipedrive with won/lost as a status), imported into a fresh database that "
        "holds only the organisation and its reps. Each import is its own `attain import` "
        "process: seconds are wall time from process start to exit (reading, validating, "
        "writing, rollups, the quality report and the run record included), peak RSS is that "
        "process's `ru_maxrss`. Deals are imported first, then the activities that refer to "
        "them.",
        "",
        f"- Run on {date.today().isoformat()}; machine: {machine()}",
        f"- PostgreSQL {postgres_version(args.pg)}",
        f"- Files: {args.deals:,} deals and {args.activities:,} activities per source, "
        f"{args.reps} reps; seed {args.seed}",
        f"- `attain metrics verify` after the imports: {verify}",
        f"- `attain quality` after the imports: {quality}",
        "",
        *table(results),
        "",
        "Seconds per step of each import (`steps` in its JSON result; *process* is the rest of "
        "the process's wall time: Python and Django start-up, reading the command line, exit):",
        "",
        *steps_table(results),
        "",
        "The floor of each import on this machine (`child_floor` in `bench/import.py`): the "
        "start-up of an `attain` command (best of three), polars reading the file with every "
        "column as text, the rows that import stored written into bare copies of its tables "
        "(no index, constraint or trigger; binary `COPY` on PostgreSQL, `executemany` in one "
        "transaction on SQLite), then those tables' indexes built. Validation, rollups, "
        "foreign-key checks and the run's record are left out, so no import of the file can "
        "be faster here: where *floor rows/s* is under the goal, the goal is out of reach on "
        "this machine whatever the code does.",
        "",
        *floor_table(results),
        "",
    ]
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    block = "\n".join(body) + "\n"
    found = pattern.search(text)
    if found:
        # Hand-written subsections (### Quality report, ### Findings) survive a re-run.
        old = found.group(0)
        keep = old[old.index("\n### ") + 1 :] if "\n### " in old else ""
        text = pattern.sub(lambda _: block + ("\n" + keep if keep else ""), text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    DOC.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=None)
    parser.add_argument("--source", nargs="+", choices=SOURCES, default=list(SOURCES))
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--files", type=Path, help="directory for the CSVs (kept)")
    parser.add_argument("--no-doc", action="store_true", help="print, don't edit the doc")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child-setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-floor", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_setup:
        child_setup(args.reps)
        return 0
    if args.child_floor:
        print(json.dumps(child_floor(args.child_floor[0], Path(args.child_floor[1]))))
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    databases = args.db or ["sqlite", "postgres"]
    files_dir = args.files or Path(tempfile.mkdtemp(prefix="attain-bench-files-"))
    files_dir.mkdir(parents=True, exist_ok=True)
    reps = rep_names(args.reps)
    results: list[dict[str, Any]] = []
    try:
        for source in args.source:
            started = time.perf_counter()
            files = {
                "deals": files_dir / f"{source}-deals.csv",
                "activities": files_dir / f"{source}-activities.csv",
            }
            facts = write_deals(source, files["deals"], args.deals, reps, args.seed)
            write_activities(source, files["activities"], args.activities, reps, facts, args.seed)
            size = sum(p.stat().st_size for p in files.values()) / 2**20
            print(
                f"{source}: files written in {time.perf_counter() - started:.0f} s ({size:.0f} MB)",
                file=sys.stderr,
            )
            for db in databases:
                results.append(run_one(db, source, files, args.reps, args.pg))
                if args.json:  # after each run, so a long benchmark that is stopped keeps some
                    args.json.write_text(json.dumps(results, indent=2, default=str))
    finally:
        if args.files is None:
            shutil.rmtree(files_dir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print("\n".join([*table(results), "", *steps_table(results), "", *floor_table(results)]))
    if not args.no_doc:
        write_doc(results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
