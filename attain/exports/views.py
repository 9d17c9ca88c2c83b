"""Export downloads: `/export/<kind>.<csv|xlsx>?period=…`, scoped to what the person may see."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from attain.core.errors import AttainError
from attain.core.periods import PeriodError
from attain.exports.selectors import (
    EXPORT_KINDS,
    NOTHING,
    export_columns,
    export_rows,
    export_scope,
)
from attain.exports.writers import CONTENT_TYPES, FORMATS, csv_lines, xlsx_write
from attain.org.selectors import period_parse


@require_GET
@login_required
def export_download(request: HttpRequest, kind: str, fmt: str) -> HttpResponseBase:
    """Stream a CSV, or send an XLSX written to a temporary file in constant memory."""
    if kind not in EXPORT_KINDS or fmt not in FORMATS:
        raise Http404("No such export.")
    scope = export_scope(user=request.user)
    if scope == NOTHING:
        return HttpResponse("Exports need a person record with a role.", status=403)
    period_text = request.GET.get("period", "").strip()
    try:
        period = period_parse(period_text) if period_text else None
        columns = export_columns(kind)
        rows = export_rows(kind=kind, period=period, scope=scope)
        # Fail on a bad request before the first byte goes out, not halfway through the stream.
        first = next(rows, None)
    except (PeriodError, AttainError) as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    stem = f"{kind}-{period.label}" if period else kind
    filename = f"attain-{stem}.{fmt}".replace(" ", "_")

    def all_rows() -> Iterator[list[str]]:
        if first is not None:
            yield first
            yield from rows

    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_lines(columns, all_rows()), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # Deleted when FileResponse closes it at the end of the response.
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    xlsx_write(Path(handle.name), columns, all_rows(), sheet=kind)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"]
    )
