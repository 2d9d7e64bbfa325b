from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "marmots.bookings"
    label = "bookings"
    verbose_name = "Réservations"
