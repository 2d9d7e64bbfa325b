"""Family portal: online payment and receipts, under /portail/paiement/ (namespace "portal")."""

from django.urls import path

from . import views_payments as views

urlpatterns = [
    path("", views.choose, name="pay"),
    path("recapitulatif/", views.recap, name="pay_recap"),
    path("payer/", views.start, name="pay_start"),
    path("retour/<str:reference>/", views.payment_return, name="payment_return"),
    path("recus/<int:pk>/", views.receipt, name="receipt"),
    path("recus/<int:pk>/pdf/", views.receipt_download, name="receipt_pdf"),
]
