"""The booking settings in the back-office: deadlines per kind of period, the activities'
options, APC slots, places per age group, and the structure's certificate rules."""

import datetime

import pytest

from marmots.activities.models import AgeGroupCapacity
from marmots.backoffice.templatetags.backoffice import audit_label
from marmots.bookings.models import DeadlinePolicy
from marmots.core.models import AuditEntry

SCHOOL = {"period_kind": "school_year", "days_before": "2", "at_time": "08:30"}


def errors_of(response):
    assert response.status_code == 400
    return response.content.decode()


# Deadlines -------------------------------------------------------------------------------------


def test_manager_sets_a_deadline_per_kind_of_period(client_manager, structure):
    response = client_manager.post("/gestion/delais/nouveau/", SCHOOL)
    assert response.status_code == 302
    policy = DeadlinePolicy.objects.get()
    assert policy.structure == structure and policy.days_before == 2
    assert policy.at_time == datetime.time(8, 30) and not policy.skip_public_holidays
    entry = AuditEntry.objects.get(action="deadlinepolicy.create")
    assert audit_label(entry.action) == "Délai de réservation créé"
    page = client_manager.get("/gestion/periodes/").content.decode()
    assert "2 jours ouvrés avant, à 8h30" in page


def test_manager_edits_a_deadline(client_manager, house):
    policy = DeadlinePolicy.objects.get(period_kind="holidays")
    data = {
        "period_kind": "holidays",
        "days_before": "5",
        "at_time": "12:00",
        "skip_public_holidays": "on",
    }
    assert client_manager.post(f"/gestion/delais/{policy.pk}/", data).status_code == 302
    policy.refresh_from_db()
    assert (policy.days_before, policy.at_time) == (5, datetime.time(12))
    assert policy.skip_public_holidays
    assert AuditEntry.objects.get(action="deadlinepolicy.update").before["days_before"] == 10


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"days_before": "0"}, "Indiquez au moins 1 jour ouvré."),
        ({"days_before": "-3"}, "Indiquez au moins 1 jour ouvré."),
        ({"days_before": "61"}, "Indiquez 60 jours ouvrés au plus."),
        ({"days_before": "deux"}, "Saisissez un nombre entier."),
        ({"at_time": "25:00"}, "Saisissez une heure valide."),
        ({"period_kind": "weekend"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_deadline_is_refused_in_french(client_manager, structure, changes, message):
    assert message in errors_of(client_manager.post("/gestion/delais/nouveau/", SCHOOL | changes))
    assert not DeadlinePolicy.objects.exists()


def test_one_deadline_per_kind_of_period(client_manager, house):
    response = client_manager.post("/gestion/delais/nouveau/", SCHOOL)
    assert "Un délai existe déjà pour ce type de période : modifiez-le." in errors_of(response)
    assert DeadlinePolicy.objects.count() == 2


def test_bad_edit_leaves_the_deadline_unchanged(client_manager, house):
    policy = DeadlinePolicy.objects.get(period_kind="school_year")
    errors_of(client_manager.post(f"/gestion/delais/{policy.pk}/", SCHOOL | {"days_before": "0"}))
    policy.refresh_from_db()
    assert policy.days_before == 2


# Activities and slots --------------------------------------------------------------------------


def test_activity_options_are_saved(client_manager, house):
    activity = house.holiday
    data = {
        "name": activity.name,
        "kind": activity.kind,
        "weekdays": ["0", "1", "2", "3", "4"],
        "in_holidays": "on",
        "is_active": "on",
        "order": "0",
        "families_may_cancel": "on",
        "auto_validate_at_opening": "on",
    }
    assert client_manager.post(f"/gestion/activites/{activity.pk}/", data).status_code == 302
    activity.refresh_from_db()
    assert not activity.families_may_add and activity.families_may_cancel
    assert activity.auto_validate_at_opening
    page = client_manager.get("/gestion/activites/").content.decode()
    assert "demandent chaque réservation (vous la validez)" in page


def test_slot_apc_pick_up_is_saved(client_manager, house):
    slot = house.snack_slot
    data = {
        "label": slot.label,
        "start_time": "16:30",
        "end_time": "17:30",
        "capacity": "40",
        "with_snack": "on",
        "apc_pickup": "on",
        "order": "0",
    }
    assert client_manager.post(f"/gestion/tranches/{slot.pk}/", data).status_code == 302
    slot.refresh_from_db()
    assert slot.apc_pickup


# Age groups ------------------------------------------------------------------------------------

TEENS = {"label": "12-14 ans", "min_age": "12", "max_age": "14", "capacity": "8"}


def test_manager_adds_edits_and_removes_an_age_group(client_manager, house):
    slot = house.camp_slot
    url = f"/gestion/tranches/{slot.pk}/ages/nouvelle/"
    assert client_manager.post(url, TEENS).status_code == 302
    group = AgeGroupCapacity.objects.get(label="12-14 ans")
    assert group.slot == slot and group.capacity == 8
    page = client_manager.get("/gestion/activites/").content.decode()
    assert "12-14 ans</a> (12-14 ans) : 8" in page

    edit = client_manager.post(f"/gestion/ages/{group.pk}/", TEENS | {"capacity": "10"})
    assert edit.status_code == 302
    group.refresh_from_db()
    assert group.capacity == 10

    assert client_manager.post(f"/gestion/ages/{group.pk}/supprimer/").status_code == 302
    assert not AgeGroupCapacity.objects.filter(pk=group.pk).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "agegroupcapacity.create",
        "agegroupcapacity.update",
        "agegroupcapacity.delete",
    } <= actions
    assert audit_label("agegroupcapacity.delete") == "Places par tranche d'âge supprimées"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"min_age": "5", "max_age": "7"}, "Ces âges chevauchent la tranche « 3-5 ans »."),
        ({"min_age": "14", "max_age": "12"}, "L&#x27;âge maximum doit être égal ou supérieur"),
        ({"capacity": "0"}, "Indiquez au moins une place."),
        ({"label": ""}, "Ce champ est obligatoire."),
    ],
)
def test_bad_age_group_is_refused(client_manager, house, changes, message):
    url = f"/gestion/tranches/{house.camp_slot.pk}/ages/nouvelle/"
    assert message in errors_of(client_manager.post(url, TEENS | changes))
    assert AgeGroupCapacity.objects.count() == 2


def test_an_age_group_may_keep_its_own_ages_when_edited(client_manager, house):
    group = AgeGroupCapacity.objects.get(label="3-5 ans")
    data = {"label": "3-5 ans", "min_age": "3", "max_age": "5", "capacity": "18"}
    assert client_manager.post(f"/gestion/ages/{group.pk}/", data).status_code == 302


# The structure's certificate rules ----------------------------------------------------------


def structure_data(structure, **changes):
    data = {
        "name": structure.name,
        "address": structure.address,
        "postcode": structure.postcode,
        "city": structure.city,
        "phone": structure.phone,
        "certificate_days": "5",
    }
    return data | changes


def test_certificate_rules_are_saved(client_manager, structure):
    url = f"/gestion/structure/{structure.pk}/"
    assert client_manager.post(url, structure_data(structure)).status_code == 302
    structure.refresh_from_db()
    assert structure.certificate_days == 5 and not structure.certificate_auto_excuse
    page = client_manager.get("/gestion/structure/").content.decode()
    assert "dans les 5 jours après l'absence" in page


@pytest.mark.parametrize(
    "days, message",
    [
        ("-1", "Indiquez un nombre de jours positif ou nul."),
        ("90", "Indiquez un délai de 60 jours au plus."),
        ("trois", "Saisissez un nombre entier."),
    ],
)
def test_bad_certificate_days_are_refused(client_manager, structure, days, message):
    url = f"/gestion/structure/{structure.pk}/"
    response = client_manager.post(url, structure_data(structure, certificate_days=days))
    assert message in errors_of(response)
    structure.refresh_from_db()
    assert structure.certificate_days == 3


# Who may --------------------------------------------------------------------------------------


def write_urls(house):
    policy = DeadlinePolicy.objects.get(period_kind="school_year")
    group = AgeGroupCapacity.objects.get(label="3-5 ans")
    return [
        f"/gestion/delais/{policy.pk}/",
        f"/gestion/tranches/{house.camp_slot.pk}/ages/nouvelle/",
        f"/gestion/ages/{group.pk}/",
        f"/gestion/ages/{group.pk}/supprimer/",
    ]


def test_staff_reads_but_cannot_change(client_staff, house):
    page = client_staff.get("/gestion/periodes/").content.decode()
    assert "2 jours ouvrés avant, à 8h30" in page and "/gestion/delais/" not in page
    assert client_staff.post("/gestion/delais/nouveau/", SCHOOL).status_code == 403
    for url in write_urls(house):
        assert client_staff.post(url, TEENS).status_code == 403, url
    assert AgeGroupCapacity.objects.count() == 2


def test_another_structures_manager_gets_404(client, other_manager, house):
    client.force_login(other_manager)
    for url in write_urls(house):
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, TEENS | SCHOOL).status_code == 404, url
    assert AgeGroupCapacity.objects.count() == 2
    assert DeadlinePolicy.objects.get(period_kind="school_year").days_before == 2
