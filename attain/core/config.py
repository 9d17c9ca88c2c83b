"""Reading settings from the environment, with errors that name the variable.

Kept free of Django imports so that settings can use it before Django is configured.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message is one readable paragraph."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use 1 or 0 (also true/false).")


def env_int(name: str, *, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ConfigurationError(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_time_zone(name: str, *, default: str) -> str:
    raw = os.environ.get(name, default).strip() or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"{name}={raw!r} is not a known time zone; use an IANA name such as "
            "'Europe/Berlin' or 'America/New_York'."
        ) from None
    return raw


_SUPPORTED_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql")


def parse_database_url(url: str, *, variable: str = "DATABASE_URL") -> dict[str, Any]:
    """Turn a database URL into Django's DATABASES entry, or explain what is wrong with it."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in _SUPPORTED_SCHEMES:
        raise ConfigurationError(
            f"{variable}={_redact(url)!r} is not a database URL Attain understands. Use "
            "sqlite:////absolute/path/attain.sqlite3 (the default, a file under var/) or "
            "postgres://USER:PASSWORD@HOST:PORT/DBNAME for PostgreSQL."
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    except (ValueError, KeyError) as exc:
        raise ConfigurationError(
            f"{variable}={_redact(url)!r} could not be read: {exc}. Use "
            "postgres://USER:PASSWORD@HOST:PORT/DBNAME or sqlite:////absolute/path.sqlite3."
        ) from None
    if scheme == "sqlite":
        name = str(config.get("NAME") or "")
        if name and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # WAL lets the web server read while a long command writes; IMMEDIATE avoids
            # "database is locked" upgrades from read to write transactions.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        if not config.get("NAME"):
            raise ConfigurationError(
                f"{variable}={_redact(url)!r} names no database; add it after the last slash, "
                "for example postgres://postgres@127.0.0.1:5432/attain."
            )
        config.setdefault("OPTIONS", {})["connect_timeout"] = 5
    return config


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
