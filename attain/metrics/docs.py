"""docs/kpis.md is generated from the catalog, so the documentation cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from attain.metrics.definitions.catalog import AGGREGATION_TEXT, CATALOG, Category

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"

CATEGORY_TITLES = {
    Category.RESULTS: "Results",
    Category.PIPELINE: "Pipeline",
    Category.ACTIVITY: "Activity",
    Category.DATA_QUALITY: "Data quality",
}


def render_kpi_doc() -> str:
    lines = [
        "# KPI catalog",
        "",
        "Generated from `attain/metrics/definitions/catalog.py` by "
        "`attain kpi docs` — do not edit by hand (a test fails when it is stale).",
        "",
        "Every KPI can be asked for a person, a team (its whole subtree, each record counted in",
        "the team its owner belonged to on the record's local date) or the company, for any",
        "period: `attain kpi value KEY --subject team:North --period FY2026-Q2`. Ratios are",
        "recomputed from summed parts, never averaged; a ratio with a zero denominator is",
        '"no data". Money is in the organisation\'s base currency.',
        "",
    ]
    for category, title in CATEGORY_TITLES.items():
        lines += [f"## {title}", ""]
        lines += ["| key | KPI | unit | better | kind | formula |", "|---|---|---|---|---|---|"]
        for kpi in CATALOG:
            if kpi.category is category:
                lines.append(
                    f"| `{kpi.key}` | {kpi.label} | {kpi.unit.value} | {kpi.direction.value} "
                    f"| {kpi.indicator.value} | {kpi.formula} |"
                )
        lines.append("")
    lines += ["## Definitions", ""]
    for kpi in CATALOG:
        lines += [
            f"### `{kpi.key}` — {kpi.label}",
            "",
            kpi.description,
            "",
            f"- Formula: {kpi.formula}",
            f"- Aggregation: {AGGREGATION_TEXT[kpi.aggregation]}",
            f"- Records behind it (drill-down): `{kpi.records}`",
        ]
        if kpi.facts:
            lines.append(f"- Rollup facts: {', '.join(f'`{f}`' for f in kpi.facts)}")
        if kpi.target_key:
            lines.append(f"- Measured against the `{kpi.target_key}` target (100 % = on target)")
        lines.append("")
    return "\n".join(lines)


def write_kpi_doc(path: Path = DOC_PATH) -> Path:
    path.write_text(render_kpi_doc(), encoding="utf-8")
    return path
