"""Reads for imports: a file's column plan, the upload preview, runs, mapping files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db.models import QuerySet

from attain.core.errors import ValidationFailed
from attain.importers.models import ImportIssue, ImportRun
from attain.importers.reading import Unreadable, table_open
from attain.importers.results import ImportPreview, RowError
from attain.importers.sources import FIELDS, SOURCES, header_key, source_detect

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class ColumnPlan:
    """Which header feeds which field: field -> column position in the file."""

    kind: str
    source: str
    headers: list[str]
    positions: dict[str, int]
    missing_required: list[str]
    problems: list[RowError]

    @property
    def mapping(self) -> dict[str, str]:
        return {name: self.headers[i] for name, i in self.positions.items()}

    def column(self, name: str) -> str:
        return f"c{self.positions[name]}"


def column_plan(
    *, kind: str, headers: list[str], source: str = "auto", mapping: dict[str, str] | None = None
) -> ColumnPlan:
    """Map the file's headers to the kind's fields: explicit mapping first, then the vendor's names.

    A header the mapping names but the file lacks is a problem (row 1), as is a required field no
    header feeds.
    """
    if kind not in FIELDS:
        raise ValidationFailed({"kind": f"{kind!r} is not one of {', '.join(FIELDS)}"})
    if source != "auto" and source not in SOURCES:
        raise ValidationFailed({"source": f"{source!r} is not one of auto, {', '.join(SOURCES)}"})
    chosen = source_detect(headers) if source == "auto" else source
    by_key: dict[str, int] = {}
    for index, header in enumerate(headers):
        by_key.setdefault(header_key(header), index)
    fields = {f.name: f for f in FIELDS[kind]}
    positions: dict[str, int] = {}
    problems: list[RowError] = []
    for name, header in (mapping or {}).items():
        if name not in fields:
            problems.append(
                RowError(
                    1,
                    header,
                    name,
                    f"{name!r} is not a field of {kind}; fields: {', '.join(fields)}",
                )
            )
        elif header_key(header) in by_key:
            positions[name] = by_key[header_key(header)]
        else:
            problems.append(
                RowError(
                    1,
                    header,
                    "",
                    f"the mapping names column {header!r}, which the file does not have",
                )
            )
    sources = [SOURCES[chosen]] + ([SOURCES["generic"]] if chosen != "generic" else [])
    taken = set(positions.values())
    for name in fields:
        if name in positions or (mapping and name in mapping):
            continue
        for src in sources:
            for header in src.field_headers(kind).get(name, ()):
                found = by_key.get(header_key(header))
                if found is not None and found not in taken:
                    positions[name] = found
                    taken.add(found)
                    break
            if name in positions:
                break
    missing = [f.name for f in FIELDS[kind] if f.required and f.name not in positions]
    for name in missing:
        expected = SOURCES[chosen].field_headers(kind).get(name) or (name,)
        problems.append(
            RowError(
                1,
                name,
                "",
                f"no column for required field {name!r} (expected a header "
                f"such as {', '.join(repr(h) for h in expected[:3])}, or map one)",
            )
        )
    return ColumnPlan(
        kind=kind,
        source=chosen,
        headers=list(headers),
        positions=positions,
        missing_required=missing,
        problems=problems,
    )


def import_preview(
    *,
    kind: str,
    path: Path,
    source: str = "auto",
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    rows: int = PREVIEW_ROWS,
) -> ImportPreview:
    """Detected source, headers, the column mapping and the first rows, without touching the DB."""
    try:
        with table_open(Path(path), sheet=sheet) as table:
            plan = column_plan(kind=kind, headers=table.headers, source=source, mapping=mapping)
            first: list[dict[str, str]] = []
            for frame in table.batches(max(rows, 1)):
                for record in frame.head(rows - len(first)).iter_rows(named=True):
                    first.append(
                        {h: record.get(f"c{i}") or "" for i, h in enumerate(table.headers)}
                    )
                if len(first) >= rows:
                    break
    except Unreadable as exc:
        return ImportPreview(
            kind=kind,
            source=source,
            headers=[],
            mapping={},
            unmapped_headers=[],
            missing_required=[],
            rows=[],
            problems=[RowError(0, "", "", str(exc))],
            fields=[f.name for f in FIELDS.get(kind, ())],
        )
    used = set(plan.positions.values())
    return ImportPreview(
        kind=kind,
        source=plan.source,
        headers=plan.headers,
        mapping=plan.mapping,
        unmapped_headers=[h for i, h in enumerate(plan.headers) if i not in used],
        missing_required=plan.missing_required,
        rows=first,
        problems=plan.problems,
        fields=[f.name for f in FIELDS[kind]],
    )


def mapping_load(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Read a --mapping YAML file: `columns: {field: header}` and `stages: {file value: stage}`."""
    try:
        data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed({"mapping": f"cannot read {path}: {exc}"}) from None
    except yaml.YAMLError as exc:
        raise ValidationFailed({"mapping": f"{path} is not valid YAML: {exc}"}) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or set(data) - {"columns", "stages"}:
        raise ValidationFailed(
            {"mapping": f"{path} must hold a mapping with `columns:` and/or `stages:` only"}
        )
    result: list[dict[str, str]] = []
    for key in ("columns", "stages"):
        section = data.get(key) or {}
        if not isinstance(section, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int | float) for k, v in section.items()
        ):
            raise ValidationFailed({"mapping": f"`{key}:` must map names to names"})
        result.append({str(k): str(v) for k, v in section.items()})
    return result[0], result[1]


def import_runs() -> QuerySet[ImportRun]:
    return ImportRun.objects.select_related("actor").order_by("-started_at", "-id")


def import_run_issues(*, run: ImportRun) -> QuerySet[ImportIssue]:
    return ImportIssue.objects.filter(run=run).order_by("row", "id")
