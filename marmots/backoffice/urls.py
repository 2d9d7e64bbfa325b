from django.urls import include, path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("marmots.backoffice.urls_main")),
    path("inscriptions/", include("marmots.backoffice.urls_enrollments")),
    path("reservations/", include("marmots.backoffice.urls_bookings")),
    path("pointage/", include("marmots.backoffice.urls_checkin")),
    path("facturation/", include("marmots.backoffice.urls_billing")),
    path("paiement-en-ligne/", include("marmots.backoffice.urls_online")),
    path("remises/", include("marmots.backoffice.urls_deposits")),
    path("prelevements/", include("marmots.backoffice.urls_debits")),
    path("relances/", include("marmots.backoffice.urls_reminders")),
    path("listes-attente/", include("marmots.backoffice.urls_waitlist")),
    path("attribution/", include("marmots.backoffice.urls_allocation")),
]
