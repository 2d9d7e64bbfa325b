from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "marmots.payments"
    label = "payments"
    verbose_name = "Paiement en ligne"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
