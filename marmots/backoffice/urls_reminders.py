"""Back-office: reminders for unpaid invoices, under /gestion/relances/ (namespace
"backoffice")."""

from django.urls import path

from . import views_reminders as views

urlpatterns = [
    path("", views.reminder_page, name="reminders"),
    path("seuils/", views.thresholds, name="reminders_thresholds"),
    path("envoyer/", views.send, name="reminders_send"),
]
