import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.accounts.models import User
from marmots.core.models import AuditEntry
from marmots.families import actions
from marmots.families.models import ChangeRequest, Family, FamilyDocument, Guardian
from tests import factories as f

from .conftest import EXE, JPEG, PDF, PNG


def test_create_family_adds_the_structure_and_audits(structure, manager):
    family = actions.create_family(structure, "Durand", manager, dependent_children=2)
    assert list(family.structures.all()) == [structure]
    assert family.dependent_children == 2
    assert AuditEntry.objects.filter(action="family.create", family=family).exists()


def test_create_family_needs_a_name(structure, manager):
    with pytest.raises(ValidationError):
        actions.create_family(structure, "  ", manager)
    assert not Family.objects.exists()


def test_add_guardian_creates_a_login_without_password(family_a, manager):
    guardian = actions.add_guardian(
        family_a,
        first_name="Marc",
        last_name="Martin",
        email="  Marc.Martin@Example.ORG ",
        actor=manager,
        phone_mobile="06 00 00 00 00",
    )
    assert guardian.user.email == "marc.martin@example.org"
    assert not guardian.user.has_usable_password()
    assert guardian.phone_mobile == "06 00 00 00 00"
    assert AuditEntry.objects.filter(action="guardian.create", family=family_a).exists()


@pytest.mark.parametrize("email", ["CLAIRE.MARTIN@example.org", "pas-une-adresse", ""])
def test_add_guardian_refuses_a_used_or_invalid_email(family_b, guardian_a, manager, email):
    users, guardians = User.objects.count(), Guardian.objects.count()
    with pytest.raises(ValidationError) as error:
        actions.add_guardian(
            family_b, first_name="Paul", last_name="Bernard", email=email, actor=manager
        )
    message = " ".join(error.value.messages)
    assert "adresse e-mail" in message
    assert (User.objects.count(), Guardian.objects.count()) == (users, guardians)


def _set_needing(structure, names):
    structure.child_fields_needing_validation = names
    structure.save()


def test_update_child_applies_free_fields_and_holds_the_others(structure, child_a, guardian_a):
    _set_needing(structure, ["allergies"])
    user = guardian_a.user
    result = actions.update_child(child_a, {"allergies": "arachide", "school_class": "CE1"}, user)
    child_a.refresh_from_db()
    assert child_a.school_class == "CE1"
    assert child_a.allergies == ""
    assert result.status == ChangeRequest.PENDING
    assert result.changes == {"allergies": {"old": "", "new": "arachide"}}
    applied = ChangeRequest.objects.get(status=ChangeRequest.APPLIED)
    assert applied.changes == {"school_class": {"old": "CP", "new": "CE1"}}
    entry = AuditEntry.objects.get(action="child.update")
    assert entry.before == {"school_class": "CP"} and entry.after == {"school_class": "CE1"}


def test_update_child_without_setting_applies_everything(child_a, guardian_a):
    result = actions.update_child(
        child_a, {"allergies": "arachide", "birth_date": datetime.date(2019, 6, 1)}, guardian_a.user
    )
    child_a.refresh_from_db()
    assert result.status == ChangeRequest.APPLIED
    assert child_a.allergies == "arachide"
    assert child_a.birth_date == datetime.date(2019, 6, 1)
    assert result.changes["birth_date"] == {"old": "2019-05-14", "new": "2019-06-01"}


def test_update_child_needing_validation_is_the_union_of_structures(
    structure, other_structure, family_a, child_a, guardian_a
):
    family_a.structures.add(other_structure)
    _set_needing(other_structure, ["pai"])
    result = actions.update_child(child_a, {"pai": True}, guardian_a.user)
    assert result.status == ChangeRequest.PENDING


def test_update_child_with_nothing_changed_records_nothing(child_a, guardian_a):
    assert actions.update_child(child_a, {"school": child_a.school}, guardian_a.user) is None
    assert not ChangeRequest.objects.exists()


def test_update_child_refuses_unknown_fields(child_a, guardian_a):
    with pytest.raises(ValidationError):
        actions.update_child(child_a, {"family": 3}, guardian_a.user)


def test_manager_accepts_a_pending_change(structure, child_a, guardian_a, manager):
    _set_needing(structure, ["allergies"])
    request = actions.update_child(child_a, {"allergies": "gluten"}, guardian_a.user)
    actions.decide_change_request(request, accept=True, actor=manager)
    child_a.refresh_from_db()
    assert child_a.allergies == "gluten"
    assert request.status == ChangeRequest.APPLIED and request.decided_by == manager
    assert AuditEntry.objects.filter(action="change_request.accept").exists()
    with pytest.raises(ValidationError, match="déjà été traitée"):
        actions.decide_change_request(request, accept=False, actor=manager, note="non")


def test_refusing_needs_a_note_and_changes_nothing(structure, child_a, guardian_a, manager):
    _set_needing(structure, ["allergies"])
    request = actions.update_child(child_a, {"allergies": "gluten"}, guardian_a.user)
    with pytest.raises(ValidationError, match="motif"):
        actions.decide_change_request(request, accept=False, actor=manager)
    request.refresh_from_db()
    assert request.status == ChangeRequest.PENDING
    actions.decide_change_request(request, accept=False, actor=manager, note="Certificat ?")
    child_a.refresh_from_db()
    assert child_a.allergies == "" and request.status == ChangeRequest.REFUSED


@pytest.mark.parametrize("who", ["staff", "other_manager", "guardian_a"])
def test_only_a_manager_of_the_family_decides(request, structure, child_a, guardian_a, who):
    _set_needing(structure, ["allergies"])
    change = actions.update_child(child_a, {"allergies": "gluten"}, guardian_a.user)
    actor = request.getfixturevalue(who)
    actor = getattr(actor, "user", actor)
    with pytest.raises(PermissionDenied):
        actions.decide_change_request(change, accept=True, actor=actor)
    change.refresh_from_db()
    assert change.status == ChangeRequest.PENDING


ROSE = {"name": "Mamie Rose", "phone": "06 11 22 33 44"}
JO = {"name": "Oncle Jo", "phone": "06 99 88 77 66", "emergency_contact": True}


def _people(child, people, actor):
    return actions.update_child(child, {"authorized_people": people}, actor)


def test_authorized_people_are_added_and_removed(child_a, guardian_a):
    user = guardian_a.user
    _people(child_a, [ROSE], user)
    _people(child_a, [JO, ROSE], user)
    assert [p.name for p in child_a.authorized_people.all()] == ["Mamie Rose", "Oncle Jo"]
    _people(child_a, [JO], user)
    assert [p.name for p in child_a.authorized_people.all()] == ["Oncle Jo"]
    assert child_a.authorized_people.get().emergency_contact
    assert ChangeRequest.objects.filter(status=ChangeRequest.APPLIED).count() == 3


def test_authorized_people_can_wait_for_validation(structure, child_a, guardian_a, manager):
    _set_needing(structure, ["authorized_people"])
    request = _people(child_a, [ROSE], guardian_a.user)
    assert request.status == ChangeRequest.PENDING
    assert not child_a.authorized_people.exists()
    actions.decide_change_request(request, accept=True, actor=manager)
    assert child_a.authorized_people.get().name == "Mamie Rose"


def test_a_stale_change_request_is_not_applied(structure, child_a, guardian_a, manager):
    _set_needing(structure, ["allergies", "authorized_people"])
    stale = actions.update_child(child_a, {"allergies": "gluten"}, guardian_a.user)
    fresh = _people(child_a, [ROSE], guardian_a.user)
    # Meanwhile the allergies changed through another, accepted request.
    newer = actions.update_child(child_a, {"allergies": "arachide"}, guardian_a.user)
    actions.decide_change_request(newer, accept=True, actor=manager)
    with pytest.raises(ValidationError) as excinfo:
        actions.decide_change_request(stale, accept=True, actor=manager)
    assert "La fiche a changé depuis la demande (allergies)" in excinfo.value.messages[0]
    child_a.refresh_from_db()
    stale.refresh_from_db()
    assert (child_a.allergies, stale.status) == ("arachide", ChangeRequest.PENDING)
    actions.decide_change_request(fresh, accept=True, actor=manager)
    assert child_a.authorized_people.get().name == "Mamie Rose"


def test_confirm_child_info(child_a, guardian_a):
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)):
        actions.confirm_child_info(child_a, guardian_a.user)
    child_a.refresh_from_db()
    assert child_a.info_checked_at == datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)
    assert AuditEntry.objects.filter(action="child.info_checked").exists()


def test_update_guardian_details(guardian_a):
    request = actions.update_guardian_details(
        guardian_a, {"first_name": "Clara", "city": "Taninges"}, guardian_a.user
    )
    guardian_a.refresh_from_db()
    assert (guardian_a.first_name, guardian_a.city) == ("Clara", "Taninges")
    assert guardian_a.user.first_name == "Clara"
    assert request.status == ChangeRequest.APPLIED and request.guardian == guardian_a
    assert (
        actions.update_guardian_details(guardian_a, {"city": "Taninges"}, guardian_a.user) is None
    )


def test_update_guardian_details_never_changes_the_email(guardian_a):
    with pytest.raises(ValidationError, match="gestionnaire"):
        actions.update_guardian_details(guardian_a, {"email": "x@example.org"}, guardian_a.user)
    guardian_a.user.refresh_from_db()
    assert guardian_a.user.email == "claire.martin@example.org"


def _file(content, name="piece.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.parametrize(
    ("content", "mime"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_upload_document_stores_the_file(family_a, guardian_a, insurance, content, mime):
    document = actions.upload_document(family_a, insurance, _file(content), guardian_a.user)
    assert document.content_type == mime
    assert document.status == FamilyDocument.PENDING
    assert document.original_name == "piece.pdf"
    with document.file.open("rb") as stored:
        assert stored.read() == content
    assert document.file.name.startswith(f"families/{family_a.pk}/documents/")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (EXE, "PDF, une image JPEG ou PNG"),
        (b"", "vide"),
        (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "10 Mo"),
        (b"juste du texte", "PDF, une image JPEG ou PNG"),
    ],
)
def test_upload_document_refuses_bad_files(family_a, guardian_a, insurance, content, message):
    with pytest.raises(ValidationError) as error:
        actions.upload_document(family_a, insurance, _file(content), guardian_a.user)
    assert message in " ".join(error.value.messages)
    assert not FamilyDocument.objects.exists()


def test_upload_document_checks_type_and_child(
    family_a, guardian_a, other_structure, child_b, vaccinations
):
    foreign = f.DocumentTypeFactory(structure=other_structure)
    user = guardian_a.user
    with pytest.raises(ValidationError, match="pas demandé"):
        actions.upload_document(family_a, foreign, _file(PDF), user)
    with pytest.raises(ValidationError, match="enfant"):
        actions.upload_document(family_a, vaccinations, _file(PDF), user)
    with pytest.raises(ValidationError, match="n'appartient pas"):
        actions.upload_document(family_a, vaccinations, _file(PDF), user, child=child_b)
    assert not FamilyDocument.objects.exists()


def test_review_document(family_a, guardian_a, insurance, manager, staff):
    document = actions.upload_document(family_a, insurance, _file(PDF), guardian_a.user)
    with pytest.raises(ValidationError, match="motif"):
        actions.review_document(document, accept=False, actor=manager)
    with pytest.raises(PermissionDenied):
        actions.review_document(document, accept=True, actor=staff)
    document.refresh_from_db()
    assert document.status == FamilyDocument.PENDING
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)):
        actions.review_document(document, accept=True, actor=manager)
    assert document.status == FamilyDocument.ACCEPTED
    assert document.valid_until == datetime.date(2027, 11, 19)
    actions.review_document(document, accept=False, actor=manager, reason="Illisible")
    assert (document.status, document.refusal_reason, document.valid_until) == (
        "refused",
        "Illisible",
        None,
    )
    assert AuditEntry.objects.filter(action="document.review").count() == 2


def test_review_document_with_an_explicit_date(family_a, guardian_a, insurance, manager):
    document = actions.upload_document(family_a, insurance, _file(PDF), guardian_a.user)
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)):
        with pytest.raises(ValidationError, match="passée"):
            actions.review_document(
                document, accept=True, actor=manager, valid_until=datetime.date(2026, 1, 1)
            )
        actions.review_document(
            document, accept=True, actor=manager, valid_until=datetime.date(2027, 8, 31)
        )
    assert document.valid_until == datetime.date(2027, 8, 31)
