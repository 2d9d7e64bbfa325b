"""Validate the holiday requests due at their period's opening (run from cron every few minutes)."""

from django.core.management.base import BaseCommand

from marmots.bookings.opening import open_due_periods


class Command(BaseCommand):
    help = (
        "Valide les demandes d'inscription aux vacances dont la période est ouverte, si "
        "l'activité le prévoit et que le dossier est complet. Sans effet si relancée."
    )

    def handle(self, *args, **options):
        run = open_due_periods()
        self.stdout.write(
            f"Ouverture des vacances : {run.validated} inscription(s) validée(s), "
            f"{run.incomplete} demande(s) en attente d'un dossier complet."
        )
