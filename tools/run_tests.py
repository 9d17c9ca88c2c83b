"""Run the whole test suite on SQLite, then on PostgreSQL when one is reachable.

PostgreSQL comes from ATTAIN_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test;
pytest-django creates and drops a `test_…` database beside it). Under CI=true an unreachable
PostgreSQL is a failure; elsewhere that half is skipped with a one-line reason.
"""

from __future__ import annotations

import os
import subprocess
import sys

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

    status = run_pytest("SQLite", {**base_env, "ATTAIN_TEST_BACKEND": "sqlite"}, extra)
    if problem is None:
        pg_env = {**base_env, "DATABASE_URL": pg_url, "ATTAIN_TEST_BACKEND": "postgresql"}
        status = run_pytest("PostgreSQL", pg_env, extra) or status
    return status


if __name__ == "__main__":
    raise SystemExit(main())
