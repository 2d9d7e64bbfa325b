"""Mes inscriptions, through HTTP with the fixed personas."""

import io

import pytest
from pypdf import PdfReader

from marmots.enrollments.models import Enrollment
from marmots.enrollments.tests import builders as b

URL = "/portail/inscriptions/"
REQUEST_URL = URL + "demander/"


@pytest.fixture(autouse=True)
def frozen(time_machine):
    b.freeze(time_machine)


@pytest.fixture
def activity(structure):
    return b.evening(structure)


def form_data(child, activity, **overrides):
    data = {
        "child": child.pk,
        "activity": activity.pk,
        "period": "",
        "start_date": "2026-09-01",
        "end_date": "2027-07-03",
        "comment": "Surtout le lundi",
    }
    data.update(overrides)
    return data


def test_the_list_needs_a_login(client, structure):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"]


def test_the_list_shows_marks_status_and_refusal_reason(
    client_a, child_a, child_b, activity, django_assert_max_num_queries
):
    b.enrollment(child_a, activity)
    b.enrollment(child_a, b.holiday_activity(activity.structure), Enrollment.VALIDATED)
    refused = b.enrollment(child_a, activity, Enrollment.REFUSED, start_date=b.TODAY)
    b.enrollment(child_a, activity, Enrollment.CANCELLED, start_date=b.TODAY)
    b.enrollment(child_b, activity, comment="Famille B seulement")
    with django_assert_max_num_queries(8):
        response = client_a.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge wait" aria-hidden="true">?</span>' in html
    assert '<span class="badge ok" aria-hidden="true">V</span>' in html
    assert '<span class="badge bad" aria-hidden="true">✗</span>' in html
    assert '<span class="badge muted" aria-hidden="true">–</span>' in html
    assert "En attente de validation" in html and "Validée le" in html
    assert refused.refusal_reason in html
    assert "Famille B seulement" not in html
    assert "Demander une attestation" in html


def test_the_request_form_offers_only_the_familys_children(client_a, child_a, child_b, activity):
    html = client_a.get(REQUEST_URL).content.decode()
    assert f'value="{child_a.pk}"' in html
    assert f'value="{child_b.pk}"' not in html
    assert "Périscolaire soir" in html
    assert '<label for="id_start_date">Du</label>' in html


def test_a_request_is_sent_and_shown_pending(client_a, child_a, activity):
    response = client_a.post(REQUEST_URL, form_data(child_a, activity), follow=True)
    enrollment = Enrollment.objects.get()
    assert (enrollment.child, enrollment.status) == (child_a, Enrollment.PENDING)
    assert enrollment.comment == "Surtout le lundi"
    assert "Demande d&#x27;inscription de Léa envoyée" in response.content.decode()


def test_bad_dates_give_a_french_message_and_change_nothing(client_a, child_a, activity):
    data = form_data(child_a, activity, start_date="2026-09-10", end_date="2026-09-01")
    response = client_a.post(REQUEST_URL, data)
    assert response.status_code == 200
    assert "La date de fin doit être postérieure ou égale à la date de début." in (
        response.content.decode()
    )
    assert not Enrollment.objects.exists()


def test_missing_fields_give_french_messages(client_a, child_a, activity):
    data = {**form_data(child_a, activity), "start_date": "", "activity": ""}
    html = client_a.post(REQUEST_URL, data).content.decode()
    assert html.count("Ce champ est obligatoire.") == 2
    assert not Enrollment.objects.exists()


def test_an_unreadable_date_gives_a_french_message(client_a, child_a, activity):
    html = client_a.post(REQUEST_URL, form_data(child_a, activity, end_date="31/02")).content
    assert "Saisissez une date valide." in html.decode()
    assert not Enrollment.objects.exists()


def test_another_familys_child_cannot_be_chosen(client_a, child_b, activity):
    html = client_a.post(REQUEST_URL, form_data(child_b, activity)).content.decode()
    assert "Sélectionnez un choix valide" in html
    assert not Enrollment.objects.exists()


def test_a_holiday_request_with_its_period(client_a, child_a, structure):
    activity, period = b.holiday_activity(structure), b.toussaint(structure)
    data = form_data(
        child_a, activity, period=period.pk, start_date="2026-10-19", end_date="2026-10-23"
    )
    assert client_a.post(REQUEST_URL, data).status_code == 302
    assert Enrollment.objects.get().period == period


def test_the_family_withdraws_its_pending_request(client_a, child_a, activity):
    enrollment = b.enrollment(child_a, activity)
    response = client_a.post(f"{URL}{enrollment.pk}/retirer/", follow=True)
    assert "Votre demande d&#x27;inscription a été retirée." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.CANCELLED


def test_withdrawing_needs_a_post(client_a, child_a, activity):
    enrollment = b.enrollment(child_a, activity)
    assert client_a.get(f"{URL}{enrollment.pk}/retirer/").status_code == 405


def test_a_validated_enrollment_cannot_be_withdrawn(client_a, child_a, activity):
    enrollment = b.enrollment(child_a, activity, Enrollment.VALIDATED)
    response = client_a.post(f"{URL}{enrollment.pk}/retirer/", follow=True)
    assert "n&#x27;est plus en attente" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.VALIDATED


def test_the_certificate_downloads_as_a_pdf(client_a, child_a, activity):
    enrollment = b.enrollment(child_a, activity, Enrollment.VALIDATED)
    response = client_a.get(f"{URL}{enrollment.pk}/attestation/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Léa" in text and "Périscolaire soir" in text
    assert "du 01/09/2026 au 03/07/2027" in text


def test_no_certificate_for_a_pending_request(client_a, child_a, activity):
    enrollment = b.enrollment(child_a, activity)
    response = client_a.get(f"{URL}{enrollment.pk}/attestation/", follow=True)
    assert "disponible une fois l&#x27;inscription validée" in response.content.decode()


@pytest.mark.parametrize("suffix, method", [("retirer/", "post"), ("attestation/", "get")])
def test_another_familys_enrollment_is_not_found(client_a, child_b, activity, suffix, method):
    status = Enrollment.PENDING if method == "post" else Enrollment.VALIDATED
    theirs = b.enrollment(child_b, activity, status)
    response = getattr(client_a, method)(f"{URL}{theirs.pk}/{suffix}")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == status


def test_staff_are_not_families(client_manager):
    assert client_manager.get(URL).status_code == 403
    assert client_manager.get(REQUEST_URL).status_code == 403
