"""The JSON API, version 1. Its OpenAPI schema is served at /api/v1/openapi.json."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Marmots API",
    version="1",
    description="API du portail famille, du back-office et de la tablette de pointage.",
    urls_namespace="api",
)


@api.get("/health", auth=None, summary="État du service")
def health(request):
    return {"status": "ok"}
