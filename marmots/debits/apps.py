from django.apps import AppConfig


class DebitsConfig(AppConfig):
    name = "marmots.debits"
    label = "debits"
    verbose_name = "Prélèvement SEPA"
