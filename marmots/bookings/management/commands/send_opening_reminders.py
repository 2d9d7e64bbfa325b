"""E-mail the families the day before a holiday period opens (run from cron once a day)."""

from django.core.management.base import BaseCommand

from marmots.bookings.opening import send_opening_reminders


class Command(BaseCommand):
    help = (
        "Rappelle par e-mail aux familles inscrites (ou en attente) l'ouverture des "
        "réservations des vacances qui ouvrent demain. Une seule fois par famille et période."
    )

    def handle(self, *args, **options):
        count = send_opening_reminders()
        self.stdout.write(f"Rappels d'ouverture des vacances : {count} famille(s) prévenue(s).")
