"""One error format for the whole API: {"detail": "<message en français>"}.

Schema validation errors also carry `errors`, a list of {"field", "message"} for programs.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .schemas import NUL_CHARACTER

# Ninja's own English messages, and what the API says instead.
TRANSLATIONS = {
    "Unauthorized": "Authentification requise : connectez-vous ou envoyez un jeton d'accès.",
    "Forbidden": "Accès refusé.",
    "Cannot parse request body": "Le corps de la requête n'est pas un JSON valide.",
    "Too many requests.": "Trop de requêtes : réessayez dans quelques minutes.",
}

PYDANTIC_MESSAGES = {
    "missing": "champ obligatoire",
    "date_from_datetime_parsing": "date invalide (format attendu : AAAA-MM-JJ)",
    "date_parsing": "date invalide (format attendu : AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date invalide (format attendu : AAAA-MM-JJ)",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "string_type": "texte attendu",
    "string_too_long": "texte trop long",
    "string_too_short": "ne peut pas être vide",
    "literal_error": "valeur non autorisée",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "extra_forbidden": "champ inconnu",
    "nul_character": NUL_CHARACTER,
}


def error_body(message):
    return {"detail": message}


def _field(error):
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "data")]
    return ".".join(loc) or "corps"


def describe_validation_errors(errors):
    """French messages for pydantic errors, one per field."""
    return [
        {"field": _field(e), "message": PYDANTIC_MESSAGES.get(e.get("type"), "valeur invalide")}
        for e in errors
    ]


def django_messages(exc):
    return " ".join(str(m) for m in exc.messages) or "Données invalides."


def install(api):
    """Register the French error handlers on a NinjaAPI instance."""

    def respond(request, message, status, **extra):
        response = api.create_response(request, {**error_body(message), **extra}, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="marmots"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return respond(request, TRANSLATIONS.get(exc.message, exc.message), exc.status_code)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return respond(request, TRANSLATIONS.get(exc.message, exc.message), 401)

    @api.exception_handler(ValidationError)
    def schema_error(request, exc):
        errors = describe_validation_errors(exc.errors)
        summary = " ; ".join(f"{e['field']} : {e['message']}" for e in errors)
        return respond(request, f"Données invalides. {summary}.", 422, errors=errors)

    @api.exception_handler(DjangoValidationError)
    def rule_error(request, exc):
        return respond(request, django_messages(exc), 422)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, str(exc) or "Introuvable.", 404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, str(exc) or "Accès refusé.", 403)
