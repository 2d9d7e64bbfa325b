from django.apps import AppConfig


class CheckinConfig(AppConfig):
    name = "marmots.checkin"
    label = "checkin"
    verbose_name = "Pointage et présences"
