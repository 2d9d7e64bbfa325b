from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "marmots.backoffice"
    label = "backoffice"
