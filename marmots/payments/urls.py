"""Public payment endpoints: the providers' notifications and, in demo mode only, the simulated
bank (namespace "payments")."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path(
        "notification/<int:structure_pk>/<slug:kind>/",
        views.notify,
        name="notify",
    ),
    path("banque-simulee/", views.demo_bank_page, name="demo_bank"),
]
