"""Plotly figures as plain dicts (drawn by static/dashboards/dashboards.js with the local plotly).

Numbers go in as strings (`format(Decimal, "f")`): Plotly reads numeric strings on linear axes, so
money never passes through a float on our side.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from attain.metrics.definitions.catalog import Kpi, Unit

STATUS_COLORS = {"on_track": "#059669", "at_risk": "#d97706", "behind": "#dc2626", None: "#94a3b8"}
ACCENT = "#4338ca"
MUTED = "#cbd5e1"
PALETTE = ("#4338ca", "#0891b2", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0d9488", "#ea580c")


def num(value: Decimal | int | None) -> str | None:
    """A chart coordinate: the exact decimal as text, None for "no data" (a gap)."""
    if value is None:
        return None
    return format(Decimal(value), "f")


def _axis_format(kpi: Kpi) -> dict[str, Any]:
    if kpi.unit is Unit.RATIO:
        return {"tickformat": ".0%"}
    if kpi.unit is Unit.MONEY:
        return {"tickformat": "~s"}
    return {}


def sparkline(values: Sequence[Decimal | None], labels: Sequence[str], *, color: str) -> dict:  # type: ignore[type-arg]
    """A small trend line without axes, for a KPI tile."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": list(labels),
                "y": [num(v) for v in values],
                "line": {"color": color, "width": 2, "shape": "spline"},
                "marker": {"size": 4, "color": color},
                "hovertemplate": "%{x}: %{y}<extra></extra>",
                "connectgaps": False,
            }
        ],
        "layout": {
            "margin": {"l": 2, "r": 2, "t": 4, "b": 4},
            "height": 48,
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True, "rangemode": "tozero"},
        },
    }


def trend_lines(
    kpi: Kpi, series: Sequence[tuple[str, Sequence[Decimal | None]]], labels: Sequence[str]
) -> dict:  # type: ignore[type-arg]
    """One or more named lines over the same periods (a KPI's trend for several subjects)."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": list(labels),
                "y": [num(v) for v in values],
                "line": {"color": PALETTE[i % len(PALETTE)], "width": 2},
                "hovertemplate": f"{name} %{{x}}: %{{y}}<extra></extra>",
            }
            for i, (name, values) in enumerate(series)
        ],
        "layout": {
            "height": 220,
            "showlegend": len(series) > 1,
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
            "margin": {"l": 48, "r": 12, "t": 36 if len(series) > 1 else 8, "b": 48},
            "xaxis": {"fixedrange": True, "type": "category"},
            "yaxis": {"fixedrange": True, "rangemode": "tozero", "gridcolor": "#e5e7eb"}
            | _axis_format(kpi),
        },
    }


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    *,
    colors: Sequence[str] | None = None,
    text: Sequence[str] | None = None,
    markers: Sequence[Decimal | None] | None = None,
    money: bool = False,
) -> dict:  # type: ignore[type-arg]
    """Bars, one per label, top to bottom; `markers` draws a target tick on each bar."""
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "y": list(labels),
            "x": [num(v) for v in values],
            "marker": {"color": list(colors) if colors else ACCENT},
            "text": list(text) if text else None,
            "textposition": "auto",
            "hoverinfo": "y+x+text" if text else "y+x",
        }
    ]
    if markers is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "y": list(labels),
                "x": [num(v) for v in markers],
                "marker": {
                    "symbol": "line-ns-open",
                    "size": 22,
                    "color": "#111827",
                    "line": {"width": 3},
                },
                "hovertemplate": "target %{x}<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": {
            "height": max(140, 34 * len(labels) + 40),
            "margin": {"l": 120, "r": 12, "t": 4, "b": 28},
            "yaxis": {"autorange": "reversed", "fixedrange": True, "automargin": True},
            "xaxis": {"fixedrange": True, "gridcolor": "#e5e7eb", "rangemode": "tozero"}
            | ({"tickformat": "~s"} if money else {}),
            "bargap": 0.35,
        },
    }


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[Decimal | None]],
    text: Sequence[Sequence[str]],
) -> dict:  # type: ignore[type-arg]
    """Rows × columns scored 0–1 (0.5 = par): below par red, above green; `text` is shown."""
    return {
        "data": [
            {
                "type": "heatmap",
                "y": list(rows),
                "x": list(columns),
                "z": [[num(v) for v in row] for row in values],
                "text": [list(r) for r in text],
                "texttemplate": "%{text}",
                "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
                "colorscale": [[0, "#fca5a5"], [0.5, "#f8fafc"], [1, "#86efac"]],
                "zmin": 0,
                "zmax": 1,
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
            }
        ],
        "layout": {
            "height": max(160, 30 * len(rows) + 60),
            "margin": {"l": 120, "r": 8, "t": 28, "b": 8},
            "xaxis": {"side": "top", "fixedrange": True, "tickangle": 0},
            "yaxis": {"autorange": "reversed", "fixedrange": True, "automargin": True},
        },
    }
