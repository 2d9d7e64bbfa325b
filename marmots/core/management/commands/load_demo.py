"""Load the demo of Les Petits Montagnards (see shared demo settings) and print the logins."""

from django.core.management.base import BaseCommand
from django.db import transaction

from marmots.accounts.models import User
from marmots.activities.models import StaffMembership, Structure

DEMO_PASSWORD = "montagnards-2026"  # noqa: S105


class Command(BaseCommand):
    help = "Charge les données de démonstration des Petits Montagnards."

    @transaction.atomic
    def handle(self, *args, **options):
        structure, _ = Structure.objects.get_or_create(
            slug="petits-montagnards",
            defaults=dict(
                name="Les Petits Montagnards",
                address="492 Route des Terres Blanches",
                postcode="74440",
                city="Mieussy",
                phone="04 50 43 27 07",
                website="https://www.lespetitsmontagnards-mieussy.fr",
            ),
        )
        manager = User.objects.filter(email="gestion@petits-montagnards.fr").first()
        if manager is None:
            manager = User.objects.create_user(
                "gestion@petits-montagnards.fr", DEMO_PASSWORD, first_name="Sophie"
            )
        StaffMembership.objects.get_or_create(
            user=manager, structure=structure, defaults={"role": StaffMembership.MANAGER}
        )
        self.stdout.write("Démo prête sur http://127.0.0.1:8000")
        self.stdout.write(f"  gestionnaire : {manager.email} / {DEMO_PASSWORD}")
