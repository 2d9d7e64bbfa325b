"""Back-office: SEPA direct debit, under /gestion/prelevements/ (namespace "backoffice")."""

from django.urls import path

from . import views_debits as views

urlpatterns = [
    path("", views.batches, name="debits"),
    path("preparer/", views.prepare, name="debit_prepare"),
    path("remises/<int:pk>/", views.batch_detail, name="debit_batch"),
    path("remises/<int:pk>/fichier/", views.batch_file, name="debit_batch_file"),
    path("remises/<int:pk>/encaisser/", views.batch_collect, name="debit_batch_collect"),
    path("remises/<int:pk>/annuler/", views.batch_cancel, name="debit_batch_cancel"),
    path("prelevements/<int:pk>/rejeter/", views.item_reject, name="debit_item_reject"),
    path("reglages/", views.settings_page, name="debit_settings"),
    path("mandats/", views.mandates, name="debit_mandates"),
    path("mandats/nouveau/", views.mandate_create, name="debit_mandate_create"),
    path("mandats/<int:pk>/revoquer/", views.mandate_revoke, name="debit_mandate_revoke"),
    path("familles/<int:pk>/", views.family_mandates, name="debit_family"),
]
