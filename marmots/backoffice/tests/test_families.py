"""Families in the back-office: list and search, record, creation, guardians, quotients."""

import re

import pytest

from marmots.accounts.models import User
from marmots.core.models import AuditEntry
from marmots.families.models import Family, Guardian, Quotient
from tests import factories as f

LINK = re.compile(r"^(http\S+/compte/lien/init/\S+)$", re.MULTILINE)

NEW_FAMILY = {
    "name": "Rochat",
    "r1-first_name": "Anne",
    "r1-last_name": "Rochat",
    "r1-email": "Anne.Rochat@example.org",
    "r1-relationship": "mere",
    "r1-phone_mobile": "06 11 22 33 44",
}
SECOND_GUARDIAN = {
    "r2-first_name": "Luc",
    "r2-last_name": "Vidal",
    "r2-email": "luc.vidal@example.org",
    "r2-relationship": "pere",
}


# E-mails leave on commit: tests that count them run in real transactions.
sends_mail = pytest.mark.django_db(transaction=True)


def plain(message):
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


# List and search -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["mart", "Claire", "claire.martin@example", "Léa", "MARTIN"])
def test_search_by_family_guardian_email_or_child(
    client_manager, guardian_a, child_a, family_b, query
):
    page = client_manager.get("/gestion/familles/", {"q": query}).content.decode()
    assert "Martin" in page
    assert "Bernard" not in page


def test_a_nul_character_in_the_search_is_refused_in_french(client_manager, family_a):
    response = client_manager.get("/gestion/familles/?q=a%00b")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Le caractère nul n’est pas autorisé." in page
    assert 'aria-invalid="true"' in page and "0 familles." in page


def test_list_is_paginated_with_bounded_queries(
    client_manager, structure, django_assert_max_num_queries
):
    for n in range(30):
        family = f.FamilyFactory(name=f"Famille {n:02d}", structures=[structure])
        f.GuardianFactory(family=family)
        f.ChildFactory(family=family)
        f.ChildFactory(family=family)
    with django_assert_max_num_queries(11):
        response = client_manager.get("/gestion/familles/")
    page = response.content.decode()
    assert "30 familles" in page and "Page 1 sur 2" in page
    assert "Famille 24" in page and "Famille 25" not in page
    assert "Famille 25" in client_manager.get("/gestion/familles/", {"page": 2}).content.decode()


def test_record_shows_guardians_children_quotients_and_history(
    client_manager, family_a, guardian_a, child_a, change_request, document
):
    page = client_manager.get(f"/gestion/familles/{family_a.pk}/").content.decode()
    for text in ("claire.martin@example.org", "Léa", "540", "Attestation d&#x27;assurance"):
        assert text in page
    assert "Renvoyer le lien" not in page  # Claire has chosen her password
    assert "Envoyer un lien de réinitialisation" in page
    assert "jamais" in page  # and never logged in


def test_the_record_shows_a_withdrawn_request_muted(client_manager, family_a, child_a, activity):
    f.EnrollmentFactory(child=child_a, activity=activity, status="cancelled")
    page = client_manager.get(f"/gestion/familles/{family_a.pk}/").content.decode()
    assert '<span class="badge muted" aria-hidden="true">–</span> Annulée' in page


# Creation --------------------------------------------------------------------------------------


@sends_mail
def test_manager_creates_a_family_and_the_link_is_emailed(client_manager, structure, smtp_server):
    response = client_manager.post("/gestion/familles/nouvelle/", NEW_FAMILY)
    family = Family.objects.get(name="Rochat")
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/familles/{family.pk}/"
    assert list(family.structures.all()) == [structure]
    guardian = family.guardians.get()
    assert guardian.email == "anne.rochat@example.org"
    assert not guardian.user.has_usable_password()
    assert len(smtp_server) == 1
    assert smtp_server[0]["To"] == "anne.rochat@example.org"
    assert LINK.search(plain(smtp_server[0]))
    assert AuditEntry.objects.filter(action="family.create", family=family).exists()
    record = client_manager.get(response["Location"]).content.decode()
    assert "Famille créée" in record and "Lien d&#x27;initialisation envoyé" in record
    assert "pas encore choisi" in record and "Renvoyer le lien d'initialisation" in record


@sends_mail
def test_a_second_guardian_gets_their_own_login_and_link(client_manager, structure, smtp_server):
    client_manager.post("/gestion/familles/nouvelle/", NEW_FAMILY | SECOND_GUARDIAN)
    family = Family.objects.get(name="Rochat")
    emails = sorted(g.email for g in family.guardians.all())
    assert emails == ["anne.rochat@example.org", "luc.vidal@example.org"]
    assert sorted(m["To"] for m in smtp_server) == emails


@sends_mail
@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": "  "}, "Ce champ est obligatoire"),
        ({"r1-first_name": ""}, "Ce champ est obligatoire"),
        ({"r1-email": "pas-une-adresse"}, "Saisissez une adresse e-mail valide"),
        ({"r1-email": "CLAIRE.martin@example.org"}, "déjà utilisée par un autre compte"),
        (SECOND_GUARDIAN | {"r2-email": "anne.rochat@example.org"}, "sa propre adresse"),
        ({"r2-first_name": "Luc"}, "obligatoire pour ajouter ce responsable"),
    ],
)
def test_bad_family_creation_changes_nothing(
    client_manager, guardian_a, smtp_server, changes, message
):
    families, users = Family.objects.count(), User.objects.count()
    response = client_manager.post("/gestion/familles/nouvelle/", NEW_FAMILY | changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Family.objects.count(), User.objects.count()) == (families, users)
    assert smtp_server == []


# Guardians -------------------------------------------------------------------------------------


@sends_mail
def test_manager_adds_a_guardian(client_manager, family_a, smtp_server):
    data = {k.removeprefix("r1-"): v for k, v in NEW_FAMILY.items() if k.startswith("r1-")}
    response = client_manager.post(f"/gestion/familles/{family_a.pk}/responsables/ajouter/", data)
    assert response.status_code == 302
    assert family_a.guardians.filter(user__email="anne.rochat@example.org").exists()
    assert [m["To"] for m in smtp_server] == ["anne.rochat@example.org"]


@sends_mail
def test_resend_the_initialisation_link(client_manager, family_a, smtp_server):
    guardian = f.GuardianFactory(family=family_a, user__email="ines@example.org")
    guardian.user.set_unusable_password()
    guardian.user.save()
    url = f"/gestion/familles/{family_a.pk}/responsables/{guardian.pk}/lien/"
    response = client_manager.post(url, follow=True)
    assert (
        "Le lien d&#x27;initialisation a été envoyé à ines@example.org" in response.content.decode()
    )
    assert [m["To"] for m in smtp_server] == ["ines@example.org"]
    assert LINK.search(plain(smtp_server[0]))
    assert client_manager.get(url).status_code == 405


def test_another_familys_guardian_is_404_under_this_family(client_manager, family_a, guardian_b):
    url = f"/gestion/familles/{family_a.pk}/responsables/{guardian_b.pk}/lien/"
    assert client_manager.post(url).status_code == 404


@sends_mail
def test_manager_changes_a_guardians_email(client_manager, family_a, guardian_a, smtp_server):
    url = f"/gestion/familles/{family_a.pk}/responsables/{guardian_a.pk}/email/"
    response = client_manager.post(url, {"email": "claire@nouveau.example.org"})
    assert response.status_code == 302
    guardian_a.user.refresh_from_db()
    assert guardian_a.user.email == "claire@nouveau.example.org"
    told = sorted(m["To"] for m in smtp_server)
    assert told == ["claire.martin@example.org", "claire@nouveau.example.org"]


@sends_mail
@pytest.mark.parametrize(
    "email, message",
    [
        ("paul.bernard@example.org", "déjà utilisée par un autre compte"),
        ("pas-une-adresse", "Saisissez une adresse e-mail valide"),
        ("claire.martin@example.org", "déjà l&#x27;adresse de ce compte"),
    ],
)
def test_bad_email_change_changes_nothing(
    client_manager, family_a, guardian_a, guardian_b, smtp_server, email, message
):
    url = f"/gestion/familles/{family_a.pk}/responsables/{guardian_a.pk}/email/"
    response = client_manager.post(url, {"email": email})
    assert message in response.content.decode()
    assert User.objects.get(pk=guardian_a.user_id).email == "claire.martin@example.org"
    assert smtp_server == []


# Quotients -------------------------------------------------------------------------------------


def test_manager_records_a_quotient(client_manager, family_a):
    url = f"/gestion/familles/{family_a.pk}/quotients/ajouter/"
    data = {
        "value": "980",
        "annual_income": "31500.00",
        "valid_from": "2027-01-01",
        "valid_until": "2027-12-31",
        "source": "CAF",
    }
    assert client_manager.post(url, data).status_code == 302
    quotient = Quotient.objects.for_family(family_a).get(value=980)
    assert str(quotient.annual_income) == "31500.00"
    assert AuditEntry.objects.filter(action="quotient.create", family=family_a).exists()


def test_quotient_ending_before_it_starts_is_refused(client_manager, family_a):
    url = f"/gestion/familles/{family_a.pk}/quotients/ajouter/"
    data = {"value": "980", "valid_from": "2027-01-01", "valid_until": "2026-12-31"}
    response = client_manager.post(url, data)
    assert "La fin de validité doit être le même jour que le début ou après." in (
        response.content.decode()
    )
    assert Quotient.objects.for_family(family_a).count() == 1


def test_guardian_model_keeps_one_login_each(client_manager, family_a, guardian_a):
    assert Guardian.objects.for_family(family_a).get().user.email == "claire.martin@example.org"


# Children --------------------------------------------------------------------------------------


def test_manager_adds_a_child_the_family_then_sees(client_manager, client, family_a, guardian_a):
    url = f"/gestion/familles/{family_a.pk}/enfants/ajouter/"
    data = {"first_name": "Nina", "last_name": "Martin", "birth_date": "2021-03-02", "sex": "F"}
    response = client_manager.post(url, data)
    assert response.status_code == 302
    child = family_a.children.get(first_name="Nina")
    assert str(child.birth_date) == "2021-03-02" and child.info_checked_at is None
    assert AuditEntry.objects.filter(action="child.create", family=family_a).exists()
    client.force_login(guardian_a.user)
    assert "Nina" in client.get("/portail/famille/").content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"first_name": "Nina", "last_name": "Martin", "birth_date": "2099-01-01"}, "futur"),
        ({"first_name": "", "last_name": "Martin", "birth_date": "2021-03-02"}, "obligatoire"),
        ({"first_name": "Nina", "last_name": "Martin", "birth_date": "02/03/21x"}, "date"),
    ],
)
def test_bad_child_is_refused_and_nothing_is_created(client_manager, family_a, data, message):
    response = client_manager.post(f"/gestion/familles/{family_a.pk}/enfants/ajouter/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not family_a.children.exists()
