"""Tests of the web shell; `offsite_urls` is shared by the modules that check pages stay offline."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_URL = re.compile(r"""https?://[^\s"'<>)\\]+""", re.IGNORECASE)


def offsite_urls(html: str, *, own_hosts: tuple[str, ...] = ("testserver",)) -> list[str]:
    """Absolute http(s) URLs in `html` that point at another host (a page must load nothing)."""
    return [url for url in _URL.findall(html) if urlsplit(url).hostname not in own_hosts]
