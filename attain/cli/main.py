"""The `attain` command: Django's management commands with Attain's settings and plain errors.

`attain serve`, `attain demo`, `attain createuser` and every Django command (`attain migrate`,
`attain check --deploy`, …) run through here. Configuration and connection problems are printed as
one paragraph naming the variable at fault, with exit status 2, instead of a traceback.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence

EXIT_CONFIG = 2


def _fail(message: str) -> int:
    print(textwrap.fill(f"attain: {message}", width=100), file=sys.stderr)
    return EXIT_CONFIG


def _database_hint() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return "the default SQLite file (var/attain.sqlite3; DATABASE_URL is not set)"
    from attain.core.config import _redact

    return f"DATABASE_URL={_redact(url)}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from attain.core.config import ConfigurationError

    try:
        import django

        django.setup()
    except ConfigurationError as exc:
        return _fail(str(exc))

    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from attain.core.errors import AttainError

    try:
        execute_from_command_line(["attain", *args])
    except ConfigurationError as exc:
        return _fail(str(exc))
    except OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(
            f"could not use the database at {_database_hint()}: {first_line}. For PostgreSQL, "
            "check that the server is running and that the URL's host, port, user, password and "
            "database name are right; for SQLite, that the file's directory exists and is "
            "writable. Then run `attain migrate`."
        )
    except AttainError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
