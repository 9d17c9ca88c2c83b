"""The role-aware top navigation: each page carries the period along, and a subject that fits."""

from __future__ import annotations

from dataclasses import dataclass

from attain.dashboards.state import PageState


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    current: bool


def nav_items(state: PageState, *, current: str) -> list[NavItem]:
    """Links the viewer may follow. Pages a role has no use for are not offered (and answer 404
    when typed in); the state carried keeps the period and, where it fits, the subject."""
    viewer = state.viewer
    subject = state.subject
    team_subject = subject.spec if subject.kind in ("team", "company") else None
    items: list[tuple[str, str, str]] = []
    if viewer.person is not None:
        mine = f"person:{viewer.person.email}"
        items.append(("me", "My performance", state.url("dashboards:me", subject=mine)))
    if viewer.is_manager or viewer.sees_everything:
        items.append(("team", "Team", state.url("dashboards:team", subject=team_subject)))
    if viewer.sees_everything:
        items.append(("company", "Company", state.url("dashboards:company", subject=None)))
    items.append(
        ("leaderboards", "Leaderboards", state.url("dashboards:leaderboards", subject=team_subject))
    )
    # Pipeline review and data quality keep the subject (a rep's default is themself).
    items.append(("pipeline", "Pipeline", state.url("dashboards:pipeline")))
    items.append(("quality", "Data quality", state.url("dashboards:quality")))
    return [NavItem(key, label, url, key == current) for key, label, url in items]
