"""Load the demo of Les Petits Montagnards (see the shared demo settings) and print the logins.

Running it again adds nothing: every row is looked up by its natural key first. `--reset` empties
the whole database (and the demo's stored files) before loading. No e-mail is sent.
"""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from marmots.activities.models import PublishedDocument
from marmots.families.models import FamilyDocument

from ._demo_billing import billing_line, load_billing
from ._demo_bookings import load_bookings
from ._demo_checkin import DEMO_PIN, kiosk_line, load_checkin
from ._demo_families import load_families
from ._demo_payments import load_payments
from ._demo_places import load_places, places_line
from ._demo_structure import load_structure, load_team

DEMO_PASSWORD = "montagnards-2026"  # noqa: S105


class Command(BaseCommand):
    help = "Charge les données de démonstration des Petits Montagnards et affiche les identifiants."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="vide TOUTE la base (et les fichiers de la démo) avant de charger la démo",
        )

    def handle(self, *args, reset=False, **options):
        if reset:
            _flush()
        with transaction.atomic():
            structure, doc_types = load_structure()
            # One hash for every demo login: argon2 is slow on purpose.
            password_hash = make_password(DEMO_PASSWORD)
            manager, staff = load_team(structure, password_hash)
            logins = load_families(structure, doc_types, manager, password_hash)
            load_bookings(structure, next(iter(logins.values()))[0])
            kiosk = load_checkin(structure, manager, staff, next(iter(logins.values()))[0])
            load_billing(structure, manager, staff, next(iter(logins.values()))[0])
            load_payments(structure, manager, logins["Durand"][0])
            load_places(structure, manager, logins)
        self._print_logins(manager, staff, logins)
        if line := billing_line(structure):
            self.stdout.write(line)
        if line := places_line(structure):
            self.stdout.write(line)
        self.stdout.write(kiosk_line(*kiosk))

    def _print_logins(self, manager, staff, logins):
        site = settings.SITE_URL.rstrip("/")
        write = self.stdout.write
        write(f"Démo prête sur {site}/")
        write(f"  Portail famille : {site}{reverse('accounts:login')}")
        write(f"  Back-office     : {site}/gestion/")
        write(f"  gestionnaire : {manager.email} / {DEMO_PASSWORD}")
        write(f"  animatrice (lecture seule, sauf la présence) : {staff.email} / {DEMO_PASSWORD}")
        favre, pellissier, dupraz = logins.values()
        for user in favre:
            write(f"  famille Martin (dossier complet, validé) : {user.email} / {DEMO_PASSWORD}")
        write(f"    code de pointage de la famille Martin (tablette) : {DEMO_PIN}")
        for user in pellissier:
            write(
                f"  famille Durand (inscription vacances en attente) : "
                f"{user.email} / {DEMO_PASSWORD}"
            )
        for user in dupraz:
            write(f"  famille Roux (nouvelle, sans mot de passe) : {user.email}")
            write(f"    lien d'initialisation : {init_link(user)}")


def init_link(user):
    """The initialisation link the family would receive by e-mail (not sent by the demo)."""
    from marmots.accounts import links

    try:
        return links.link_url(user, links.INIT)
    except NoReverseMatch:
        # The account-link view is not routed yet: build its documented address by hand.
        uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
        token = links.GENERATORS[links.INIT].make_token(user)
        return f"{settings.SITE_URL.rstrip('/')}/compte/lien/init/{uidb64}/{token}/"


def _flush():
    for model in (FamilyDocument, PublishedDocument):
        for document in model.objects.all():
            document.file.delete(save=False)
    call_command("flush", interactive=False, verbosity=0)
