"""factory_boy factories shared by the tests."""

import datetime

import factory

from marmots.accounts.models import User
from marmots.activities.models import Activity, Period, StaffMembership, Structure, TimeSlot
from marmots.families.models import Child, Family, Guardian, Quotient

PASSWORD = "motdepasse-solide-42"  # noqa: S105


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"Structure {n}")
    slug = factory.Sequence(lambda n: f"structure-{n}")
    address = "492 Route des Terres Blanches"
    postcode = "74440"
    city = "Mieussy"
    phone = "04 50 43 27 07"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    # Deterministic names: a random one could match another persona in a search.
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    structure = factory.SubFactory(StructureFactory)
    role = StaffMembership.MANAGER


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Famille{n}")

    @factory.post_generation
    def structures(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.structures.add(*extracted)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    family = factory.SubFactory(FamilyFactory)
    user = factory.SubFactory(UserFactory)
    first_name = factory.SelfAttribute("user.first_name")
    last_name = factory.SelfAttribute("user.last_name")
    relationship = "mere"
    phone_mobile = "06 12 34 56 78"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = factory.SelfAttribute("family.name")
    birth_date = datetime.date(2019, 5, 14)
    school = "École de Mieussy"
    school_class = "CP"


class QuotientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quotient

    family = factory.SubFactory(FamilyFactory)
    value = 540
    valid_from = datetime.date(2026, 1, 1)
    valid_until = datetime.date(2026, 12, 31)
    source = "CAF"


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    structure = factory.SubFactory(StructureFactory)
    name = factory.Sequence(lambda n: f"Activité {n}")
    kind = Activity.EVENING
    weekdays = [0, 1, 3, 4]


class TimeSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeSlot

    activity = factory.SubFactory(ActivityFactory)
    label = "16h30-17h30"
    start_time = datetime.time(16, 30)
    end_time = datetime.time(17, 30)
    capacity = 40


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period

    structure = factory.SubFactory(StructureFactory)
    kind = Period.SCHOOL_YEAR
    name = "Année scolaire 2026-2027"
    school_year = "2026-2027"
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 7, 3)


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "activities.DocumentType"

    structure = factory.SubFactory(StructureFactory)
    code = factory.Sequence(lambda n: f"piece-{n}")
    name = factory.Sequence(lambda n: f"Pièce {n}")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enrollments.Enrollment"

    child = factory.SubFactory(ChildFactory)
    activity = factory.SubFactory(ActivityFactory)
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 7, 3)
