from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "marmots.api"
    label = "api"
