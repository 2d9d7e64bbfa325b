"""The portal allocation request pages, under /portail/attribution/ (namespace "portal")."""

from django.urls import path

from . import views_allocation as views

urlpatterns = [
    path("", views.allocation, name="allocation"),
    path("<int:period_id>/", views.allocation_period, name="allocation_period"),
    path(
        "demande/<int:request_id>/retirer/",
        views.allocation_withdraw,
        name="allocation_withdraw",
    ),
]
