"""Fixtures for the pipeline review, deal, data quality and records pages (W2's pages).

They reuse the hand-checked sales history of tests/metrics/conftest.py (read its docstring) with
"today" pinned to 10 Jul 2026, when two deals are open:

- Delta (Alice, North): Proposal since 1 May, last activity 12 May (stall limit 30 → stalled),
  expected close 20 Jun (past), no next step.
- Eta (Carol, South): Qualification since 1 Jun (limit 45 → not stalled), expected close 30 May
  (past), next step "Call back".
Bob moved from North to South on 15 May, so North today is Maria and Alice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from attain.org.models import Person
from tests.metrics.conftest import TODAY, History, ctx, history, q2

__all__ = ["TODAY", "History", "client_for", "ctx", "history", "pinned", "q2"]


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pages see 10 Jul 2026 as today, like the metrics fixtures."""
    monkeypatch.setattr("attain.dashboards.state.pinned_today", lambda: TODAY)
    yield


def client_for(person: Person) -> Client:
    client = Client()
    assert person.user is not None
    client.force_login(person.user)
    return client
