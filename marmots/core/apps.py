from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "marmots.core"
    label = "core"
