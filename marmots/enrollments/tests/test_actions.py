import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.core.models import AuditEntry
from marmots.enrollments import actions
from marmots.enrollments.actions import (
    cancel_enrollment_request,
    file_status,
    refuse_enrollment,
    request_enrollment,
    validate_enrollment,
)
from marmots.enrollments.models import Enrollment
from marmots.families.models import Family
from tests import factories as f

from . import builders as b

D = datetime.date
SEPT_1, JULY_3 = D(2026, 9, 1), D(2027, 7, 3)
pytestmark = pytest.mark.usefixtures("frozen")


def ask(child, activity, actor, start=SEPT_1, end=JULY_3, **kwargs):
    return request_enrollment(
        child, activity, start_date=start, end_date=end, actor=actor, **kwargs
    )


def messages_of(excinfo):
    return " ".join(excinfo.value.messages)


# -- requesting -------------------------------------------------------------------------------


def test_a_guardian_requests_an_enrollment(child_a, activity, guardian_a):
    enrollment = ask(child_a, activity, guardian_a.user, comment="  Le lundi surtout  ")
    assert enrollment.status == Enrollment.PENDING
    assert enrollment.mark == "?"
    assert enrollment.comment == "Le lundi surtout"
    assert enrollment.requested_by == guardian_a.user
    entry = AuditEntry.objects.get(action="enrollment.request")
    assert entry.family == child_a.family
    assert entry.after["status"] == "pending"


def test_bad_dates_are_refused_in_french_and_nothing_is_written(child_a, activity, guardian_a):
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user, start=D(2026, 9, 2), end=D(2026, 9, 1))
    assert "La date de fin doit être postérieure" in messages_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user, start=D(2026, 6, 1))
    assert "dans le passé" in messages_of(excinfo)
    assert not Enrollment.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_overlapping_active_request_is_refused(child_a, activity, guardian_a):
    ask(child_a, activity, guardian_a.user)
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user, start=D(2027, 1, 4), end=D(2027, 1, 8))
    assert "Léa a déjà une inscription ou une demande en cours" in messages_of(excinfo)
    assert Enrollment.objects.count() == 1


def test_a_refused_request_can_be_asked_again(child_a, activity, guardian_a):
    b.enrollment(child_a, activity, Enrollment.REFUSED)
    assert ask(child_a, activity, guardian_a.user).status == Enrollment.PENDING


def test_the_database_constraint_backs_the_duplicate_check(
    child_a, activity, guardian_a, monkeypatch
):
    # Two requests racing both pass the overlap check; the unique constraint stops the second.
    ask(child_a, activity, guardian_a.user)
    monkeypatch.setattr(actions, "_overlapping", lambda *args: False)
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user, end=D(2026, 12, 18))
    assert "déjà une inscription" in messages_of(excinfo)
    assert Enrollment.objects.count() == 1


def test_a_guardian_cannot_enroll_another_familys_child(child_a, activity, guardian_b):
    with pytest.raises(PermissionDenied):
        ask(child_a, activity, guardian_b.user)
    assert not Enrollment.objects.exists()


def test_the_manager_may_request_for_a_family(child_a, activity, manager):
    assert ask(child_a, activity, manager).requested_by == manager


def test_a_manager_cannot_request_for_a_family_of_another_structure(
    child_a, other_structure, other_manager
):
    elsewhere = f.ActivityFactory(structure=other_structure)
    with pytest.raises(PermissionDenied):
        ask(child_a, elsewhere, other_manager)
    assert not Enrollment.objects.exists()


def test_an_inactive_activity_cannot_be_requested(child_a, activity, guardian_a):
    activity.is_active = False
    activity.save()
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user)
    assert messages_of(excinfo) == "Cette activité n'est plus proposée."


def _staff_sees(user, family):
    return Family.objects.for_staff(user).filter(pk=family.pk).exists()


@pytest.mark.parametrize("outcome", ["refused", "withdrawn"])
def test_a_request_elsewhere_shows_the_family_only_while_pending(
    child_a, guardian_a, other_structure, other_manager, outcome
):
    family = child_a.family
    theirs = b.evening(other_structure)
    assert not _staff_sees(other_manager, family)
    enrollment = ask(child_a, theirs, guardian_a.user)
    assert other_structure not in family.structures.all()
    assert other_structure in family.structures_in_use()
    assert _staff_sees(other_manager, family)  # to review the request and the file
    assert Family.objects.for_staff(other_manager).count() == 1
    if outcome == "refused":
        refuse_enrollment(enrollment, other_manager, "Complet")
    else:
        cancel_enrollment_request(enrollment, guardian_a.user)
    assert not _staff_sees(other_manager, family)
    assert list(family.structures_in_use()) == list(family.structures.all())
    assert not AuditEntry.objects.filter(action="family.structure_added").exists()


def test_a_validation_elsewhere_adds_the_structure_once_and_audits_it(
    child_a, guardian_a, other_structure, other_manager
):
    family = child_a.family
    theirs = b.evening(other_structure)
    validate_enrollment(ask(child_a, theirs, guardian_a.user), other_manager)
    validate_enrollment(
        ask(child_a, theirs, guardian_a.user, start=D(2027, 9, 1), end=D(2028, 7, 1)),
        other_manager,
    )
    assert other_structure in family.structures.all()
    assert _staff_sees(other_manager, family)
    entry = AuditEntry.objects.get(action="family.structure_added")
    assert (entry.family, entry.actor) == (family, other_manager)
    assert (entry.object_type, entry.object_id) == ("structure", str(other_structure.pk))
    assert entry.after == {"structure": "Accueil de Taninges"}


def test_a_holiday_activity_needs_its_period(child_a, guardian_a, holidays):
    activity, period = holidays
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user, start=D(2026, 10, 19), end=D(2026, 10, 23))
    assert "Choisissez la période de vacances" in messages_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user, period=period, end=D(2026, 10, 23))
    assert "comprises dans la période, du 17/10/2026 au 01/11/2026" in messages_of(excinfo)
    enrollment = ask(
        child_a,
        activity,
        guardian_a.user,
        period=period,
        start=D(2026, 10, 19),
        end=D(2026, 10, 23),
    )
    assert enrollment.period == period


def test_a_period_of_another_structure_is_refused(child_a, activity, guardian_a, other_structure):
    period = b.toussaint(other_structure)
    with pytest.raises(ValidationError) as excinfo:
        ask(child_a, activity, guardian_a.user, period=period)
    assert "La période choisie ne concerne pas cette activité." in messages_of(excinfo)


# -- deciding ---------------------------------------------------------------------------------


def test_the_manager_validates(child_a, activity, manager):
    enrollment = b.enrollment(child_a, activity)
    validate_enrollment(enrollment, manager)
    assert enrollment.status == Enrollment.VALIDATED
    assert enrollment.mark == "V"
    assert enrollment.decided_by == manager
    entry = AuditEntry.objects.get(action="enrollment.validate")
    assert (entry.before["status"], entry.after["status"]) == ("pending", "validated")


@pytest.mark.parametrize("who", ["staff", "other_manager", "guardian_a"])
def test_only_the_structures_manager_decides(child_a, activity, who, request):
    actor = request.getfixturevalue(who)
    actor = getattr(actor, "user", actor)
    enrollment = b.enrollment(child_a, activity)
    with pytest.raises(PermissionDenied):
        validate_enrollment(enrollment, actor)
    with pytest.raises(PermissionDenied):
        refuse_enrollment(enrollment, actor, "Non")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.PENDING


def test_a_decided_request_cannot_be_decided_again(child_a, activity, manager):
    enrollment = b.enrollment(child_a, activity, Enrollment.VALIDATED)
    with pytest.raises(ValidationError) as excinfo:
        refuse_enrollment(enrollment, manager, "Trop tard")
    assert messages_of(excinfo) == "Cette demande n'est plus en attente (statut : Validée)."


def test_a_holiday_enrollment_waits_for_the_registration_opening(
    child_a, manager, holidays, frozen
):
    activity, period = holidays
    enrollment = b.enrollment(
        child_a, activity, period=period, start_date=D(2026, 10, 19), end_date=D(2026, 10, 23)
    )
    with pytest.raises(ValidationError) as excinfo:
        validate_enrollment(enrollment, manager)
    assert messages_of(excinfo) == "Les inscriptions ouvrent le 21/09/2026 à 20h00."
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.PENDING
    b.freeze(frozen, b.TOUSSAINT_OPENS)
    assert validate_enrollment(enrollment, manager).status == Enrollment.VALIDATED


def test_a_refusal_needs_a_reason(child_a, activity, manager):
    enrollment = b.enrollment(child_a, activity)
    with pytest.raises(ValidationError) as excinfo:
        refuse_enrollment(enrollment, manager, "   ")
    assert messages_of(excinfo) == "Indiquez le motif du refus : la famille le lira."
    refuse_enrollment(enrollment, manager, "Complet le lundi")
    assert (enrollment.status, enrollment.refusal_reason) == ("refused", "Complet le lundi")
    assert AuditEntry.objects.filter(action="enrollment.refuse").count() == 1


def test_validation_emails_each_guardian(
    child_a, activity, manager, guardian_a, smtp_server, django_capture_on_commit_callbacks
):
    second = f.GuardianFactory(family=child_a.family, user__email="marc.martin@example.org")
    enrollment = b.enrollment(child_a, activity)
    with django_capture_on_commit_callbacks(execute=True):
        validate_enrollment(enrollment, manager)
    assert sorted(m["To"] for m in smtp_server) == [
        "claire.martin@example.org",
        second.user.email,
    ]
    body = smtp_server[0].get_body(("plain",)).get_content()
    assert "Léa" in body and "Périscolaire soir" in body and "01/09/2026" in body
    assert "est validée" in smtp_server[0]["Subject"]


def test_refusal_emails_the_reason(
    child_a, activity, manager, guardian_a, smtp_server, django_capture_on_commit_callbacks
):
    enrollment = b.enrollment(child_a, activity)
    with django_capture_on_commit_callbacks(execute=True):
        refuse_enrollment(enrollment, manager, "Complet le lundi")
    assert len(smtp_server) == 1
    assert "Motif : Complet le lundi" in smtp_server[0].get_body(("plain",)).get_content()


# -- withdrawing ------------------------------------------------------------------------------


def test_the_family_withdraws_a_pending_request(child_a, activity, guardian_a):
    enrollment = b.enrollment(child_a, activity)
    cancel_enrollment_request(enrollment, guardian_a.user)
    assert enrollment.status == Enrollment.CANCELLED
    assert AuditEntry.objects.filter(action="enrollment.cancel").count() == 1


def test_another_family_cannot_withdraw(child_a, activity, guardian_b):
    enrollment = b.enrollment(child_a, activity)
    with pytest.raises(PermissionDenied):
        cancel_enrollment_request(enrollment, guardian_b.user)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.PENDING


def test_a_validated_enrollment_cannot_be_withdrawn(child_a, activity, guardian_a):
    enrollment = b.enrollment(child_a, activity, Enrollment.VALIDATED)
    with pytest.raises(ValidationError):
        cancel_enrollment_request(enrollment, guardian_a.user)


# -- the file ---------------------------------------------------------------------------------


def test_file_status_reads_documents_children_and_quotient(family_a, child_a, activity, structure):
    insurance = f.DocumentTypeFactory(structure=structure, name="Attestation d'assurance")
    vaccines = f.DocumentTypeFactory(
        structure=structure, name="Carnet de vaccinations", per_child=True
    )
    activity.required_documents.add(insurance, vaccines)
    b.document(family_a, insurance, valid_until=D(2026, 1, 31))
    assert file_status(family_a, activity, b.TODAY, child=child_a) == [
        "Attestation d'assurance : pièce expirée, à renouveler.",
        "Carnet de vaccinations (Léa) : pièce manquante.",
        "Les informations de Léa n'ont jamais été vérifiées par la famille.",
    ]
    b.document(family_a, insurance)
    b.document(family_a, vaccines, child=child_a)
    child_a.info_checked_at = b.NOW
    child_a.save()
    assert file_status(family_a, activity, b.TODAY) == []


def test_file_status_warns_without_a_quotient(family_b, child_b, activity):
    child_b.info_checked_at = b.NOW
    child_b.save()
    assert file_status(family_b, activity, b.TODAY) == [
        "Avertissement : aucun quotient familial valable, le tarif le plus élevé s'appliquera."
    ]
