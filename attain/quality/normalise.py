"""Name normalisation and near-match helpers for the data-quality checks (pure Python, no Django).

Kept apart from the selectors so the rules can be read, and tested, on their own.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

# Legal-form words dropped from the end of a company name: "Acme GmbH" and "ACME" are one company.
LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "kgaa",
        "mbh",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "oyj",
        "ab",
        "as",
        "asa",
        "aps",
        "pty",
        "pvt",
        "pte",
        "sl",
        "slu",
        "sro",
        "kft",
        "zrt",
    ]
)
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


_INNER_DOTS = re.compile(r"(?<=\w)[.'’](?=\w)")
# ASCII punctuation becomes a space in one pass; other scripts' punctuation goes through the regex.
_ASCII_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation if c != "&"})


def _fold(text: str) -> str:
    """Lower case, accents removed, '&' as 'and', punctuation dropped, single spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = _PUNCTUATION.sub(lambda m: m.group() if m.group() in ".'’&" else " ", text)
    text = text.lower()
    if "&" in text:
        text = text.replace("&", " and ")
    # "A.C.M.E." → "acme": dots inside a word vanish instead of splitting it.
    if "." in text or "'" in text or "’" in text:
        text = _INNER_DOTS.sub("", text)
    text = text.translate(_ASCII_PUNCTUATION)
    if not text.isascii():
        text = _PUNCTUATION.sub(" ", text)
    return " ".join(text.split())


def category_key(value: str) -> str:
    """The key under which two spellings of a category are the same value."""
    return _fold(value)


def company_key(name: str) -> str:
    """The key under which two account names are likely the same company.

    Trailing legal forms are dropped repeatedly ("Acme Co. Ltd" → "acme"), leading "the" too, but
    never down to nothing ("Company" stays "company").
    """
    words = _fold(name).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def max_typos(text: str) -> int:
    """Edits a respelling may differ by: none for short codes, one up to 8 letters, then two."""
    n = len(text)
    return 0 if n < 4 else 1 if n < 9 else 2


def is_respelling(value: str, other: str) -> bool:
    """Same after folding, or within a few typos (a swap of two letters counts as one)."""
    a, b = _fold(value), _fold(other)
    if a == b:
        return True
    limit = max_typos(max(a, b, key=len))
    return limit > 0 and DamerauLevenshtein.distance(a, b, score_cutoff=limit) <= limit


def closest(value: str, candidates: Sequence[str], *, cutoff: float) -> tuple[str, float] | None:
    """The candidate most like `value` (folded Indel similarity 0–1) at or above `cutoff`."""
    if not candidates:
        return None
    match = process.extractOne(
        value, candidates, scorer=fuzz.ratio, processor=_fold, score_cutoff=cutoff * 100
    )
    if match is None:
        return None
    return str(match[0]), float(match[1]) / 100


def duplicate_groups(names: Iterable[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Group (distinct name, how many accounts have it) by company_key; groups of 2+ accounts."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for name, n in names:
        key = company_key(name)
        if key:
            groups.setdefault(key, []).append((name, n))
    return [group for group in groups.values() if sum(n for _, n in group) > 1]
