"""Family portal: direct debit, under /portail/prelevement/ (namespace "portal")."""

from django.urls import path

from . import views_debits as views

urlpatterns = [
    path("", views.debits, name="debits"),
    path("mandats/<int:pk>/", views.mandate_detail, name="debit_mandate"),
]
