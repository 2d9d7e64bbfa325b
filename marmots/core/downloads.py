"""File downloads built in memory (PDFs, exports)."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def attachment(content, filename, content_type="application/pdf"):
    """A response the browser saves as `filename` (non-ASCII names encoded per RFC 6266)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response
