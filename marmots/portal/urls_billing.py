"""The family's account ("Mon compte"), under /portail/compte/ (namespace "portal")."""

from django.urls import path

from . import views_billing as views
from . import views_certificates as certificates

urlpatterns = [
    path("", views.account, name="account"),
    path("factures/<int:pk>/", views.invoice_detail, name="invoice"),
    path("factures/<int:pk>/pdf/", views.invoice_download, name="invoice_pdf"),
    path("attestations/", certificates.certificate_list, name="certificates"),
    path("attestations/fiscale/", certificates.tax_certificate, name="tax_certificate"),
    path(
        "attestations/presence/<int:child_pk>/",
        certificates.attendance_certificate,
        name="attendance_certificate",
    ),
]
