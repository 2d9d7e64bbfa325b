from django.urls import include, path

from marmots.api.api import api

urlpatterns = [
    path("compte/", include("marmots.accounts.urls")),
    path("gestion/", include("marmots.backoffice.urls")),
    path("api/v1/", api.urls),
    path("kiosque/", include("marmots.kiosk.urls")),
    path("paiement/", include("marmots.payments.urls")),
    path("", include("marmots.portal.urls")),
]
