"""Corrections of check-in events: a new row that replaces the old one (kept unchanged), once,
with a reason; staff events for a missing arrival or departure."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from marmots.checkin import register as actions
from marmots.checkin.models import CheckinEvent
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at

from . import checkin_helpers
from .checkin_helpers import (
    ADD_EVENT,
    ONE_DAY,
    correct_url,
    kiosk_event,
    mark,
    row_of,
)

# Shared fixtures.
kiosk, session = checkin_helpers.kiosk, checkin_helpers.session


@pytest.fixture(autouse=True)
def monday_evening():
    with time_machine.travel(at(MONDAY, 19, 45), tick=False) as traveller:
        yield traveller


@pytest.fixture
def arrival(kiosk, session, child_a):
    return kiosk_event(kiosk, child_a, session.morning, at(MONDAY, 7, 42))


def frozen(event):
    """The event's stored values, to prove a correction never modifies it."""
    return {k: v for k, v in CheckinEvent.objects.filter(pk=event.pk).values().get().items()}


def test_staff_corrects_a_kiosk_arrival(client_staff, arrival, child_a, session, staff):
    before = frozen(arrival)
    form = client_staff.get(correct_url(arrival)).content.decode()
    assert "Corriger l'arrivée de Martin Léa" in form and "7h42" in form
    response = client_staff.post(
        correct_url(arrival), {"heure": "07:50", "motif": "Pointée en retard par la maman"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#enfant-{child_a.pk}")
    assert frozen(arrival) == before
    new = CheckinEvent.objects.get(replaces=arrival)
    assert (new.at, new.source, new.by_family, new.voided, new.recorded_by) == (
        at(MONDAY, 7, 50),
        CheckinEvent.STAFF,
        True,
        False,
        staff,
    )
    assert new.reason == "Pointée en retard par la maman"
    assert AuditEntry.objects.get(action="checkin.correct").family_id == child_a.family_id
    row = row_of(client_staff.get(response["Location"]).content.decode(), child_a)
    assert "7h50" in row and "(tablette, corrigé)" in row and "Pointé par la famille" in row
    assert "<del>7h42</del> → 7h50" in row and "Nadia Animation" in row
    assert "Pointée en retard par la maman" in row


def test_voiding_withdraws_the_familys_credit(client_staff, arrival, child_a, session):
    mark(client_staff, child_a, session.morning)
    response = client_staff.post(
        correct_url(arrival), {"annuler": "on", "motif": "Pointage pour un autre enfant"}
    )
    assert response.status_code == 302
    void = CheckinEvent.objects.get(replaces=arrival)
    assert void.voided and not void.by_family and void.at == arrival.at
    row = row_of(client_staff.get(response["Location"]).content.decode(), child_a)
    assert "<del>7h42</del> → annulé" in row and "Ajouter une arrivée" in row
    assert "Oubli de pointage" in row and "Pointé par la famille" not in row


def test_a_corrected_event_cannot_be_corrected_again(client_staff, arrival):
    data = {"heure": "07:50", "motif": "Erreur"}
    client_staff.post(correct_url(arrival), data)
    assert "Ce pointage a déjà été corrigé : rechargez la page." in (
        client_staff.get(correct_url(arrival)).content.decode()
    )
    response = client_staff.post(correct_url(arrival), {"heure": "07:55", "motif": "Encore"})
    assert response.status_code == 400
    assert "Ce pointage a déjà été corrigé : rechargez la page." in response.content.decode()
    assert CheckinEvent.objects.count() == 2


def test_the_database_refuses_a_second_correction(arrival, staff):
    actions.correct_event(staff, arrival, at=at(MONDAY, 7, 50), reason="Erreur")
    with pytest.raises(actions.ValidationError, match="déjà été corrigé"):
        actions.correct_event(staff, arrival, void=True, reason="Encore")
    assert CheckinEvent.objects.count() == 2


@pytest.mark.parametrize(
    "data, message",
    [
        ({"heure": "7h50", "motif": "Erreur"}, "Indiquez l&#x27;heure sous la forme 07:45."),
        ({"heure": "07:50", "motif": "  "}, "Indiquez le motif."),
        ({"motif": "Erreur"}, "Indiquez la nouvelle heure, ou cochez « Annuler ce pointage »."),
        ({"heure": "07:50", "annuler": "on", "motif": "Erreur"}, "pas les deux"),
        ({"heure": "20:30", "motif": "Erreur"}, "Cette heure n&#x27;est pas encore passée"),
        ({"heure": "07:50", "motif": "x" * 301}, "Le motif ne doit pas dépasser 300 caractères."),
    ],
)
def test_bad_corrections_change_nothing(client_staff, arrival, data, message):
    response = client_staff.post(correct_url(arrival), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert CheckinEvent.objects.count() == 1 and not AuditEntry.objects.exists()


def test_another_structures_manager_cannot_correct(client, other_manager, arrival):
    client.force_login(other_manager)
    assert client.get(correct_url(arrival)).status_code == 404
    assert client.post(correct_url(arrival), {"heure": "07:50", "motif": "x"}).status_code == 404
    assert CheckinEvent.objects.count() == 1


def test_a_family_cannot_correct(client_a, arrival):
    assert client_a.post(correct_url(arrival), {"heure": "07:50", "motif": "x"}).status_code == 403
    assert CheckinEvent.objects.count() == 1


# Staff events ----------------------------------------------------------------------------------


def add(client, child, activity, kind="departure", day=MONDAY, **data):
    params = {"enfant": child.pk, "activite": activity.pk, "date": f"{day:%Y-%m-%d}", "type": kind}
    return client.post(ADD_EVENT, params | data)


def test_a_staff_departure_does_not_cancel_a_missed_check_in(client_staff, session, child_a):
    with time_machine.travel(at(MONDAY, 16, 40), tick=False):
        mark(client_staff, child_a, session.evening)
    form = client_staff.get(
        ADD_EVENT,
        {
            "enfant": child_a.pk,
            "activite": session.evening.pk,
            "date": "2026-11-30",
            "type": "departure",
        },
    ).content.decode()
    assert "Ajouter un départ – Martin Léa" in form
    response = add(
        client_staff, child_a, session.evening, heure="18:10", motif="Parti avec sa tante"
    )
    assert response.status_code == 302
    event = CheckinEvent.objects.get()
    assert (event.kind, event.at, event.source, event.by_family) == (
        "departure",
        at(MONDAY, 18, 10),
        CheckinEvent.STAFF,
        False,
    )
    row = row_of(client_staff.get(response["Location"]).content.decode(), child_a)
    assert "18h10" in row and "(équipe)" in row
    assert "Pas de départ enregistré" not in row and "Oubli de pointage" in row


@pytest.mark.parametrize(
    "data, message",
    [
        ({"heure": "18:10", "motif": ""}, "Indiquez le motif."),
        ({"heure": "18h", "motif": "Oubli"}, "Indiquez l&#x27;heure sous la forme 07:45."),
        ({"heure": "21:00", "motif": "Oubli"}, "Cette heure n&#x27;est pas encore passée"),
    ],
)
def test_bad_staff_events_change_nothing(client_staff, session, child_a, data, message):
    response = add(client_staff, child_a, session.evening, **data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not CheckinEvent.objects.exists()


def test_a_second_departure_is_refused(client_staff, session, child_a, kiosk):
    kiosk_event(kiosk, child_a, session.evening, at(MONDAY, 18, 5), "departure")
    response = add(client_staff, child_a, session.evening, heure="18:10", motif="Oubli")
    assert "Un départ est déjà enregistré : corrigez-le." in response.content.decode()
    assert CheckinEvent.objects.count() == 1


@pytest.mark.parametrize(
    "changes, status, message",
    [
        ({"type": "sieste"}, 302, "Choisissez une arrivée ou un départ."),
        ({"enfant": "x"}, 302, "Enfant ou séance inconnus."),
        ({"date": "hier"}, 302, "Indiquez un jour valide."),
        ({"enfant": "999999"}, 404, None),
    ],
)
def test_bad_sessions_change_nothing(client_staff, session, child_a, changes, status, message):
    data = {"enfant": child_a.pk, "activite": session.evening.pk, "date": "2026-11-30"}
    data |= {"type": "departure", "heure": "18:10", "motif": "Oubli"}
    response = client_staff.post(ADD_EVENT, data | changes)
    assert response.status_code == status
    if message:
        assert message in client_staff.get(response["Location"]).content.decode()
    assert not CheckinEvent.objects.exists()


def test_a_staff_event_for_a_future_day_is_refused(client_staff, session, child_a):
    tomorrow = MONDAY + ONE_DAY
    response = add(client_staff, child_a, session.evening, day=tomorrow, heure="07:00", motif="x")
    assert "On ne pointe pas la présence d&#x27;un jour à venir." in response.content.decode()
    assert not CheckinEvent.objects.exists()


def test_another_structures_child_gets_no_staff_event(client_staff, session, other_structure):
    zoe = f.ChildFactory(family=f.FamilyFactory(structures=[other_structure]), first_name="Zoé")
    assert add(client_staff, zoe, session.evening, heure="18:10", motif="x").status_code == 404
    assert not CheckinEvent.objects.exists()


def test_the_action_checks_the_structure(session, child_a, other_manager):
    with pytest.raises(actions.PermissionDenied):
        actions.add_staff_event(
            other_manager,
            child_a,
            session.evening,
            MONDAY,
            "departure",
            at(MONDAY, 18),
            "Oubli",
        )
    assert not CheckinEvent.objects.exists()


def test_the_time_must_be_on_the_events_day(arrival, staff):
    with pytest.raises(actions.ValidationError, match="lundi 30/11/2026"):
        actions.correct_event(
            staff, arrival, at=at(MONDAY - datetime.timedelta(days=1), 7), reason="x"
        )


def test_the_manager_excuses_the_family_when_the_tablet_was_out_of_order(
    client_manager, session, child_a
):
    mark(client_manager, child_a, session.evening)
    response = add(
        client_manager,
        child_a,
        session.evening,
        heure="18:10",
        motif="Tablette en panne toute la soirée",
        dispense="on",
    )
    assert response.status_code == 302
    assert CheckinEvent.objects.get().by_family is True
    row = row_of(client_manager.get(response["Location"]).content.decode(), child_a)
    assert "Oubli de pointage" not in row and "(équipe, famille dispensée)" in row


def test_staff_cannot_excuse_the_family(client_staff, session, child_a, staff):
    form = client_staff.get(
        ADD_EVENT,
        {"enfant": child_a.pk, "activite": session.evening.pk, "date": "2026-11-30"}
        | {"type": "departure"},
    ).content.decode()
    assert "La famille n&#x27;y est pour rien" not in form
    add(client_staff, child_a, session.evening, heure="18:10", motif="Panne", dispense="on")
    assert CheckinEvent.objects.get().by_family is False
    with pytest.raises(PermissionDenied):
        actions.add_staff_event(
            staff,
            child_a,
            session.evening,
            MONDAY,
            "departure",
            at(MONDAY, 18, 10),
            "Panne",
            family_excused=True,
        )
