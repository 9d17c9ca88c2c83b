"""What an import or a preview reports back: counts, row errors, notes, the quality report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Errors kept in the result (and stored as ImportIssue rows); the rejected-rows CSV has them all.
MAX_REPORTED_ERRORS = 10_000


@dataclass(frozen=True)
class RowError:
    """One problem: spreadsheet row (header = 1; 0 for the whole file), column, value, reason."""

    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class ImportResult:
    kind: str
    source: str
    dry_run: bool
    file_name: str = ""
    file_sha256: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    notes: list[str] = field(default_factory=list)
    unmatched_owners: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    committed: bool = False
    unreadable: bool = False
    rejected_file: Path | None = None
    quality: dict[str, Any] | None = None
    seconds: float = 0.0
    # wall seconds per step (read and load, indexes, rollups, audit, record, quality)
    steps: dict[str, float] = field(default_factory=dict)
    run_id: int | None = None

    def add_error(self, error: RowError) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def step(self, name: str, since: float) -> float:
        """Add the wall time from `since` to step `name`; returns now, for the next step."""
        now = time.perf_counter()
        self.steps[name] = self.steps.get(name, 0.0) + now - since
        return now

    @property
    def exit_code(self) -> int:
        """0 all rows fine, 1 some rows rejected, 2 the file could not be read."""
        if self.unreadable:
            return 2
        return 1 if self.rejected else 0

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
            "quality": self.quality if self.quality is not None else {},
            "kind": self.kind,
            "file": self.file_name,
            "sha256": self.file_sha256,
            "rows": self.rows,
            "committed": self.committed,
            "errors_total": self.errors_total,
            "notes": list(self.notes),
            "unmatched_owners": list(self.unmatched_owners),
            "mapping": dict(self.mapping),
            "rejected_file": str(self.rejected_file) if self.rejected_file else None,
            "seconds": round(self.seconds, 3),
            "steps": {name: round(value, 3) for name, value in self.steps.items()},
            "run_id": self.run_id,
        }
        return data


@dataclass
class ImportPreview:
    """What the upload page shows before importing: source, headers, mapping, first rows."""

    kind: str
    source: str
    headers: list[str]
    mapping: dict[str, str]  # field -> header
    unmapped_headers: list[str]
    missing_required: list[str]
    rows: list[dict[str, str]]  # first rows, header -> raw text
    problems: list[RowError]
    fields: list[str]  # every field the kind reads, for the mapping editor
