"""The upload page: admins and managers import a CRM export in the browser.

Flow: pick kind and file (`/imports/new/`) → the file is kept in a private temporary directory
under a random token held in the session → preview with the detected source, an editable column
mapping and the first rows → dry run → import → the run's page. Views only parse the request and
call the importer's selectors and services (D1's `import_preview` / `import_run`).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from attain.core.errors import NotFound, ValidationFailed
from attain.importers.models import ImportKind, ImportRun
from attain.importers.selectors import import_preview
from attain.importers.services import import_run
from attain.importers.sources import SOURCES
from attain.org.models import Role
from attain.org.selectors import person_for_user
from attain.quality.selectors import quality_report

UPLOAD_ROOT_NAME = "attain-uploads"
UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
SESSION_KEY = "importers.uploads"
ERRORS_SHOWN = 200
ISSUES_PER_PAGE = 100
IMPORTER_ROLES = (Role.ADMIN, Role.MANAGER)

View = Callable[..., HttpResponse]


def importer_required(view: View) -> View:
    """Signed in, and an admin or manager (or Django staff); everyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = person_for_user(request.user)
        allowed = request.user.is_staff or (person is not None and person.role in IMPORTER_ROLES)
        if not allowed:
            raise PermissionDenied("Imports are for administrators and managers.")
        request.person = person  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"person": getattr(request, "person", None), **extra}


# ------------------------------------------------------------------ runs


@importer_required
def run_list(request: HttpRequest) -> HttpResponse:
    runs = ImportRun.objects.select_related("actor").order_by("-started_at", "-id")
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(request, "importers/run_list.html", _context(request, page=page))


@importer_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.select_related("actor"), pk=run_id)
    issues = Paginator(run.issues.order_by("row", "id"), ISSUES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "importers/run_detail.html", _context(request, run=run, issues=issues))


@importer_required
def quality_panel(request: HttpRequest) -> HttpResponse:
    """The data-quality report as a fragment; the run page loads it with htmx after render."""
    try:
        report = quality_report(limit_examples=5)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "importers/_quality.html", {"report": report.as_dict()})


# ------------------------------------------------------------------ upload → preview → import


def _upload_root() -> Path:
    root = Path(tempfile.gettempdir()) / UPLOAD_ROOT_NAME
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def _sweep_old_uploads(root: Path) -> None:
    """Uploads nobody finished (closed tab, lost session) go after a day."""
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for entry in root.iterdir():
        try:
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def _stored_name(name: str) -> str:
    """The uploaded file's own name (the run records it), minus anything path-like.

    It lands in a fresh private directory, so only separators, control characters and leading
    dots matter; spaces and accents stay as the person named the file.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")[-200:]
    suffix = Path(name).suffix.lower()
    return (
        base if base.lower().endswith(suffix) and base != suffix.lstrip(".") else f"upload{suffix}"
    )


def _upload_get(request: HttpRequest, token: str) -> dict[str, Any]:
    """The session's record of an upload; another session's token is simply not found."""
    upload = request.session.get(SESSION_KEY, {}).get(token)
    if upload is None or not Path(upload["path"]).is_file():
        raise Http404("This upload has expired or was already imported; upload the file again.")
    return dict(upload)


def _upload_forget(request: HttpRequest, token: str) -> None:
    uploads = dict(request.session.get(SESSION_KEY, {}))
    upload = uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    if upload is not None:
        shutil.rmtree(Path(upload["path"]).parent, ignore_errors=True)


@importer_required
@require_http_methods(["GET", "POST"])
def upload_new(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    kind = request.POST.get("kind", "")
    source = request.POST.get("source", "auto")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if kind not in ImportKind.values:
            errors["kind"] = "Choose what the file holds."
        if source != "auto" and source not in SOURCES:
            errors["source"] = "Choose a source or leave it on automatic."
        if upload is None:
            errors["file"] = "Choose a CSV or XLSX file."
        elif Path(upload.name or "").suffix.lower() not in UPLOAD_SUFFIXES:
            errors["file"] = f"{upload.name} is not a CSV or XLSX file."
        elif not upload.size:
            errors["file"] = f"{upload.name} is empty."
        if not errors and upload is not None:
            root = _upload_root()
            _sweep_old_uploads(root)
            token = secrets.token_urlsafe(16)
            folder = root / token
            folder.mkdir(mode=0o700)
            path = folder / _stored_name(upload.name or "")
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            uploads = dict(request.session.get(SESSION_KEY, {}))
            uploads[token] = {
                "path": str(path),
                "name": upload.name,
                "kind": kind,
                "source": source,
                "mapping": {},
            }
            request.session[SESSION_KEY] = uploads
            return redirect("importers:upload_preview", token=token)
    return render(
        request,
        "importers/upload_new.html",
        _context(
            request,
            kinds=ImportKind.choices,
            sources=[(key, src.label) for key, src in SOURCES.items()],
            kind=kind,
            source=source,
            errors=errors,
        ),
        status=400 if errors else 200,
    )


def _mapping_from_post(request: HttpRequest, fields: list[str]) -> dict[str, str]:
    return {f: request.POST[f"map-{f}"] for f in fields if request.POST.get(f"map-{f}")}


@importer_required
@require_http_methods(["GET", "POST"])
def upload_preview(request: HttpRequest, token: str) -> HttpResponse:
    """Preview, re-map, dry-run, import or cancel one uploaded file."""
    upload = _upload_get(request, token)
    path = Path(upload["path"])
    action = request.POST.get("action", "preview") if request.method == "POST" else "preview"
    if action == "cancel":
        _upload_forget(request, token)
        messages.info(request, f"Cancelled; {upload['name']} was discarded.")
        return redirect("importers:run_list")

    preview = import_preview(
        kind=upload["kind"],
        path=path,
        source=upload["source"],
        mapping=upload["mapping"] or None,
    )
    if request.method == "POST":
        mapping = _mapping_from_post(request, preview.fields)
        if mapping != preview.mapping:
            upload["mapping"] = mapping
            uploads = dict(request.session.get(SESSION_KEY, {}))
            uploads[token] = upload
            request.session[SESSION_KEY] = uploads
            preview = import_preview(
                kind=upload["kind"], path=path, source=upload["source"], mapping=mapping or None
            )
    options = {
        "skip_bad_rows": request.POST.get("skip_bad_rows") == "on",
        "create_missing_people": request.POST.get("create_missing_people") == "on",
    }
    result = None
    if action in ("dry_run", "import"):
        try:
            result = import_run(
                actor=request.user,  # type: ignore[arg-type]
                kind=upload["kind"],
                path=path,
                source=preview.source,
                mapping=upload["mapping"] or None,
                dry_run=action == "dry_run",
                skip_bad_rows=options["skip_bad_rows"],
                create_missing_people=options["create_missing_people"],
            )
        except ValidationFailed as exc:
            messages.error(request, str(exc))
        if result is not None and action == "import" and result.run_id is not None:
            _upload_forget(request, token)
            if result.committed:
                messages.success(
                    request,
                    f"Imported {upload['name']}: {result.created:,} created, "
                    f"{result.updated:,} updated, {result.unchanged:,} unchanged, "
                    f"{result.rejected:,} rejected.",
                )
            else:
                messages.error(request, f"Nothing was imported from {upload['name']}; see why.")
            return redirect("importers:run_detail", run_id=result.run_id)
    header_choices = preview.headers
    return render(
        request,
        "importers/upload_preview.html",
        _context(
            request,
            token=token,
            upload=upload,
            preview=preview,
            mapping_rows=[
                (f, preview.mapping.get(f, ""), f in preview.missing_required)
                for f in preview.fields
            ],
            header_choices=header_choices,
            sample_rows=[[row.get(h, "") for h in preview.headers] for row in preview.rows],
            source_label=SOURCES[preview.source].label if preview.source in SOURCES else "",
            result=result,
            errors=result.errors[:ERRORS_SHOWN] if result else [],
            options=options,
            action=action,
        ),
    )
