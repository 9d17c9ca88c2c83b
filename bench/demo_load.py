"""Benchmark `attain demo`: generate and load each size into a fresh database, record the figures.

Run by hand (not part of the test suite), for example:

    ATTAIN_DEBUG=1 .venv/bin/python bench/demo_load.py --size small medium --db sqlite
    ATTAIN_DEBUG=1 .venv/bin/python bench/demo_load.py --size large --db postgres

Every (database, size) runs in its own child process against a new database (a temporary SQLite
file, or PostgreSQL's `attain_bench` dropped and recreated), so peak memory (ru_maxrss) is that
run's alone. Migrations are not timed. Results replace the matching rows of the section "Demo
generation and load" in docs/benchmarks.md; other rows and sections are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Demo generation and load"
DEFAULT_AS_OF = "2026-11-23"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/attain_bench"
SIZES = ("small", "medium", "large")
# (database, size) → seconds the brief allows; small has no number ("seconds").
TARGETS = {("sqlite", "medium"): 180.0, ("postgres", "large"): 600.0}
COLUMNS = (
    "database",
    "size",
    "reps",
    "accounts",
    "deals",
    "stage changes",
    "activities",
    "leads",
    "all rows",
    "seconds",
    "rows/s",
    "peak RSS MB",
    "db size MB",
    "target",
    "run on",
)


# ---------------------------------------------------------------- child: one load


def child(size: str, seed: int, as_of: date) -> dict[str, Any]:
    """Migrate the (empty) database, generate, and report; runs in its own process."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from attain.demo.services import demo_generate
    from attain.org.models import Person, Role

    call_command("migrate", verbosity=0)
    summary = demo_generate(size=size, seed=seed, as_of=as_of, progress=sys.stderr.isatty())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            db_bytes = int(cursor.fetchone()[0])
        else:
            db_bytes = Path(str(connection.settings_dict["NAME"])).stat().st_size
    return {
        "size": size,
        "reps": Person.objects.filter(role=Role.REP).count(),
        "counts": summary.counts,
        "rows": summary.rows,
        "seconds": round(summary.seconds, 1),
        "rows_per_second": round(summary.rows_per_second),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "db_mb": round(db_bytes / 2**20),
    }


# ---------------------------------------------------------------- parent: fresh databases, doc


def _recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing to drop a database named {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_one(db: str, size: str, seed: int, as_of: str, pg_url: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="attain-bench-"))
    try:
        if db == "sqlite":
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        else:
            _recreate_postgres(pg_url)
            url = pg_url
        env = {**os.environ, "DATABASE_URL": url, "ATTAIN_DEBUG": "1"}
        command = [sys.executable, __file__, "--child", "--size", size, "--seed", str(seed)]
        command += ["--as-of", as_of]
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["database"] = db
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as info:
        kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {kib / 2**20:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def postgres_settings(pg_url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()
            buffers = conn.execute("SHOW shared_buffers").fetchone()
    except Exception as exc:  # the doc line is informative only
        return f"PostgreSQL not reachable ({type(exc).__name__})"
    assert version is not None and buffers is not None
    return f"PostgreSQL {version[0]} with shared_buffers {buffers[0]} (server defaults otherwise)"


def _row(result: dict[str, Any]) -> dict[str, str]:
    counts = result["counts"]
    target = TARGETS.get((result["database"], result["size"]))
    verdict = "–"
    if target is not None:
        verdict = f"< {target:.0f} s: " + ("met" if result["seconds"] < target else "MISSED")
    return {
        "database": "PostgreSQL" if result["database"] == "postgres" else "SQLite",
        "size": result["size"],
        "reps": f"{result['reps']:,}",
        "accounts": f"{counts['crm_account']:,}",
        "deals": f"{counts['crm_deal']:,}",
        "stage changes": f"{counts['crm_dealstagechange']:,}",
        "activities": f"{counts['crm_activity']:,}",
        "leads": f"{counts['crm_lead']:,}",
        "all rows": f"{result['rows']:,}",
        "seconds": f"{result['seconds']:.1f}",
        "rows/s": f"{result['rows_per_second']:,}",
        "peak RSS MB": f"{result['peak_rss_mb']:,}",
        "db size MB": f"{result['db_mb']:,}",
        "target": verdict,
        "run on": date.today().isoformat(),
    }


def _existing_rows(section: str) -> dict[tuple[str, str], dict[str, str]]:
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[1] in SIZES:
            row = dict(zip(COLUMNS, cells, strict=True))
            rows[(row["database"], row["size"])] = row
    return rows


def write_doc(results: list[dict[str, Any]], as_of: str, seed: int, pg_url: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start == -1:
        before, old, after = text.rstrip() + "\n\n", "", ""
    else:
        following = text.find("\n## ", start + len(SECTION))
        end = len(text) if following == -1 else following + 1
        before, old, after = text[:start], text[start:end], text[end:]
    rows = _existing_rows(old)
    for result in results:
        row = _row(result)
        rows[(row["database"], row["size"])] = row
    order = {("SQLite", s): i for i, s in enumerate(SIZES)}
    order.update({("PostgreSQL", s): 10 + i for i, s in enumerate(SIZES)})
    lines = [
        SECTION,
        "",
        "`attain demo` into a new, migrated database: generate every rep's history and load it "
        "(ORM for the small tables, COPY / executemany for the big ones, secondary indexes and "
        "PostgreSQL foreign keys rebuilt at the end), one transaction. Migrations are not timed. "
        f"Seed {seed}, as-of {as_of}. Measured by `bench/demo_load.py`, one process per row, "
        "peak RSS from `getrusage` of that process.",
        "",
        f"- Machine: {machine()}",
        f"- {postgres_settings(pg_url)}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|"
        + "|".join(
            "---" if c in ("database", "size", "target", "run on") else "---:" for c in COLUMNS
        )
        + "|",
    ]
    for key in sorted(rows, key=lambda k: order.get(k, 99)):
        lines.append("| " + " | ".join(rows[key][c] for c in COLUMNS) + " |")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(before + "\n".join(lines) + "\n" + ("\n" + after if after else ""), "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", nargs="+", choices=SIZES, default=["small", "medium"])
    parser.add_argument("--db", nargs="+", choices=("sqlite", "postgres"), default=["sqlite"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF, help="YYYY-MM-DD (fixed by default)")
    parser.add_argument("--pg-url", default=os.environ.get("ATTAIN_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.size[0], args.seed, date.fromisoformat(args.as_of))))
        return 0
    results = []
    for db in args.db:
        for size in args.size:
            print(f"{db} {size}: loading…", file=sys.stderr, flush=True)
            result = run_one(db, size, args.seed, args.as_of, args.pg_url)
            row = _row(result)
            print(", ".join(f"{k} {v}" for k, v in row.items()), flush=True)
            results.append(result)
    if not args.no_doc:
        write_doc(results, args.as_of, args.seed, args.pg_url)
        print(f"updated {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
