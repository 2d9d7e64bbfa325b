"""The holiday opening (R7): automatic validation at opening, and the reminder the day before.

The Christmas holidays 2026 open on Monday 23/11/2026 at 20:00 (Paris).
"""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from marmots.bookings import opening
from marmots.bookings.models import OpeningReminder
from marmots.core.models import AuditEntry
from marmots.enrollments.models import Enrollment
from tests import factories as f
from tests.house import at, enroll

D = datetime.date
UTC = datetime.UTC
OPENING_DAY = D(2026, 11, 23)
OPENS = at(OPENING_DAY, 20)
EVE = D(2026, 11, 22)


def ask(house, child, activity=None, status=Enrollment.PENDING):
    return f.EnrollmentFactory(
        child=child,
        activity=activity or house.holiday,
        period=house.christmas,
        start_date=house.christmas.start_date,
        end_date=house.christmas.end_date,
        status=status,
    )


def checked(child):
    child.info_checked_at = at(D(2026, 9, 1), 12)
    child.save()
    return child


@pytest.fixture
def auto(house):
    house.holiday.auto_validate_at_opening = True
    house.holiday.save()
    return house


@pytest.fixture
def lea(auto, child_a):
    """Léa's request, file complete (information checked, quotient known)."""
    return ask(auto, checked(child_a))


@pytest.fixture
def hugo(auto, child_b):
    """Hugo's request, file incomplete: his information was never checked."""
    return ask(auto, child_b)


def status(enrollment):
    return Enrollment.objects.get(pk=enrollment.pk).status


# -- automatic validation at opening -----------------------------------------------------------


def test_nothing_is_validated_before_the_opening(lea, hugo):
    run = opening.open_due_periods(at(OPENING_DAY, 19, 59))
    assert (run.validated, run.incomplete) == (0, 0)
    assert status(lea) == status(hugo) == Enrollment.PENDING


def test_opening_validates_complete_files_and_tells_the_family(
    lea, hugo, guardian_a, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = opening.open_due_periods(OPENS)
    assert (run.validated, run.incomplete) == (1, 1)
    validated = Enrollment.objects.get(pk=lea.pk)
    assert validated.status == Enrollment.VALIDATED
    assert validated.decided_by is None and validated.decided_at == OPENS
    assert status(hugo) == Enrollment.PENDING
    entry = AuditEntry.objects.get(action="enrollment.auto_validate")
    assert entry.actor is None and entry.family == lea.child.family
    assert entry.object_id == str(lea.pk)
    assert [m["To"] for m in smtp_server] == ["claire.martin@example.org"]
    assert "est validée" in smtp_server[0]["Subject"]


def test_running_twice_validates_nothing_more(
    lea, hugo, guardian_a, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        opening.open_due_periods(OPENS)
        again = opening.open_due_periods(OPENS + datetime.timedelta(minutes=5))
    assert (again.validated, again.incomplete) == (0, 1)
    assert AuditEntry.objects.filter(action="enrollment.auto_validate").count() == 1
    assert len(smtp_server) == 1


def test_a_quotient_warning_does_not_block(auto, child_b):
    # Family B has no quotient: the file carries only a warning (top bracket applies).
    hugo = ask(auto, checked(child_b))
    assert opening.open_due_periods(OPENS).validated == 1
    assert status(hugo) == Enrollment.VALIDATED


def test_a_missing_document_blocks(lea, auto):
    auto.holiday.required_documents.add(
        f.DocumentTypeFactory(structure=auto.structure, name="Attestation d'assurance")
    )
    run = opening.open_due_periods(OPENS)
    assert (run.validated, run.incomplete) == (0, 1)
    assert status(lea) == Enrollment.PENDING


def test_a_file_completed_after_the_opening_is_validated_on_a_later_run(hugo):
    assert opening.open_due_periods(OPENS).validated == 0
    checked(hugo.child)
    assert opening.open_due_periods(OPENS + datetime.timedelta(minutes=5)).validated == 1
    assert status(hugo) == Enrollment.VALIDATED


def test_activities_without_auto_validation_wait_for_the_manager(lea, auto):
    auto.holiday.auto_validate_at_opening = False
    auto.holiday.save()
    assert opening.open_due_periods(OPENS).validated == 0
    assert status(lea) == Enrollment.PENDING


def test_decided_requests_are_left_alone(auto, child_a):
    withdrawn = ask(auto, checked(child_a), status=Enrollment.CANCELLED)
    assert opening.open_due_periods(OPENS).validated == 0
    assert status(withdrawn) == Enrollment.CANCELLED


def test_periods_already_over_are_left_alone(lea):
    assert opening.open_due_periods(at(D(2027, 1, 4), 9)).validated == 0
    assert status(lea) == Enrollment.PENDING


def test_open_holiday_periods_command(lea, hugo, time_machine):
    time_machine.move_to(OPENS, tick=False)
    out = io.StringIO()
    call_command("open_holiday_periods", stdout=out)
    call_command("open_holiday_periods", stdout=out)
    assert out.getvalue().splitlines() == [
        "Ouverture des vacances : 1 inscription(s) validée(s), "
        "1 demande(s) en attente d'un dossier complet.",
        "Ouverture des vacances : 0 inscription(s) validée(s), "
        "1 demande(s) en attente d'un dossier complet.",
    ]
    assert status(lea) == Enrollment.VALIDATED


# -- the reminder the day before ---------------------------------------------------------------


@pytest.fixture
def families(house, child_a, child_b, guardian_a, guardian_b, structure):
    """A: Léa validated for Christmas, two guardians with a login and one without.
    B: Hugo's request pending. C: request withdrawn. D: enrolled in school time only."""
    enroll(house, child_a, house.holiday)
    f.GuardianFactory(family=child_a.family, user__email="marc.martin@example.org")
    f.GuardianFactory(family=child_a.family, user=None, first_name="Mamie", last_name="Martin")
    ask(house, child_b)
    withdrawn = f.ChildFactory(family=f.FamilyFactory(structures=[structure]), first_name="Zoé")
    f.GuardianFactory(family=withdrawn.family, user__email="zoe.parent@example.org")
    ask(house, withdrawn, status=Enrollment.CANCELLED)
    school = f.ChildFactory(family=f.FamilyFactory(structures=[structure]), first_name="Noé")
    f.GuardianFactory(family=school.family, user__email="noe.parent@example.org")
    enroll(house, school, house.evening)
    return house


EXPECTED_TO = ["claire.martin@example.org", "marc.martin@example.org", "paul.bernard@example.org"]


def test_reminders_the_day_before(families, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert opening.send_opening_reminders(at(EVE, 10)) == 2
    assert sorted(m["To"] for m in smtp_server) == EXPECTED_TO
    message = next(m for m in smtp_server if m["To"] == "claire.martin@example.org")
    assert message["Subject"].strip() == (
        "Les réservations pour « Vacances de Noël 2026 » ouvrent demain – Les Petits Montagnards"
    )
    body = message.get_body(("plain",)).get_content()
    assert "ouvrent demain, lundi 23 novembre 2026 à 20h00." in body
    assert "du 21/12/2026 au 01/01/2027" in body
    assert "Léa – Accueil de loisirs (vacances) : inscription validée" in body
    assert "/portail/reservations/" in body
    other = next(m for m in smtp_server if m["To"] == "paul.bernard@example.org")
    assert "Hugo – Accueil de loisirs (vacances) : demande en attente de validation" in (
        other.get_body(("plain",)).get_content()
    )
    assert OpeningReminder.objects.count() == 2


def test_reminders_are_sent_once(families, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        opening.send_opening_reminders(at(EVE, 10))
        assert opening.send_opening_reminders(at(EVE, 18)) == 0
    assert len(smtp_server) == 3


@pytest.mark.parametrize(
    "now",
    [
        at(D(2026, 11, 21), 23, 59),  # two days before
        at(OPENING_DAY, 0, 0),  # the day itself
        at(OPENING_DAY, 21),  # after the opening
        datetime.datetime(2026, 11, 22, 23, 30, tzinfo=UTC),  # already the 23rd in Paris
    ],
)
def test_no_reminder_on_other_days(families, now):
    assert opening.send_opening_reminders(now) == 0
    assert not OpeningReminder.objects.exists()


def test_the_day_before_is_the_paris_date(families):
    # 22:30 UTC on the 22nd is 23:30 in Paris, still the day before.
    assert opening.send_opening_reminders(datetime.datetime(2026, 11, 22, 22, 30, tzinfo=UTC)) == 2


def test_an_opening_just_after_midnight_is_tomorrow(families):
    # 00:30 in Paris on the 23rd is 23:30 UTC on the 22nd.
    families.christmas.registration_opens_at = at(OPENING_DAY, 0, 30)
    families.christmas.save()
    assert opening.send_opening_reminders(at(EVE, 10)) == 2


def test_send_opening_reminders_command(
    families, time_machine, smtp_server, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(EVE, 10), tick=False)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_opening_reminders", stdout=out)
        call_command("send_opening_reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "Rappels d'ouverture des vacances : 2 famille(s) prévenue(s).",
        "Rappels d'ouverture des vacances : 0 famille(s) prévenue(s).",
    ]
    assert len(smtp_server) == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_one_email_per_family(postgres, families, smtp_server):
    runs = 4
    barrier = threading.Barrier(runs)
    counts, errors = [], []

    def run():
        try:
            barrier.wait()
            counts.append(opening.send_opening_reminders(at(EVE, 10)))
        except Exception as error:  # any failure fails the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(counts) == 2
    assert sorted(m["To"] for m in smtp_server) == EXPECTED_TO
    assert OpeningReminder.objects.count() == 2
