"""Réservations: mounted at /portail/reservations/ in the "portal" namespace."""

from django.urls import path, re_path

from . import views_bookings as views

urlpatterns = [
    path("", views.calendar, name="bookings"),
    path("recapitulatif/", views.summary, name="bookings_summary"),
    path("valider/", views.confirm, name="bookings_confirm"),
    path("<int:booking_id>/", views.booking_detail, name="booking"),
    path("<int:booking_id>/annuler/", views.booking_cancel, name="booking_cancel"),
    path("<int:booking_id>/absence/", views.booking_absence, name="booking_absence"),
    path("<int:booking_id>/certificat/", views.booking_certificate, name="booking_certificate"),
    path(
        "demandes/<int:request_id>/retirer/",
        views.request_withdraw,
        name="booking_request_withdraw",
    ),
    path("agenda/renouveler/", views.feed_renew, name="calendar_feed_renew"),
    re_path(
        r"^ical/(?P<secret>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed, name="calendar_feed"
    ),
]
