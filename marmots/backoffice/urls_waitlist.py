"""The waiting lists in the back-office, under /gestion/listes-attente/ (namespace "backoffice")."""

from django.urls import path

from . import views_waitlist as waitlist

urlpatterns = [
    path("", waitlist.lines, name="waitlist"),
    path("<int:pk>/en-tete/", waitlist.promote, name="waitlist_promote"),
    path("<int:pk>/retirer/", waitlist.remove, name="waitlist_remove"),
]
