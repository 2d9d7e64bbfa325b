"""Create or update a structure's school-year and holiday periods from the official calendar."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from marmots.activities.calendar import CREATED, UNCHANGED, UPDATED, sync_school_year
from marmots.activities.models import Structure

STATUS_LABELS = {CREATED: "créée", UPDATED: "mise à jour", UNCHANGED: "inchangée"}


class Command(BaseCommand):
    help = (
        "Crée ou met à jour l'année scolaire et les périodes de vacances de la zone de la "
        "structure (données du paquet vacances-scolaires-france, sans connexion)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--structure", required=True, help="identifiant (slug) de la structure")
        parser.add_argument("--school-year", required=True, help="année scolaire, ex. 2026-2027")

    def handle(self, *args, structure, school_year, **options):
        found = Structure.objects.filter(slug=structure).first()
        if found is None:
            raise CommandError(f"Structure inconnue : « {structure} ».")
        try:
            results = sync_school_year(found, school_year)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for period, status in results:
            opening = period.registration_opens_at
            opening = timezone.localtime(opening) if opening else None
            opening_text = f", inscriptions le {opening:%d/%m/%Y %H:%M}" if opening else ""
            self.stdout.write(
                f"{period.name} : {period.start_date:%d/%m/%Y} – {period.end_date:%d/%m/%Y}"
                f"{opening_text} ({STATUS_LABELS[status]})"
            )
