"""Random bytes and random CSVs never crash the importer and never leave a partial write."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attain.crm.models import Account, Activity, Deal, DealStageChange, Stage
from attain.importers.services import import_run
from attain.metrics.models import PersonDay
from tests.importers.conftest import HUBSPOT_DEALS

pytestmark = pytest.mark.django_db
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "closedwon",
            "closedlost",
            "contractsent",
            "Alice Rep",
            "bob@acme.test",
            "Nobody",
            "2026-05-10 15:00",
            "13/45/2026",
            "1,000.50",
            "-5",
            "EUR",
            "XXX",
            "",
            "9001",
            "0",
        ]
    ),
    st.integers(-(10**6), 10**12).map(str),
)


def _state() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Deal, DealStageChange, Account, Activity, Stage, PersonDay)
    )


def _import(data: bytes, suffix: str, kind: str = "deals"):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        return import_run(actor=None, kind=kind, path=path)


@SETTINGS
@given(
    data=st.binary(max_size=600),
    suffix=st.sampled_from([".csv", ".xlsx", ".txt"]),
    kind=st.sampled_from(["deals", "activities", "accounts", "leads"]),
)
def test_random_bytes_never_crash_or_write(reps, data, suffix, kind):
    before = _state()
    result = import_run_safe(data, suffix, kind)
    assert result.exit_code in (0, 1, 2)
    if not result.committed:
        assert _state() == before


def import_run_safe(data: bytes, suffix: str, kind: str):
    return _import(data, suffix, kind)


@SETTINGS
@given(
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=12), max_size=8),
    columns=st.lists(st.sampled_from(HUBSPOT_DEALS[0]), min_size=1, max_size=10, unique=True),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_random_csvs_never_crash_and_write_all_or_nothing(reps, rows, columns, delimiter, encoding):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([columns, *rows])
    data = buffer.getvalue().encode(encoding, errors="replace")
    before = _state()
    result = _import(data, ".csv")
    assert result.exit_code in (0, 1, 2)
    if not result.committed:
        assert _state() == before
    else:
        assert result.rejected == 0
        assert _state()[0] - before[0] == result.created
