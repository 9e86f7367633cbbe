"""The download of a data export, shared by the HTML view and the API."""

from pathlib import Path

from django.http import FileResponse, Http404

from handover.models import DataExport
from handover.rights.export import export_file_name, export_folder


def data_export_response(export: DataExport) -> FileResponse:
    """Serve a ready export (already access-checked) as a zip attachment, never sniffed.

    404 when its file is not where Tacit keeps it (deleted, or a row that names a path
    outside the export's folder).
    """
    folder = export_folder(export.pk).resolve()
    path = Path(export.path).resolve() if export.path else None
    if path is None or path.parent != folder or not path.is_file():
        raise Http404("The export's file is gone.")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=export_file_name(export),
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
