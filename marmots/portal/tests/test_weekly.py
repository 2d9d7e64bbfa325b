"""Semaine type in the portal: the grid saves the template, applying it shows a preview that
writes nothing, and only "Confirmer" books. Another family's child answers 404."""

import datetime

import pytest
import time_machine

from marmots.bookings.models import Booking, BookingRequest, SlotDay, TemplateEntry
from marmots.bookings.weekly import Entry, save_template
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import text

INDEX, APPLY = "/portail/semaine-type/", "/portail/semaine-type/appliquer/"


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(at(MONDAY, 9), tick=False):
        yield


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.evening)
    return child_a


def edit_url(child):
    return f"/portail/semaine-type/{child.pk}/"


def counts():
    return [m.objects.count() for m in (Booking, BookingRequest, AuditEntry, SlotDay)]


def test_index_lists_the_children_and_their_templates(
    client_a, house, lea, guardian_a, django_assert_max_num_queries
):
    save_template(guardian_a.user, lea, [Entry(house.snack_slot, 0, "even")])
    with django_assert_max_num_queries(8):
        response = client_a.get(INDEX)
    page = text(response)
    assert response.status_code == 200
    assert "Lundi, 16h30-17h30 (Périscolaire soir), semaines paires" in page
    assert f'href="{edit_url(lea)}"' in page and f'href="{APPLY}"' in page


def test_the_grid_shows_the_days_slots_and_apc_where_allowed(
    client_a, house, lea, guardian_a, django_assert_max_num_queries
):
    save_template(guardian_a.user, lea, [Entry(house.apc_slot, 1, "odd", with_apc=True)])
    with django_assert_max_num_queries(10):
        response = client_a.get(edit_url(lea))
    page = text(response)
    assert response.status_code == 200
    assert [day in page for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi")] == [
        True,
        True,
        False,
        True,
        True,
    ]
    apc, snack = house.apc_slot.pk, house.snack_slot.pk
    assert f'name="a-{apc}-1"' in page and f'name="a-{apc + 1}-1"' in page
    assert f'name="a-{snack}-1"' not in page and f'name="a-{apc}-0"' not in page
    assert f'name="e-{apc}-1" id="e-{apc}-1" value="1" checked' in page
    assert f'name="a-{apc}-1" id="a-{apc}-1" value="1" checked' in page
    assert '<option value="odd" selected>' in page


def test_saving_the_grid(client_a, house, lea):
    snack, apc = house.snack_slot.pk, house.apc_slot.pk
    activity = house.evening.pk
    data = {
        f"e-{snack}-0": "1",
        f"w-{activity}-0": "even",
        f"e-{apc}-1": "1",
        f"a-{apc}-1": "1",
        f"w-{activity}-1": "all",
        f"a-{snack}-3": "1",  # no APC box there: ignored
    }

    response = client_a.post(edit_url(lea), data)

    assert response.status_code == 302 and response["Location"] == INDEX
    rows = TemplateEntry.objects.values_list("slot_id", "weekday", "weeks", "with_apc")
    assert sorted(rows) == sorted([(snack, 0, "even", False), (apc, 1, "all", True)])
    assert "Semaine type de Léa enregistrée." in text(client_a.get(response["Location"]))


def test_a_bad_weeks_value_is_refused_in_french(client_a, house, lea, guardian_a):
    save_template(guardian_a.user, lea, [Entry(house.snack_slot, 4)])
    data = {f"e-{house.snack_slot.pk}-0": "1", f"w-{house.evening.pk}-0": "parfois\x00"}

    response = client_a.post(edit_url(lea), data)

    assert response.status_code == 400
    assert "Choisissez toutes les semaines, les semaines paires" in text(response)
    assert list(TemplateEntry.objects.values_list("weekday", flat=True)) == [4]


def test_a_child_without_a_validated_enrollment(client_a, child_a):
    page = text(client_a.get(edit_url(child_a)))
    assert "Léa n'a pas encore d'inscription validée" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_familys_child_gives_404(client_b, house, lea, method):
    data = {f"e-{house.snack_slot.pk}-0": "1"}
    response = getattr(client_b, method)(edit_url(lea), data)
    assert response.status_code == 404
    assert not TemplateEntry.objects.exists()


@pytest.mark.parametrize("url", [INDEX, APPLY, "/portail/semaine-type/{child}/"])
def test_staff_and_anonymous_are_kept_out(client, manager, lea, url):
    url = url.format(child=lea.pk)
    response = client.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(manager)
    assert client.get(url).status_code == 403


# Applying: form, preview, confirmation


@pytest.fixture
def mondays(house, lea, guardian_a):
    save_template(guardian_a.user, lea, [Entry(house.snack_slot, 0)])
    return lea


def period(child, first="2026-11-30", last="2026-12-31", **extra):
    return {"children": [child.pk], "first_day": first, "last_day": last, **extra}


def test_the_form_offers_the_children_and_the_rest_of_the_school_year(client_a, mondays):
    page = text(client_a.get(APPLY))
    assert 'value="2026-12-01"' in page and 'value="2027-07-02"' in page
    assert "Léa" in page


def test_preview_shows_what_it_books_and_skips_and_writes_nothing(client_a, house, mondays):
    SlotDay.objects.create(
        slot=house.snack_slot, date=MONDAY + datetime.timedelta(days=7), capacity=0
    )
    before = counts()

    response = client_a.post(APPLY, period(mondays))

    assert counts() == before
    page = text(response)
    assert response.status_code == 200
    assert "1 séance sera réservée" in page and "4 dates ignorées" in page
    assert "Léa</strong> – lundi 14 décembre 2026 – Périscolaire soir 16h30-17h30" in page
    assert "Délai de réservation dépassé (1)" in page
    assert "Complet (1)" in page and "Complet : plus aucune place ce jour-là." in page
    assert "Accueil fermé (2)" in page
    assert "Pas d'accueil périscolaire pendant les vacances." in page
    assert 'name="confirmer"' in page


def test_confirm_books_and_shows_the_result(client_a, mondays):
    response = client_a.post(APPLY, period(mondays, confirmer="1"))

    page = text(response)
    assert response.status_code == 200
    assert "2 séances réservées" in page
    assert sorted(Booking.objects.values_list("date", flat=True)) == [
        datetime.date(2026, 12, 7),
        datetime.date(2026, 12, 14),
    ]


def test_nothing_to_book_offers_no_confirmation(client_a, mondays):
    page = text(client_a.post(APPLY, period(mondays, "2026-12-21", "2026-12-31")))
    assert "Aucune séance à réserver sur cette période." in page
    assert 'name="confirmer"' not in page


def test_a_child_without_template_is_named(client_a, mondays, family_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom")
    page = text(client_a.post(APPLY, {**period(mondays), "children": [mondays.pk, tom.pk]}))
    assert "Sans semaine type : Tom." in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"last_day": "2026-11-01"}, "La date de fin doit suivre la date de début."),
        ({"last_day": "2027-12-31"}, "Choisissez une période d'un an au plus."),
        ({"first_day": "30/13/2026"}, "Saisissez une date valide."),
        ({"children": []}, "Choisissez au moins un enfant."),
        ({"children": ["x"]}, "Cet enfant ne fait pas partie de votre famille."),
        ({"children": ["1\x00"]}, "Le caractère nul n’est pas autorisé."),
    ],
)
def test_bad_requests_are_refused_in_french_and_book_nothing(client_a, mondays, data, message):
    before = counts()
    response = client_a.post(APPLY, {**period(mondays, confirmer="1"), **data})
    assert response.status_code == 400
    assert message in text(response)
    assert counts() == before


def test_another_familys_child_cannot_be_applied(client_b, mondays, child_b):
    before = counts()
    response = client_b.post(APPLY, period(mondays, confirmer="1"))
    assert response.status_code == 400
    assert "Cet enfant ne fait pas partie de votre famille." in text(response)
    assert counts() == before
