from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "marmots.families"
    label = "families"
