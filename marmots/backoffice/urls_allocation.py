"""The allocation of places, under /gestion/attribution/ (namespace "backoffice")."""

from django.urls import path

from . import views_allocation as views

urlpatterns = [
    path("", views.allocations, name="allocations"),
    path("<int:period_id>/reglages/", views.allocation_settings, name="allocation_settings"),
    path("<int:period_id>/", views.allocation_requests, name="allocation_requests"),
    path("<int:period_id>/calculer/", views.allocation_propose, name="allocation_propose"),
    path("<int:period_id>/proposition/", views.allocation_proposal, name="allocation_proposal"),
    path(
        "<int:period_id>/voeux/<int:wish_id>/",
        views.allocation_adjust,
        name="allocation_adjust",
    ),
    path("<int:period_id>/confirmer/", views.allocation_confirm, name="allocation_confirm"),
    path("<int:period_id>/resultat/", views.allocation_result, name="allocation_result"),
]
