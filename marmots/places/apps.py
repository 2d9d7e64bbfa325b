from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "marmots.places"
    label = "places"
    verbose_name = "Attribution des places"
