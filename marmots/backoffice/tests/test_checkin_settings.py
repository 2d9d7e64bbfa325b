"""The manager's check-in settings: the structure's missed check-in threshold, and each
activity's kiosk events and maximum span (both times or none, the end after the start)."""

import datetime

import pytest

from marmots.activities.models import Activity

IDENTITY = {
    "name": "Les Petits Montagnards",
    "address": "492 Route des Terres Blanches",
    "postcode": "74440",
    "city": "Mieussy",
    "phone": "04 50 43 27 07",
}
EVENING = {"name": "Périscolaire soir", "kind": "evening", "is_active": "on", "order": "0"}


def edit_structure(client, structure, **changes):
    return client.post(f"/gestion/structure/{structure.pk}/", IDENTITY | changes)


def edit_activity(client, activity, **changes):
    return client.post(f"/gestion/activites/{activity.pk}/", EVENING | changes)


def test_manager_sets_the_missed_checkin_threshold(client_manager, structure):
    form = client_manager.get(f"/gestion/structure/{structure.pk}/").content.decode()
    assert "Oublis de pointage tolérés par mois" in form
    assert (
        edit_structure(client_manager, structure, missed_checkin_threshold="5").status_code == 302
    )
    structure.refresh_from_db()
    assert structure.missed_checkin_threshold == 5
    page = client_manager.get("/gestion/structure/").content.decode()
    assert "5 tolérés par enfant et par mois" in page
    # A form posted without the field keeps the threshold.
    assert edit_structure(client_manager, structure).status_code == 302
    structure.refresh_from_db()
    assert structure.missed_checkin_threshold == 5


@pytest.mark.parametrize(
    "value, message",
    [
        ("-1", "Indiquez un nombre positif ou nul."),
        ("40", "Indiquez 31 oublis au plus."),
        ("trois", "Saisissez un nombre entier."),
    ],
)
def test_bad_threshold_changes_nothing(client_manager, structure, value, message):
    response = edit_structure(client_manager, structure, missed_checkin_threshold=value)
    assert response.status_code == 400 and message in response.content.decode()
    structure.refresh_from_db()
    assert structure.missed_checkin_threshold == 3


def test_manager_sets_the_kiosk_events_and_max_span(client_manager, house):
    evening = house.evening
    form = client_manager.get(f"/gestion/activites/{evening.pk}/").content.decode()
    assert "Pointage des familles sur la tablette" in form and 'type="time"' in form
    response = edit_activity(
        client_manager,
        evening,
        kiosk_events="both",
        max_span_start="16:00",
        max_span_end="19:00",
    )
    assert response.status_code == 302
    evening.refresh_from_db()
    assert evening.kiosk_events == "both"
    assert (evening.max_span_start, evening.max_span_end) == (
        datetime.time(16),
        datetime.time(19),
    )
    page = client_manager.get("/gestion/activites/").content.decode()
    assert "Pointage sur la tablette : arrivée et départ ; amplitude maximale 16h00 – 19h00" in page


def test_the_rule_can_be_switched_off(client_manager, house):
    response = edit_activity(client_manager, house.evening, kiosk_events="none")
    assert response.status_code == 302
    evening = Activity.objects.get(pk=house.evening.pk)
    assert evening.kiosk_events == "none" and evening.max_span_start is None
    assert not evening.missed_checkin_rule


def test_a_form_without_the_kiosk_field_keeps_it(client_manager, house):
    edit_activity(client_manager, house.evening, max_span_start="16:30", max_span_end="18:30")
    house.evening.refresh_from_db()
    assert house.evening.kiosk_events == "departure"


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"max_span_start": "16:30"},
            "Indiquez le début et la fin de l&#x27;amplitude maximale, ou aucun des deux.",
        ),
        (
            {"max_span_end": "18:30"},
            "Indiquez le début et la fin de l&#x27;amplitude maximale, ou aucun des deux.",
        ),
        (
            {"max_span_start": "18:30", "max_span_end": "16:30"},
            "La fin de l&#x27;amplitude maximale doit être après le début.",
        ),
        (
            {"max_span_start": "16:30", "max_span_end": "16:30"},
            "La fin de l&#x27;amplitude maximale doit être après le début.",
        ),
        ({"kiosk_events": "toujours"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_kiosk_settings_change_nothing(client_manager, house, changes, message):
    response = edit_activity(client_manager, house.evening, **changes)
    assert response.status_code == 400 and message in response.content.decode()
    house.evening.refresh_from_db()
    assert house.evening.kiosk_events == "departure"
    assert house.evening.max_span_start == datetime.time(16, 30)
