"""The bookings back-office, under /gestion/reservations/ (namespace "backoffice")."""

from django.urls import path
from django.views.generic import RedirectView

from . import views_booking_decisions as decisions
from . import views_bookings as bookings
from . import views_registers as registers

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backoffice:booking_register"), name="bookings"),
    path("registre/", registers.register, name="booking_register"),
    path("remplissage/", registers.fill_rate, name="booking_fill"),
    path("remplissage/places/", decisions.day_capacity, name="booking_day_capacity"),
    path("enfant/", bookings.children, name="booking_children"),
    path("enfant/<int:pk>/", bookings.child_bookings, name="booking_child"),
    path("enfant/<int:pk>/modifier/", bookings.child_bookings_change, name="booking_child_change"),
    path("excuses/", decisions.excuses, name="booking_excuses"),
    path("excuses/<int:pk>/excuser/", decisions.excuse, name="booking_excuse"),
    path("excuses/<int:pk>/approuver/", decisions.approve_certificate, name="booking_approve"),
    path("excuses/<int:pk>/certificat/", decisions.certificate_file, name="booking_certificate"),
    path("demandes/", decisions.booking_requests, name="booking_requests"),
    path("demandes/<int:pk>/decision/", decisions.booking_request_decide, name="booking_decide"),
]
