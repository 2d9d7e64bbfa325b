from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "marmots.portal"
    label = "portal"
