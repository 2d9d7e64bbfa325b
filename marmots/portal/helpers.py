"""Small helpers shared by the portal views."""

from pathlib import PurePosixPath

from django.http import FileResponse, Http404


def add_errors(form, error):
    """Show an action's ValidationError on the form; unknown fields become general errors."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def file_response(field_file, filename, content_type=None):
    """Send a stored file as an attachment; 404 if the storage lost it."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("Fichier introuvable.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename or PurePosixPath(field_file.name).name,
        content_type=content_type,
    )
