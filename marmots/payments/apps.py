from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "marmots.payments"
    label = "payments"
    verbose_name = "Paiement en ligne"
