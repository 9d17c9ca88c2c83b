"""Leaderboards: any KPI for reps and teams, raw and normalised (per FTE, per working day)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attain.core.errors import NotFound
from attain.dashboards.leaderboards import BOARDS, NORMALISATIONS, Board, leaderboard
from attain.dashboards.state import InvalidPageState, PageState, page_state
from attain.dashboards.views.base import dashboard_view, page_context
from attain.metrics.selectors import kpi_catalog, kpi_get


def _board(request: HttpRequest, state: PageState) -> Board:
    """`kpi` (any catalog key), `board` (reps or teams), `norm` (raw, fte or day)."""
    key = (request.GET.get("kpi") or "revenue_won").strip().lower()
    board = (request.GET.get("board") or "reps").strip().lower()
    norm = (request.GET.get("norm") or "raw").strip().lower()
    problems = {}
    try:
        kpi_get(key)
    except NotFound as error:
        problems["kpi"] = str(error)
    if board not in BOARDS:
        problems["board"] = f"{board!r} is not a board; use {' or '.join(BOARDS)}."
    if norm not in NORMALISATIONS:
        problems["norm"] = f"{norm!r} is not a normalisation; use {', '.join(NORMALISATIONS)}."
    if problems:
        raise InvalidPageState(problems)
    show_all = request.GET.get("all", "") == "1"
    return leaderboard(state, key=key, board=board, norm=norm, show_all=show_all)


def _context(state: PageState, board: Board) -> dict[str, object]:
    return page_context(
        state,
        page="leaderboards",
        b=board,
        kpis=kpi_catalog(),
        boards=BOARDS,
        norms=NORMALISATIONS,
        picker_keep=[("kpi", board.kpi.key), ("board", board.board), ("norm", board.norm)],
    )


@dashboard_view
def leaderboards_page(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    return render(request, "dashboards/leaderboards.html", _context(state, _board(request, state)))


@dashboard_view
def leaderboard_table(request: HttpRequest) -> HttpResponse:
    """The board alone, for htmx when the KPI, board or normalisation changes."""
    state = page_state(request)
    board = _board(request, state)
    response = render(request, "dashboards/partials/leaderboard_table.html", _context(state, board))
    # The address bar shows the whole page with this board, so the link can be shared.
    response["HX-Push-Url"] = state.url(
        "dashboards:leaderboards", kpi=board.kpi.key, board=board.board, norm=board.norm
    )
    return response
