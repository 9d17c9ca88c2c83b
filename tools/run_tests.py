"""Run the whole test suite on SQLite and, at the same time, on PostgreSQL when one is reachable.

PostgreSQL comes from ATTAIN_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test;
pytest-django creates and drops a `test_…` database beside it). Under CI=true an unreachable
PostgreSQL is a failure; elsewhere that half is skipped with a one-line reason.

The two halves share nothing (their own databases, live-server ports, browsers), so they run side
by side on the machine's two cores: one after the other took 16 minutes on a slow hour, over the
15 we allow `make test`. The SQLite half prints as it goes; the PostgreSQL half's output is kept
in a file and printed when both are done. ATTAIN_TESTS_SEQUENTIAL=1 runs them one after the other.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"


def postgres_problem(url: str) -> str | None:
    """None when PostgreSQL at `url` answers, else why not (one line)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def run_pytest(label: str, env: dict[str, str], extra: list[str]) -> int:
    print(f"\n=== test suite on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *extra], env=env)


def run_both(sqlite_env: dict[str, str], pg_env: dict[str, str], extra: list[str]) -> int:
    """Both halves at once; the PostgreSQL half's output follows the SQLite half's."""
    with tempfile.TemporaryFile(mode="w+") as pg_log:
        pg = subprocess.Popen(
            [sys.executable, "-m", "pytest", *extra],
            env=pg_env,
            stdout=pg_log,
            stderr=subprocess.STDOUT,
        )
        try:
            status = run_pytest("SQLite", sqlite_env, extra)
            pg_status = pg.wait()
        finally:
            if pg.poll() is None:
                pg.kill()
        pg_log.seek(0)
        print("\n=== test suite on PostgreSQL (ran alongside) ===", flush=True)
        sys.stdout.write(pg_log.read())
        sys.stdout.flush()
    return status or pg_status


def main() -> int:
    extra = sys.argv[1:]
    base_env = dict(os.environ)
    base_env.pop("DATABASE_URL", None)
    base_env.setdefault("ATTAIN_DEBUG", "1")
    pg_url = os.environ.get("ATTAIN_TEST_DATABASE_URL", DEFAULT_PG)
    in_ci = os.environ.get("CI", "").lower() == "true"

    problem = postgres_problem(pg_url)
    if problem is not None:
        message = f"PostgreSQL at {pg_url} is not reachable ({problem})"
        if in_ci:
            print(f"FAIL: {message}; CI=true requires it.", flush=True)
            return 1
        print(f"SKIP PostgreSQL half of the suite: {message}.", flush=True)

    sqlite_env = {**base_env, "ATTAIN_TEST_BACKEND": "sqlite"}
    if problem is not None:
        return run_pytest("SQLite", sqlite_env, extra)
    pg_env = {**base_env, "DATABASE_URL": pg_url, "ATTAIN_TEST_BACKEND": "postgresql"}
    if os.environ.get("ATTAIN_TESTS_SEQUENTIAL") == "1":
        status = run_pytest("SQLite", sqlite_env, extra)
        return run_pytest("PostgreSQL", pg_env, extra) or status
    return run_both(sqlite_env, pg_env, extra)


if __name__ == "__main__":
    raise SystemExit(main())
