"""Billing in the back-office, under /gestion/facturation/ (namespace "backoffice")."""

from django.urls import path

from . import views_billing_exports as exports
from . import views_billing_family as family
from . import views_billing_invoices as invoices
from . import views_billing_runs as runs
from . import views_billing_settings as settings

urlpatterns = [
    # Monthly invoicing runs and their anomalies
    path("", runs.runs, name="billing"),
    path("lancer/", runs.run_start, name="billing_run_start"),
    path("mois/<int:pk>/", runs.run_detail, name="billing_run"),
    path("mois/<int:pk>/etat/", runs.run_progress, name="billing_run_progress"),
    path("mois/<int:pk>/recalculer/", runs.run_recompute, name="billing_run_recompute"),
    path("mois/<int:pk>/abandonner/", runs.run_discard, name="billing_run_discard"),
    path("mois/<int:pk>/emettre/", runs.run_issue, name="billing_run_issue"),
    path("anomalies/<int:pk>/vu/", runs.anomaly_review, name="billing_anomaly_review"),
    path(
        "mois/<int:pk>/anomalies/<slug:kind>/vu/",
        runs.anomaly_review_kind,
        name="billing_anomaly_review_kind",
    ),
    # Invoices and credit notes
    path("factures/", invoices.invoice_list, name="billing_invoices"),
    path("factures/<int:pk>/", invoices.invoice_detail, name="billing_invoice"),
    path("factures/<int:pk>/pdf/", invoices.invoice_pdf, name="billing_invoice_pdf"),
    path("factures/<int:pk>/avoir/", invoices.credit_note, name="billing_credit_note"),
    # A family's account
    path("familles/<int:pk>/", family.family_account, name="billing_family"),
    path("familles/<int:pk>/reglements/", family.payment_add, name="billing_payment_add"),
    path(
        "familles/<int:pk>/reglements/affectation/",
        family.payment_allocation,
        name="billing_payment_allocation",
    ),
    path("familles/<int:pk>/avoir/imputer/", family.credit_apply, name="billing_credit_apply"),
    path("reglements/<int:pk>/recu/", family.payment_receipt, name="billing_payment_receipt"),
    # Tariffs, billing settings, third-party aid (views_billing_settings)
    path("tarifs/", settings.tariffs, name="billing_tariffs"),
    path("tarifs/nouveau/", settings.tariff_create, name="billing_tariff_create"),
    path("tarifs/<int:pk>/", settings.tariff_edit, name="billing_tariff_edit"),
    path("tarifs/<int:pk>/nouveau-tarif/", settings.tariff_replace, name="billing_tariff_replace"),
    path("reglages/", settings.billing_settings, name="billing_settings"),
    path("aides/", settings.aids, name="billing_aids"),
    path("aides/nouvelle/", settings.aid_create, name="billing_aid_create"),
    path("aides/<int:pk>/", settings.aid_edit, name="billing_aid_edit"),
    path("aides/<int:pk>/terminer/", settings.aid_end, name="billing_aid_end"),
    # Exports and reports (views_billing_exports)
    path("exports/", exports.exports_page, name="billing_exports"),
    path("exports/<slug:what>.<slug:fmt>", exports.export_file, name="billing_export_file"),
    path("rapport-heures/", exports.hours_page, name="billing_hours"),
    path("aides/a-reclamer/", exports.aid_claims_page, name="billing_aid_claims"),
]
