"""Semaine type: mounted at /portail/semaine-type/ in the "portal" namespace."""

from django.urls import path

from . import views_weekly as views

urlpatterns = [
    path("", views.weekly_index, name="weekly_index"),
    path("appliquer/", views.weekly_apply, name="weekly_apply"),
    path("<int:child_id>/", views.weekly_edit, name="weekly"),
]
