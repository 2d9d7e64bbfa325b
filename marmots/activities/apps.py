from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "marmots.activities"
    label = "activities"
