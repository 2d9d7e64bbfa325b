"""manage.py load_demo: Les Petits Montagnards as the demo settings describe them, loaded twice."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from pypdf import PdfReader

from marmots.accounts import links
from marmots.accounts.models import User
from marmots.activities.models import Activity, DocumentType, Period, PublishedDocument, TimeSlot
from marmots.core.management.commands.load_demo import DEMO_PASSWORD
from marmots.enrollments.models import Enrollment
from marmots.families.models import ChangeRequest, Child, Family, FamilyDocument, Guardian
from tests.house import at

EXPECTED = {
    Activity: 8,
    TimeSlot: 13,
    Period: 7,
    DocumentType: 4,
    PublishedDocument: 1,
    Family: 3,
    Guardian: 5,
    Child: 4,
    FamilyDocument: 8,
    Enrollment: 9,
    ChangeRequest: 1,
    User: 7,
}


def load(*args):
    out = StringIO()
    # A fixed day: on some days the demo's places also enroll the Martin children (see
    # _demo_places), which would change the counts below.
    with time_machine.travel(at(dt.date(2026, 11, 27), 10)):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return load()


def test_loading_twice_duplicates_nothing(demo):
    second = load()
    assert {model: model.objects.count() for model in EXPECTED} == EXPECTED
    assert "claire.martin@example.org / montagnards-2026" in second


@pytest.mark.django_db(transaction=True)  # flush cannot run inside the test's transaction
def test_reset_reloads_the_same_demo():
    load()
    Family.objects.get(name="Martin").children.update(first_name="Changé")
    load("--reset")
    assert {model: model.objects.count() for model in EXPECTED} == EXPECTED
    assert not Child.objects.filter(first_name="Changé").exists()


def test_activities_slots_and_capacities(demo):
    slots = {
        activity.name: [
            (f"{s.start_time:%H:%M}-{s.end_time:%H:%M}", s.capacity) for s in activity.slots.all()
        ]
        for activity in Activity.objects.prefetch_related("slots")
    }
    assert slots["Périscolaire matin"] == [
        ("07:00-07:30", 30),
        ("07:30-08:00", 30),
        ("08:00-08:30", 30),
    ]
    assert slots["Périscolaire soir"] == [
        ("16:30-17:30", 40),
        ("17:30-18:00", 40),
        ("18:00-18:30", 40),
    ]
    assert slots["Mercredis"] == [("08:30-12:00", 36), ("12:00-13:30", 36), ("13:30-17:30", 36)]
    assert slots["Accueil de loisirs (vacances)"] == [("08:30-17:30", 48)]
    assert slots["APC (récupération)"] == []
    for name in ("Cirque", "Théâtre", "Danse"):
        assert slots[name] == [("16:30-18:00", 15)]
    assert TimeSlot.objects.get(with_snack=True).label == "16h30-17h30 (goûter)"
    assert Activity.objects.get(name="Cirque").weekdays == [1]  # on Tuesday, as APC


def test_structure_rules_and_documents(demo):
    favre = Family.objects.get(name="Martin")
    structure = favre.structures.get()
    assert (structure.phone, structure.holiday_zone) == ("04 50 43 27 07", "A")
    assert "Pour le lundi : le jeudi avant 8h30" in structure.house_rules
    required = {d.code for d in Activity.objects.get(name="Mercredis").required_documents.all()}
    assert required == {"assurance", "vaccinations"}
    rules = PublishedDocument.objects.get()
    with rules.file.open("rb") as pdf:
        assert "APC du mardi" in PdfReader(pdf).pages[0].extract_text()
    winter = Period.objects.get(name="Vacances d'hiver 2027")
    assert winter.registration_opens_at == dt.datetime(2027, 1, 18, 19, 0, tzinfo=dt.UTC)


def test_family_a_is_complete_and_validated(demo):
    family = Family.objects.get(name="Martin")
    assert family.quotients.get().value == 540
    ages = sorted(child.age_on(dt.date(2026, 9, 1)) for child in family.children.all())
    assert len(ages) == 2 and ages[0] < 6 <= ages[1]
    assert not family.children.filter(info_checked_at__isnull=True).exists()
    assert set(family.documents.values_list("status", flat=True)) == {FamilyDocument.ACCEPTED}
    statuses = set(Enrollment.objects.for_family(family).values_list("status", flat=True))
    assert statuses == {Enrollment.VALIDATED}
    document = family.documents.filter(child__first_name="Léa", doc_type__code="pai").get()
    with document.file.open("rb") as pdf:
        assert "Léa Martin" in PdfReader(pdf).pages[0].extract_text()


def test_family_b_waits_for_its_holiday_enrollment(demo):
    family = Family.objects.get(name="Durand")
    assert family.quotients.get().value == 980
    pending = Enrollment.objects.for_family(family).get(status=Enrollment.PENDING)
    assert pending.period.name == "Vacances d'hiver 2027"
    assert pending.activity.kind == Activity.HOLIDAY
    assert family.guardians.count() == 2  # separated parents, one login each
    assert family.documents.get(status=FamilyDocument.REFUSED).refusal_reason


def test_family_c_is_new_with_an_unused_link(demo):
    family = Family.objects.get(name="Roux")
    user = family.guardians.get().user
    assert not user.has_usable_password() and user.last_login is None
    assert not family.quotients.exists()
    assert not Enrollment.objects.for_family(family).exists()
    printed = next(line for line in demo.splitlines() if "lien d'initialisation" in line)
    _, purpose, uidb64, token = printed.split("/compte/")[1].strip("/").split("/")
    assert purpose == "init"
    assert links.check_link(purpose, uidb64, token).status == links.VALID


def test_printed_logins_work(demo, client):
    assert client.login(email="claire.martin@example.org", password=DEMO_PASSWORD)
    assert "Martin" in client.get("/portail/").content.decode()
    client.logout()
    assert client.login(email="aurelie.rey@example.org", password=DEMO_PASSWORD)
    assert "Durand" in client.get("/portail/").content.decode()
    client.logout()
    assert client.login(email="gestion@petits-montagnards.fr", password=DEMO_PASSWORD)
    assert client.get("/gestion/").status_code == 200
    assert not client.login(email="camille.roux@example.org", password=DEMO_PASSWORD)


def test_payment_settings_loaded_once(demo):
    from marmots.billing.models import BillingSettings
    from marmots.billing.reminders import parse_thresholds
    from marmots.debits import rules
    from marmots.debits.models import DebitSettings, Mandate
    from marmots.payments.models import ProviderSettings

    load()
    structure = Family.objects.get(name="Martin").structures.get()
    assert ProviderSettings.objects.get().kind == ProviderSettings.DUMMY
    assert parse_thresholds(BillingSettings.objects.get(structure=structure).reminder_days) == (
        10,
        30,
    )
    creditor = DebitSettings.objects.get()
    assert creditor.enabled and creditor.creditor_name == "Les Petits Montagnards"
    assert not rules.creditor_id_error(creditor.creditor_id)
    assert not rules.iban_error(creditor.iban) and not rules.bic_error(creditor.bic)
    mandate = Mandate.objects.get()
    assert (mandate.family.name, mandate.status) == ("Durand", Mandate.ACTIVE)
    assert mandate.reference and mandate.holder
    assert not rules.iban_error(mandate.iban) and not rules.bic_error(mandate.bic)
