"""The upload page: who may use it, and the upload → preview → dry run → import flow."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from attain.crm.models import Deal
from attain.importers.models import ImportRun
from attain.importers.views import SESSION_KEY, _stored_name
from attain.org.models import Person
from tests.importers.conftest import SALESFORCE_DEALS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads land under this test's own temp dir, so none outlive the test run."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def csv_file(rows: list[list[str]], name: str = "opportunities.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode("utf-8"), content_type="text/csv")


def signed_in(person: Person) -> Client:
    client = Client()
    assert person.user is not None
    client.force_login(person.user)
    return client


def upload(client: Client, rows: list[list[str]], kind: str = "deals") -> str:
    """Upload a file and return the preview page's URL."""
    response = client.post(reverse("importers:upload_new"), {"kind": kind, "file": csv_file(rows)})
    assert response.status_code == 302, response.content.decode()[:500]
    return str(response["Location"])


def upload_path(client: Client) -> Path:
    (upload,) = client.session[SESSION_KEY].values()
    return Path(upload["path"])


PAGES = ["importers:run_list", "importers:upload_new", "importers:quality_panel"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(page: str, org: object) -> None:
    response = Client().get(reverse(page))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["alice", "eve", "frank"])
def test_reps_executives_and_finance_are_refused(
    page: str, who: str, request: pytest.FixtureRequest
) -> None:
    person: Person = request.getfixturevalue(who)
    assert signed_in(person).get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["maria", "adam"])
def test_managers_and_admins_may_import(
    page: str, who: str, request: pytest.FixtureRequest
) -> None:
    person: Person = request.getfixturevalue(who)
    assert signed_in(person).get(reverse(page)).status_code == 200


def test_staff_without_person_may_import(org: object) -> None:
    staff = User.objects.create_user("ops", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("importers:run_list")).status_code == 200


def test_rep_cannot_see_a_run(reps: dict[str, Person], maria: Person) -> None:
    client = signed_in(maria)
    client.post(upload(client, SALESFORCE_DEALS), {"action": "import"})
    run = ImportRun.objects.get()
    assert (
        signed_in(reps["alice"]).get(reverse("importers:run_detail", args=[run.pk])).status_code
        == 403
    )


def test_preview_dry_run_then_import(
    reps: dict[str, Person], usd_rate: None, maria: Person
) -> None:
    client = signed_in(maria)
    preview_url = upload(client, SALESFORCE_DEALS)
    stored = upload_path(client)
    assert stored.is_file()

    page = client.get(preview_url).content.decode()
    assert "Salesforce" in page
    assert '<option value="Opportunity Name" selected>' in page  # the detected mapping
    assert "Globex expansion" in page  # first rows

    page = client.post(preview_url, {"action": "dry_run"}).content.decode()
    assert "Dry run: nothing was written" in page
    assert "Every row is valid" in page
    assert Deal.objects.count() == 0 and ImportRun.objects.count() == 0

    response = client.post(preview_url, {"action": "import"})
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("importers:run_detail", args=[run.pk])
    assert Deal.objects.count() == 5 and run.created == 5
    assert run.actor == maria.user
    assert not stored.exists()  # the upload is deleted once imported
    assert client.get(preview_url).status_code == 404

    detail = client.get(response["Location"]).content.decode()
    assert "opportunities.csv" in detail and "Every row was read without a problem" in detail
    listing = client.get(reverse("importers:run_list")).content.decode()
    assert "opportunities.csv" in listing


def test_malformed_file_shows_row_errors_and_writes_nothing(
    reps: dict[str, Person], maria: Person
) -> None:
    rows = [list(r) for r in SALESFORCE_DEALS]
    rows[2][5] = "lots"  # Amount
    rows[3][8] = "31/31/2026"  # Created Date
    client = signed_in(maria)
    preview_url = upload(client, rows)

    page = client.post(preview_url, {"action": "dry_run"}).content.decode()
    assert "would be refused" in page
    assert "lots" in page and "31/31/2026" in page
    assert '<td data-label="Row" class="num">3</td>' in page
    assert '<td data-label="Row" class="num">4</td>' in page

    response = client.post(preview_url, {"action": "import"})
    run = ImportRun.objects.get()
    assert Deal.objects.count() == 0
    assert run.rejected == 2 and run.issues.count() == 2
    detail = client.get(response["Location"]).content.decode()
    assert "lots" in detail and "31/31/2026" in detail


def test_skip_bad_rows_imports_the_good_ones(reps: dict[str, Person], maria: Person) -> None:
    rows = [list(r) for r in SALESFORCE_DEALS]
    rows[2][5] = "lots"
    client = signed_in(maria)
    preview_url = upload(client, rows)

    client.post(preview_url, {"action": "import", "skip_bad_rows": "on"})

    assert Deal.objects.count() == 3  # the USD deal has no rate here, like the bad amount
    run = ImportRun.objects.get()
    assert run.created == 3 and run.rejected == 2


def test_mapping_edit_fills_a_missing_column(reps: dict[str, Person], maria: Person) -> None:
    rows = [list(r) for r in SALESFORCE_DEALS]
    rows[0][2] = "Deal Label"  # not a header any source knows for the name
    client = signed_in(maria)
    preview_url = upload(client, rows)
    assert "Required fields without a column: name" in client.get(preview_url).content.decode()

    page = client.post(
        preview_url, {"action": "preview", "map-name": "Deal Label"}
    ).content.decode()

    assert "Required fields without a column" not in page
    assert '<option value="Deal Label" selected>' in page


def test_cancel_discards_the_upload(maria: Person, org: object) -> None:
    client = signed_in(maria)
    preview_url = upload(client, SALESFORCE_DEALS)
    stored = upload_path(client)

    response = client.post(preview_url, {"action": "cancel"})

    assert response.status_code == 302 and not stored.exists()


def test_another_session_cannot_use_the_upload(maria: Person, sam: Person, org: object) -> None:
    preview_url = upload(signed_in(maria), SALESFORCE_DEALS)
    assert signed_in(sam).get(preview_url).status_code == 404


def test_upload_form_names_what_is_wrong(maria: Person, org: object) -> None:
    client = signed_in(maria)
    response = client.post(
        reverse("importers:upload_new"),
        {"kind": "", "file": SimpleUploadedFile("notes.pdf", b"%PDF")},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose what the file holds." in page
    assert "notes.pdf is not a CSV or XLSX file." in page


def test_upload_needs_csrf(maria: Person, org: object) -> None:
    client = Client(enforce_csrf_checks=True)
    assert maria.user is not None
    client.force_login(maria.user)
    response = client.post(
        reverse("importers:upload_new"), {"kind": "deals", "file": csv_file(SALESFORCE_DEALS)}
    )
    assert response.status_code == 403


def test_imports_link_in_the_menu_for_managers_only(maria: Person, alice: Person) -> None:
    link = f'href="{reverse("importers:run_list")}"'
    assert link in signed_in(maria).get(reverse("home")).content.decode()
    assert link not in signed_in(alice).get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    ("uploaded", "stored"),
    [
        ("Opportunities Q1.csv", "Opportunities Q1.csv"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\maria\\Exports\\Deals – März.xlsx", "Deals – März.xlsx"),
        ("..csv", "upload.csv"),
        ("\x00evil.csv", "evil.csv"),
    ],
)
def test_uploads_keep_their_name_but_nothing_path_like(uploaded: str, stored: str) -> None:
    assert _stored_name(uploaded) == stored
