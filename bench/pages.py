"""Benchmark every dashboard page's server time, as the demo's rep, manager and ceo see it.

Run by hand (not part of the test suite), for example:

    ATTAIN_DEBUG=1 .venv/bin/python bench/pages.py --db sqlite      # medium demo, a /tmp copy
    ATTAIN_DEBUG=1 .venv/bin/python bench/pages.py --db postgres    # large demo, attain_bench

The databases are the benchmark data `bench/metrics.py --generate` makes (`--as-of 2026-11-23`),
read only: SQLite `/tmp/bench-medium.sqlite3` (or `ATTAIN_BENCH_SQLITE`) is copied to /tmp and
migrated there. PostgreSQL must be at the current migration: the bench refuses
a database with unapplied migrations and says how to make a migrated copy
(`CREATE DATABASE attain_bench_pages TEMPLATE attain_bench`, then `attain migrate` on it). Nothing
is written while measuring: sessions are signed cookies, and the last-login update and login
throttling are off for the run. "Today" is pinned to the as-of date so the figures do not drift
with the clock.

Each page is requested through Django's test Client (the whole middleware and template stack,
no network), once untimed to warm caches, then RUNS times; the median is reported with the number
of SQL statements and how much of the time was SQL. For each page over the goal, the slowest
statement is printed (and its plan: `EXPLAIN QUERY PLAN` / `EXPLAIN ANALYZE`) so the miss can be
explained. Results replace this database's subsection of "Pages" in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from demo_load import machine, postgres_settings  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Pages"
AS_OF = date(2026, 11, 23)
GOAL_MS = 300.0
RUNS = 5
# The medium demo that `bench/metrics.py --db sqlite --size medium --generate` makes (or another
# file named by ATTAIN_BENCH_SQLITE); it is copied, never written.
SQLITE_SOURCE = Path(os.environ.get("ATTAIN_BENCH_SQLITE", "/tmp/bench-medium.sqlite3"))
SQLITE_COPY = Path("/tmp/bench-pages.sqlite3")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/attain_bench"


@dataclass
class Result:
    login: str
    page: str
    url: str
    status: int
    ms: float
    queries: int
    sql_ms: float
    slowest: str
    slowest_ms: float


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import user_logged_in
    from django.contrib.auth.models import update_last_login

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    settings.AXES_ENABLED = False  # login throttling would record the bench's sign-ins
    import attain.dashboards.state as state

    state.pinned_today = lambda: AS_OF  # type: ignore[assignment]


def pages_for(login: str) -> list[tuple[str, str, dict[str, str]]]:
    """(page, url, extra headers) for the login, with subjects and records that exist."""
    from django.urls import reverse

    from attain.access.selectors import deals_visible, viewer_for
    from attain.crm.models import DealStatus
    from attain.org.models import Person

    person = Person.objects.select_related("user").get(user__username=login)
    assert person.user is not None
    viewer = viewer_for(user=person.user)
    deal = (
        deals_visible(viewer=viewer, today=AS_OF)
        .filter(status=DealStatus.OPEN)
        .order_by("-last_activity_at")
        .values_list("pk", flat=True)
        .first()
    )
    htmx = {"HTTP_HX_REQUEST": "true"}
    pages: list[tuple[str, str, dict[str, str]]] = [
        ("home", reverse("home"), {}),
        ("my performance", reverse("dashboards:me"), {}),
    ]
    if viewer.is_manager or viewer.sees_everything:
        pages += [
            ("team", reverse("dashboards:team"), {}),
            ("team: rep table (htmx)", reverse("dashboards:team_reps"), htmx),
        ]
    if viewer.sees_everything:
        pages.append(("company", reverse("dashboards:company"), {}))
    pages += [
        ("leaderboards", reverse("dashboards:leaderboards"), {}),
        ("pipeline review", reverse("dashboards:pipeline"), {}),
        ("pipeline: stalled filter (htmx)", reverse("dashboards:pipeline") + "?stalled=1", htmx),
        ("pipeline: page 3 by amount", reverse("dashboards:pipeline") + "?sort=amount&page=3", {}),
        ("data quality", reverse("dashboards:quality"), {}),
        ("records: revenue won", reverse("dashboards:records") + "?kpi=revenue_won", {}),
        ("records: stalled deals", reverse("dashboards:records") + "?kpi=stalled_deals", {}),
    ]
    if deal is not None:
        pages.append(("deal page", reverse("dashboards:deal", args=[deal]), {}))
    return pages


def measure(login: str, runs: int, only: list[str]) -> list[Result]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)  # a broken page is a 500 row, not a crash
    client.force_login(User.objects.get(username=login))
    results = []
    for page, url, headers in pages_for(login):
        if only and not any(word in page for word in only):
            continue
        response = client.get(url, **headers)  # type: ignore[arg-type]  # warm
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url, **headers)  # type: ignore[arg-type]
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(url, **headers)  # type: ignore[arg-type]
        queries = captured.captured_queries
        slowest = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
        result = Result(
            login=login,
            page=page,
            url=url,
            status=response.status_code,
            ms=statistics.median(times),
            queries=len(queries),
            sql_ms=sum(float(q["time"]) for q in queries) * 1000,
            slowest=str(slowest["sql"]),
            slowest_ms=float(slowest["time"]) * 1000,
        )
        results.append(result)
        verdict = "ok" if result.ms <= GOAL_MS else "MISSED"
        print(
            f"{login:8} {page:34} {result.status} {result.ms:8.1f} ms  "
            f"{result.queries:3} q  sql {result.sql_ms:7.1f} ms  {verdict}",
            flush=True,
        )
    return results


def explain(sql: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return "\n".join(str(row[-1]) for row in rows)
    return "\n".join(str(row[0]) for row in rows)


def render(title: str, results: list[Result], dataset: str) -> str:
    lines = [
        f"### {title}",
        "",
        f"- Run on {date.today().isoformat()}; machine: {machine()}",
        f"- Dataset: {dataset}; today pinned to {AS_OF.isoformat()}",
        "",
        "| login | page | status | median ms | queries | SQL ms | goal ≤ 300 ms |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        verdict = "met" if r.ms <= GOAL_MS else "**MISSED**"
        lines.append(
            f"| {r.login} | {r.page} | {r.status} | {r.ms:.1f} | {r.queries} | {r.sql_ms:.1f} | "
            f"{verdict} |"
        )
    misses = [r for r in results if r.ms > GOAL_MS]
    if misses:
        lines += ["", "Slowest statement of each miss (diagnosis below the table, by hand):", ""]
        for r in misses:
            lines.append(
                f"- {r.login} / {r.page}: {r.slowest_ms:.0f} ms of {r.sql_ms:.0f} ms SQL in "
                f"{r.ms:.0f} ms — `{r.slowest[:160]}…`"
            )
    return "\n".join(lines) + "\n"


def write_doc(title: str, body: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    intro = (
        f"{SECTION}\n\n"
        "Server time of every dashboard page and partial for the demo's `rep`, `manager` and `ceo` "
        "logins, measured by `bench/pages.py` through Django's test Client (middleware, views, "
        f"templates; no network, no browser). Median of {RUNS} warm runs; `SQL ms` is the time "
        "spent in the database during one more run (on SQLite it counts statement execution "
        "only, rows are fetched lazily, so it reads low). Goal: ≤ "
        f"{GOAL_MS:.0f} ms each. The machine is shared with other test runs, so single figures "
        "move by ±30 %.\n"
    )
    start = text.find("\n" + SECTION + "\n")
    if start == -1:
        before, old, after = text.rstrip() + "\n\n", "", ""
    else:
        start += 1
        following = text.find("\n## ", start + len(SECTION))
        end = len(text) if following == -1 else following + 1
        before, old, after = text[:start], text[start:end], text[end:]
    parts: dict[str, str] = {}
    for chunk in old.split("\n### ")[1:]:
        name = "### " + chunk.split("\n", 1)[0]
        parts[name] = "### " + chunk.rstrip() + "\n"
    parts[f"### {title}"] = body
    order = sorted(parts, key=lambda t: (not t.startswith("### SQLite"), t))
    section = intro + "\n" + "\n".join(parts[t] for t in order)
    DOC.write_text(before + section + ("\n" + after if after else ""), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="DATABASE_URL (default: a /tmp copy of medium, attain_bench)")
    parser.add_argument("--logins", nargs="*", default=["rep", "manager", "ceo"])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--only", nargs="*", default=[], help="page name substrings")
    parser.add_argument("--explain", action="store_true", help="print the plan of each miss")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    args = parser.parse_args()

    if args.db == "sqlite":
        url = args.url
        if url is None:
            if not SQLITE_SOURCE.exists():
                print(
                    f"{SQLITE_SOURCE} does not exist: make it with `bench/metrics.py --db sqlite "
                    "--size medium --generate` (or set ATTAIN_BENCH_SQLITE, or pass --url).",
                    file=sys.stderr,
                )
                return 2
            shutil.copyfile(SQLITE_SOURCE, SQLITE_COPY)
            url = f"sqlite:///{SQLITE_COPY}"
        title, dataset = "SQLite, medium", "SQLite medium demo (200 reps, 94,879 deals), a copy"
    else:
        url = args.url or DEFAULT_PG
        title = "PostgreSQL, large"
        dataset = f"PostgreSQL large demo (2,000 reps, 964,579 deals); {postgres_settings(url)}"
        if url != DEFAULT_PG:
            name = url.rsplit("/", 1)[-1]
            dataset += f"; database `{name}`, a migrated copy of `attain_bench`"
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending and args.db == "sqlite":
        call_command("migrate", verbosity=0)  # our own copy
    elif pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending)
        raise SystemExit(
            f"{url} lacks migrations ({names}). Measure a migrated copy instead:\n"
            "  psql -c 'CREATE DATABASE attain_bench_pages TEMPLATE attain_bench'\n"
            "  DATABASE_URL=postgres://…/attain_bench_pages attain migrate\n"
            "  bench/pages.py --db postgres --url postgres://…/attain_bench_pages"
        )
    results: list[Result] = []
    for login in args.logins:
        results += measure(login, args.runs, args.only)
    if args.explain:
        for r in results:
            if r.ms > GOAL_MS and r.slowest:
                print(f"\n--- {r.login} / {r.page}: slowest {r.slowest_ms:.0f} ms\n{r.slowest}")
                print(explain(r.slowest))
    if not args.no_doc:
        write_doc(title, render(title, results, dataset))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
