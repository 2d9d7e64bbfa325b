from django.urls import include, path

from . import views

app_name = "portal"

# Family pages (identity, family, details, documents, dashboard) and enrollment pages live in
# their own url modules so that each part can grow on its own.
urlpatterns = [
    path("", views.public_home, name="public_home"),
    path("portail/", views.home, name="home"),
    path("", include("marmots.portal.urls_family")),
    path("portail/inscriptions/", include("marmots.portal.urls_enrollments")),
    path("portail/reservations/", include("marmots.portal.urls_bookings")),
    path("portail/semaine-type/", include("marmots.portal.urls_weekly")),
    path("portail/pointage/", include("marmots.portal.urls_checkin")),
    path("portail/compte/", include("marmots.portal.urls_billing")),
    path("portail/paiement/", include("marmots.portal.urls_payments")),
    path("portail/prelevement/", include("marmots.portal.urls_debits")),
    path("portail/liste-attente/", include("marmots.portal.urls_waitlist")),
    path("portail/attribution/", include("marmots.portal.urls_allocation")),
]
