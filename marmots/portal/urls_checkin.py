"""Pointage à la tablette: mounted at /portail/pointage/ in the "portal" namespace."""

from django.urls import path

from . import views_checkin as views

urlpatterns = [
    path("", views.checkin, name="checkin"),
    path("code/", views.pin, name="checkin_pin"),
    path("carte/", views.card, name="checkin_card"),
    path("carte/renouveler/", views.card_renew, name="checkin_card_renew"),
]
