"""`attain import`: table and JSON output, exit codes 0 / 1 / 2, the mapping file."""

from __future__ import annotations

import io
import json

import pytest
from django.core import checks
from django.core.management import call_command, load_command_class
from django.core.management.base import OutputWrapper

from attain.crm.models import Deal
from tests.importers.conftest import HUBSPOT_DEALS

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_json_output_has_the_documented_shape(reps, write_csv):
    code, out, _ = _run("deals", str(write_csv("hs.csv", HUBSPOT_DEALS)), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert {
        "source",
        "dry_run",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "errors",
        "quality",
    } <= set(data)
    assert (data["source"], data["created"], data["dry_run"]) == ("hubspot", 4, False)


def test_rejected_rows_exit_1_and_are_listed(reps, write_csv):
    rows = [list(r) for r in HUBSPOT_DEALS]
    rows[2][3] = "lots"
    code, out, _ = _run("deals", str(write_csv("hs.csv", rows)), "--dry-run")
    assert code == 1
    assert "row 3 Amount 'lots': not an amount" in out and "dry run" in out
    assert Deal.objects.count() == 0


def test_unreadable_file_exits_2(reps, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"")
    code, out, _ = _run("deals", str(path), "--format", "json")
    assert code == 2 and json.loads(out)["errors"][0]["reason"] == "the file is empty"


def test_a_bad_mapping_file_exits_2(reps, write_csv, tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns: [1, 2]\n")
    code, _, err = _run("deals", str(write_csv("hs.csv", HUBSPOT_DEALS)), "--mapping", str(mapping))
    assert code == 2 and "columns" in err


def test_the_mapping_file_renames_columns_and_stages(reps, write_csv, tmp_path):
    rows = [list(r) for r in HUBSPOT_DEALS]
    rows[0][rows[0].index("Deal owner")] = "Rep"
    rows[0][rows[0].index("Deal Stage")] = "Phase"
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        'columns:\n  owner: Rep\n  stage: Phase\nstages:\n  contractsent: "Negotiation"\n'
    )
    code, out, _ = _run("deals", str(write_csv("hs.csv", rows)), "--mapping", str(mapping))
    assert code == 0, out
    assert Deal.objects.get(external_id="9003").stage.name == "Negotiation"


def test_an_import_does_not_wait_for_the_system_checks(reps, write_csv):
    def failing(**kwargs: object) -> list[checks.CheckMessage]:
        return [checks.Error("a developer's problem", id="tests.E001")]

    command = load_command_class("attain.importers", "import")
    command.stdout = OutputWrapper(io.StringIO())
    path = str(write_csv("hs.csv", HUBSPOT_DEALS))
    # As `attain import` runs it: parsed from the command line, so no --skip-checks default.
    options = vars(command.create_parser("attain", "import").parse_args(["deals", path]))
    registered = checks.register(failing)
    try:
        command.execute(**options)
    finally:
        checks.registry.registry.registered_checks.discard(registered)

    assert Deal.objects.count() == 4
