"""Team: the manager's page — tiles for the team, the rep comparison, funnel by rep, trends."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from attain.core.errors import ValidationFailed
from attain.dashboards.comparison import RepTable, parse_columns, rep_table
from attain.dashboards.state import InvalidPageState, PageState, page_state
from attain.dashboards.team_review import team_page as team_content
from attain.dashboards.views.base import dashboard_view, page_context


def _rep_table(request: HttpRequest, state: PageState) -> RepTable:
    """The comparison table the query asks for: `col` (KPI keys), `sort` (column/name), `dir`."""
    sort = (request.GET.get("sort") or "revenue_won").strip().lower()
    direction = (request.GET.get("dir") or "desc").strip().lower()
    if direction not in ("asc", "desc"):
        raise InvalidPageState({"dir": f"{direction!r} is not a direction; use asc or desc."})
    try:
        keys = parse_columns(request.GET.getlist("col"))
    except ValidationFailed as error:
        raise InvalidPageState(error.problems) from None
    if sort != "name" and sort not in keys:
        sort = keys[0]
    show_all = request.GET.get("all", "") == "1"
    return rep_table(state, keys=keys, sort=sort, direction=direction, show_all=show_all)


def _team_state(request: HttpRequest) -> PageState:
    return page_state(request)


@dashboard_view
def team_page(request: HttpRequest) -> HttpResponse:
    """A person picked here opens their My performance page with the same state."""
    state = _team_state(request)
    if state.subject.kind == "person":
        return redirect(state.url("dashboards:me"))
    table = _rep_table(request, state)
    page = team_content(state)
    context = page_context(state, page="team", p=page, table=table, picker_keep=_keep(table))
    return render(request, "dashboards/team.html", context)


def _keep(table: RepTable) -> list[tuple[str, str]]:
    """The table's columns and order survive a change of period or subject."""
    return [("col", ",".join(table.keys)), ("sort", table.sort), ("dir", table.direction)]


@dashboard_view
def rep_table_partial(request: HttpRequest) -> HttpResponse:
    """The comparison table alone, for htmx (KPI selection and sorting)."""
    state = _team_state(request)
    if state.subject.kind == "person":
        return redirect(state.url("dashboards:me"))
    table = _rep_table(request, state)
    response = render(
        request, "dashboards/partials/rep_table.html", page_context(state, page="team", table=table)
    )
    # The address bar shows the whole page with this table, so the link can be shared.
    response["HX-Push-Url"] = state.url("dashboards:team", **dict(_keep(table)))
    return response
