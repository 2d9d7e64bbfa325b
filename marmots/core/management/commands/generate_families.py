"""Large synthetic data for benchmarks: families, guardians, children, quotients, enrollments.

Rows are inserted with bulk_create in batches and every login shares one password hash computed
once, so 10,000 families take seconds. The same --seed on the same database gives the same data.
"""

import random
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from marmots.accounts.models import User
from marmots.activities.models import Activity, Period, Structure
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child, Family, Guardian, Quotient

BENCH_PASSWORD = "bench-montagnards-2026"  # noqa: S105
SCHOOL_TIME_KINDS = [Activity.MORNING, Activity.EVENING, Activity.WEDNESDAY, Activity.ANNUAL]
LAST_NAMES = (
    "Favre Pellissier Dupraz Mogenet Baud Perrier Bouvier Rey Gay Duret Tissot Jacquet Morand "
    "Mermillod Vuagnat Bel Pasquier Fournier Girod Richard Martin Bernard Dubois Thomas Robert "
    "Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia David Bertrand Roux Vincent"
).split()
ADULT_NAMES = (
    "Julie Thomas Camille Nicolas Aurélie Sébastien Marie Julien Sophie Pierre Élodie Mathieu "
    "Claire Antoine Émilie Olivier Laure Guillaume Nadia Karim Céline Romain Sarah Maxime"
).split()
CHILD_NAMES = {
    "F": "Léa Emma Jade Louise Alice Chloé Lina Rose Anna Mila Inès Zoé Léna Julia Manon".split(),
    "M": "Tom Noah Léo Gabriel Raphaël Louis Jules Arthur Adam Hugo Lucas Nathan Paul".split(),
}
CLASSES = ["Petite section", "Moyenne section", "Grande section", "CP", "CE1", "CE2", "CM1", "CM2"]


class Command(BaseCommand):
    help = "Crée N familles synthétiques (responsables, enfants, QF, inscriptions validées)."

    def add_arguments(self, parser):
        parser.add_argument("--families", type=int, required=True, help="nombre de familles")
        parser.add_argument(
            "--structure", help="slug de la structure (facultatif s'il n'y en a qu'une)"
        )
        parser.add_argument("--seed", type=int, default=1, help="graine du générateur (défaut : 1)")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, families, structure, seed, batch_size, **options):
        if families < 1:
            raise CommandError("--families doit être un nombre positif.")
        target = _structure(structure)
        prefix = f"bench{seed}-"
        if User.objects.filter(email__startswith=prefix).exists():
            raise CommandError(
                f"Des familles existent déjà avec la graine {seed} : changez --seed."
            )
        generator = Generator(target, random.Random(seed), prefix, batch_size)
        with transaction.atomic():
            counts = generator.run(families)
        summary = ", ".join(f"{value} {label}" for label, value in counts.items())
        self.stdout.write(f"Créé pour {target.name} : {summary}.")
        self.stdout.write(f"Mot de passe de tous les comptes générés : {BENCH_PASSWORD}")


def _structure(slug):
    structures = Structure.objects.all()
    if slug:
        structures = structures.filter(slug=slug)
    if len(structures) != 1:
        raise CommandError("Indiquez une structure existante avec --structure SLUG.")
    return structures[0]


class Generator:
    def __init__(self, structure, rng, prefix, batch_size):
        self.structure = structure
        self.rng = rng
        self.prefix = prefix
        self.batch_size = batch_size
        self.now = timezone.now()
        self.year = (
            Period.objects.filter(structure=structure, kind=Period.SCHOOL_YEAR)
            .order_by("-start_date")
            .first()
        )
        activities = Activity.objects.filter(structure=structure, is_active=True)
        self.activities = list(activities.filter(kind__in=SCHOOL_TIME_KINDS).order_by("id"))
        self.holiday_activity = activities.filter(kind=Activity.HOLIDAY).order_by("id").first()
        self.holidays = list(
            Period.objects.filter(structure=structure, kind=Period.HOLIDAYS).order_by("start_date")
        )
        if self.year is None or not self.activities:
            raise CommandError(
                "La structure n'a pas d'année scolaire ou pas d'activité : "
                "lancez d'abord load_demo ou sync_school_holidays."
            )

    def _create(self, model, rows):
        return model.objects.bulk_create(rows, batch_size=self.batch_size)

    def run(self, count):
        families = self._create(
            Family, [Family(name=self.rng.choice(LAST_NAMES)) for _ in range(count)]
        )
        through = Family.structures.through
        self._create(
            through, [through(family_id=f.pk, structure_id=self.structure.pk) for f in families]
        )
        guardians = self._guardians(families)
        children = self._create(Child, [c for f in families for c in self._children(f)])
        quotients = self._create(Quotient, [q for f in families if (q := self._quotient(f))])
        requesters = {g.family_id: g.user_id for g in reversed(guardians)}
        enrollments = self._create(
            Enrollment, [e for c in children for e in self._enrollments(c, requesters)]
        )
        return {
            "familles": len(families),
            "responsables": len(guardians),
            "enfants": len(children),
            "quotients": len(quotients),
            "inscriptions validées": len(enrollments),
        }

    def _guardians(self, families):
        password = make_password(BENCH_PASSWORD)
        people = []
        for family in families:
            for rank in range(self.rng.choice([1, 2, 2])):
                first_name = self.rng.choice(ADULT_NAMES)
                email = f"{self.prefix}{family.pk}-{rank + 1}@example.org"
                people.append((family, first_name, email))
        users = self._create(
            User,
            [
                User(email=email, first_name=first, last_name=family.name, password=password)
                for family, first, email in people
            ],
        )
        rows = [
            Guardian(
                family_id=family.pk,
                user_id=user.pk,
                first_name=first,
                last_name=family.name,
                relationship=self.rng.choice(["mere", "pere"]),
                phone_mobile=f"06 {self.rng.randrange(10**8):08d}",
                city="Mieussy",
                postcode="74440",
            )
            for (family, first, _), user in zip(people, users, strict=True)
        ]
        return self._create(Guardian, rows)

    def _children(self, family):
        start = self.year.start_date
        for _ in range(self.rng.choice([1, 1, 2, 2, 2, 3])):
            sex = self.rng.choice("FM")
            age = self.rng.randint(3, 10)
            birth = date(start.year - age, 1, 1) + timedelta(days=self.rng.randrange(365))
            yield Child(
                family_id=family.pk,
                first_name=self.rng.choice(CHILD_NAMES[sex]),
                last_name=family.name,
                sex=sex,
                birth_date=birth,
                school="École primaire de Mieussy",
                school_class=CLASSES[min(age - 3, len(CLASSES) - 1)],
                info_checked_at=self.now,
            )

    def _quotient(self, family):
        if self.rng.random() < 0.15:  # some families never give their quotient
            return None
        value = self.rng.randint(250, 2200)
        return Quotient(
            family_id=family.pk,
            value=value,
            annual_income=value * 30,
            valid_from=self.year.start_date,
            valid_until=self.year.end_date,
            source="CAF",
        )

    def _enrollments(self, child, requesters):
        chosen = [
            (activity, self.year)
            for activity in self.rng.sample(
                self.activities, self.rng.randint(1, min(3, len(self.activities)))
            )
        ]
        if self.holiday_activity and self.holidays and self.rng.random() < 0.3:
            chosen.append((self.holiday_activity, self.rng.choice(self.holidays)))
        for activity, period in chosen:
            yield Enrollment(
                child_id=child.pk,
                activity_id=activity.pk,
                period_id=period.pk,
                start_date=period.start_date,
                end_date=period.end_date,
                status=Enrollment.VALIDATED,
                requested_by_id=requesters[child.family_id],
                decided_at=self.now,
            )
