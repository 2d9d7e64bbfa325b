from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "marmots.billing"
    label = "billing"
    verbose_name = "Facturation"
