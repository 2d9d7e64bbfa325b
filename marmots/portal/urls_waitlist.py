"""Liste d'attente: mounted at /portail/liste-attente/ in the "portal" namespace. The offer
link is the one the offer e-mail carries (bookings.tasks.OFFER_PATH)."""

from django.urls import path, re_path

from . import views_waitlist as views

urlpatterns = [
    path("", views.waitlist_page, name="waitlist"),
    path("<int:entry_id>/quitter/", views.waitlist_leave, name="waitlist_leave"),
    re_path(r"^offre/(?P<token>[A-Za-z0-9_-]{1,64})/$", views.offer, name="waitlist_offer"),
]
