"""What each CRM's exports look like: header names per import kind and their value conventions.

`SOURCES` maps a source key (generic, salesforce, hubspot, pipedrive) to its `Source`. Each field
lists the header names the vendor writes, the first being the one its standard export uses (the
benchmark writes files with those); matching ignores case, spacing, punctuation and BOMs.
`source_detect` picks the vendor whose signature headers a file has.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from attain.importers.sources.base import FIELDS, Field, Source
from attain.importers.sources.generic import GENERIC
from attain.importers.sources.hubspot import HUBSPOT
from attain.importers.sources.pipedrive import PIPEDRIVE
from attain.importers.sources.salesforce import SALESFORCE

SOURCES: dict[str, Source] = {s.key: s for s in (GENERIC, SALESFORCE, HUBSPOT, PIPEDRIVE)}
KINDS: tuple[str, ...] = tuple(FIELDS)

_NON_WORD = re.compile(r"[\W_]+")


def header_key(header: str) -> str:
    """A header reduced for matching: no BOM, accents, case, spacing or punctuation."""
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_WORD.sub("", text.casefold())


def source_detect(headers: Iterable[str]) -> str:
    """The vendor whose signature headers appear most in `headers`; `generic` when none does.

    A file whose every header is one of Attain's own field names (what `attain export` writes) is
    generic even if a vendor signature reduces to one of them (Salesforce's "Probability (%)" and
    our "probability" are both `probability` once punctuation is gone)."""
    keys = {header_key(h) for h in headers} - {""}
    if keys and keys <= _GENERIC_KEYS:
        return "generic"
    best, best_hits = "generic", 0
    for source in SOURCES.values():
        hits = sum(1 for h in source.signature if header_key(h) in keys)
        if hits > best_hits:
            best, best_hits = source.key, hits
    return best


_GENERIC_KEYS: frozenset[str] = frozenset(
    header_key(field.name) for fields in FIELDS.values() for field in fields
)

__all__ = ["FIELDS", "KINDS", "SOURCES", "Field", "Source", "header_key", "source_detect"]
