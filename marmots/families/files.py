"""Uploaded and stored files: what the app accepts, and how it sends them back."""

import uuid
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404

DOCUMENT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
DOCUMENT_KINDS = "un PDF, une image JPEG ou PNG"


def check_upload(uploaded_file, allowed=DOCUMENT_TYPES, what=DOCUMENT_KINDS):
    """The file's MIME type, read from its content (never from its name).

    Raises a French ValidationError when the file is empty, too big or not one of `allowed`.
    """
    limit = settings.MARMOTS_MAX_UPLOAD_BYTES
    if uploaded_file.size == 0:
        raise ValidationError("Le fichier est vide.")
    if uploaded_file.size > limit:
        raise ValidationError(
            f"Le fichier dépasse la taille maximale de {limit // (1024 * 1024)} Mo."
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in allowed:
        raise ValidationError(f"Le fichier doit être {what}.")
    return kind.mime


def stored_name(mime):
    """A fresh, unguessable file name with the extension of `mime` (one of DOCUMENT_TYPES)."""
    return f"{uuid.uuid4().hex}.{DOCUMENT_TYPES[mime]}"


def file_response(field_file, filename=None, content_type=None, *, inline=False):
    """Send a stored file, as an attachment or `inline` (shown by the browser), never cached
    by shared caches; 404 if the storage lost it."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("Fichier introuvable.") from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=filename or PurePosixPath(field_file.name).name,
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
