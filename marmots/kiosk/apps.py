from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "marmots.kiosk"
    label = "kiosk"
    verbose_name = "Tablette de pointage"
