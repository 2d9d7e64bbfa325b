"""E-mail the reminders due today for unpaid invoices, in every structure (daily, from cron:
`0 9 * * * cd /srv/marmots && .venv/bin/python manage.py send_reminders`). Running it again
the same day sends nothing more."""

from django.core.management.base import BaseCommand

from marmots.activities.models import Structure
from marmots.billing.reminders import queue_reminders


class Command(BaseCommand):
    help = (
        "Relance par e-mail les familles dont une facture impayée a atteint un seuil de "
        "relance (Facturation > Relances). Une seule relance par facture et par seuil."
    )

    def handle(self, *args, **options):
        for structure in Structure.objects.filter(billing_settings__isnull=False).exclude(
            billing_settings__reminder_days=""
        ):
            count = len(queue_reminders(structure))
            self.stdout.write(f"Relances de {structure.name} : {count} relance(s) envoyée(s).")
