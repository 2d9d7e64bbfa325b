"""The JSON API, version 1. Its OpenAPI schema is served at /api/v1/openapi.json.

Callers authenticate with a bearer token (POST /auth/token) or with the portal's session and
its CSRF token. Errors always answer {"detail": "<message en français>"}.
"""

from ninja import NinjaAPI

from . import errors
from .auth import default_auth
from .routers import allocation, bookings, family, kiosk, manager, tokens, waitlist

api = NinjaAPI(
    title="Marmots API",
    version="1",
    description=(
        "API du portail famille, du back-office et de la tablette de pointage. "
        "Authentification : jeton d'accès (POST /api/v1/auth/token, puis en-tête "
        "« Authorization: Bearer <jeton> ») ou session du navigateur avec son jeton CSRF. "
        'Les erreurs répondent {"detail": "message en français"}.'
    ),
    urls_namespace="api",
    auth=default_auth,
)
errors.install(api)


@api.get("/health", auth=None, summary="État du service")
def health(request):
    return {"status": "ok"}


api.add_router("/auth", tokens.router)
api.add_router("/", family.router)
api.add_router("/manager", manager.router)
api.add_router("/", bookings.router)
api.add_router("/kiosk", kiosk.router)
api.add_router("/", waitlist.router)
api.add_router("/", allocation.router)
