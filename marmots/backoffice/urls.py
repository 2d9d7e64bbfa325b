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
]
