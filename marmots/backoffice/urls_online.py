"""Back-office: online card payment, under /gestion/paiement-en-ligne/ (namespace
"backoffice")."""

from django.urls import path

from . import views_online as views

urlpatterns = [
    path("", views.attempts, name="online_payments"),
    path("notifications/", views.notifications, name="online_notifications"),
    path("reglages/", views.provider_settings, name="online_settings"),
]
