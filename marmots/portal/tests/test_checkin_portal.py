"""Pointage à la tablette, seen by a family: its PIN, its QR card, the month's missed check-ins
and the warnings before the threshold is crossed, for its own children only."""

import datetime

import pytest
import time_machine

from marmots.checkin import devices
from marmots.checkin.models import CheckinEvent, FamilyKey, Kiosk, RegisterMark
from marmots.core.models import AuditEntry
from marmots.portal.views_checkin import card_qr
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import text

URL = "/portail/pointage/"
NOVEMBER = [datetime.date(2026, 11, d) for d in (2, 3, 5, 6, 9)]  # school days, Mon-Mon
DECEMBER_1 = datetime.date(2026, 12, 1)


@pytest.fixture
def kiosk(structure):
    return Kiosk.objects.create(structure=structure, name="Entrée")


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.morning, house.evening)
    return child_a


def missed(child, activity, day):
    """Staff marked the child present; the family did not check in."""
    return RegisterMark.objects.create(child=child, activity=activity, date=day, present=True)


def checked(kiosk, child, activity, day, kind, hour, minute=0):
    """Present, with the family's kiosk event."""
    missed(child, activity, day)
    moment = at(day, hour, minute)
    return CheckinEvent.objects.create(
        child=child,
        activity=activity,
        date=day,
        kind=kind,
        at=moment,
        device_time=moment,
        source=CheckinEvent.KIOSK,
        by_family=True,
        kiosk=kiosk,
        nonce=f"n-{child.pk}-{activity.pk}-{day}-{kind}",
    )


def page(client, url=URL, when=None):
    with time_machine.travel(when or at(MONDAY, 20), tick=False):
        return text(client.get(url))


def post_pin(client, pin, confirm=None):
    return client.post(
        f"{URL}code/", {"pin": pin, "pin_confirm": pin if confirm is None else confirm}
    )


# The family PIN


def test_setting_the_pin(client_a, family_a):
    assert "Pas encore défini" in page(client_a)
    response = post_pin(client_a, "246813")
    assert response.status_code == 302 and response["Location"] == URL
    key = FamilyKey.objects.get(family=family_a)
    assert key.pin_digest == devices.pin_digest("246813")
    html = text(client_a.get(URL))
    assert "Code enregistré : vous pouvez l'utiliser sur la tablette." in html
    assert "Code défini le" in html and "Changer le code" in html
    post_pin(client_a, "975310")
    key.refresh_from_db()
    assert key.pin_digest == devices.pin_digest("975310")
    assert "Nouveau code enregistré : l'ancien ne fonctionne plus." in text(client_a.get(URL))


def test_the_pin_fields_ask_for_digits_without_autocomplete(client_a):
    html = page(client_a)
    assert html.count('inputmode="numeric"') == 2
    assert html.count('autocomplete="off"') == 2
    assert '<label for="id_pin">' in html and '<label for="id_pin_confirm">' in html


@pytest.mark.parametrize(
    "pin, confirm, message",
    [
        ("246813", "246831", "Les deux codes ne sont pas identiques"),
        ("111111", None, "pas six fois le même chiffre"),
        ("123456", None, "pas une suite comme 123456 ou 654321"),
        ("12345", None, "exactement 6 chiffres"),
        ("abcdef", None, "exactement 6 chiffres"),
        ("", "", "Ce champ est obligatoire."),
    ],
)
def test_a_bad_pin_is_refused_and_changes_nothing(
    client_a, guardian_a, family_a, pin, confirm, message
):
    assert devices.set_pin(guardian_a.user, family_a, "975310") is None
    key = FamilyKey.objects.get(family=family_a)
    audits = AuditEntry.objects.count()
    response = post_pin(client_a, pin, confirm)
    assert response.status_code == 200
    assert message in text(response)
    key.refresh_from_db()
    assert key.pin_digest == devices.pin_digest("975310")
    assert AuditEntry.objects.count() == audits


def test_a_pin_taken_by_another_family_is_refused(client_a, family_a, family_b, guardian_b):
    devices.set_pin(guardian_b.user, family_b, "246813")
    b_digest = FamilyKey.objects.get(family=family_b).pin_digest
    response = post_pin(client_a, "246813")
    assert response.status_code == 200
    assert "Ce code n'est pas disponible : choisissez-en un autre." in text(response)
    assert FamilyKey.objects.get(family=family_b).pin_digest == b_digest
    assert FamilyKey.objects.get(family=family_a).pin_digest is None


def test_taken_pins_cannot_be_tried_by_the_thousand(client_a, family_a, family_b, guardian_b):
    devices.set_pin(guardian_b.user, family_b, "246813")
    for _ in range(5):
        post_pin(client_a, "246813")
    response = post_pin(client_a, "975310")
    assert "Trop de codes refusés aujourd'hui" in text(response)
    assert FamilyKey.objects.get(family=family_a).pin_digest is None


# The QR card


def test_the_card_is_shown_printable_and_renewable(client_a, family_a, kiosk):
    html = page(client_a)
    key = FamilyKey.objects.get(family=family_a)
    old_card = devices.card_content(key)
    assert card_qr(key, family_a) in html
    card = text(client_a.get(f"{URL}carte/"))
    assert "Famille Martin" in card and card_qr(key, family_a) in card and "@media print" in card

    confirm = text(client_a.get(f"{URL}carte/renouveler/"))
    assert "L'ancienne carte ne fonctionnera plus" in confirm
    assert FamilyKey.objects.get(family=family_a).card_secret == key.card_secret  # GET: nothing
    response = client_a.post(f"{URL}carte/renouveler/")
    assert response.status_code == 302 and response["Location"] == f"{URL}carte/"
    key.refresh_from_db()
    assert devices.card_content(key) != old_card
    assert card_qr(key, family_a) in text(client_a.get(f"{URL}carte/"))
    assert devices.identify(kiosk, card=devices.card_content(key)) == family_a
    with pytest.raises(devices.Refusal):
        devices.identify(kiosk, card=old_card)


# Missed check-ins and warnings (threshold 3)


def test_sessions_with_the_familys_event_do_not_count(client_a, house, lea, kiosk, manager):
    checked(kiosk, lea, house.morning, NOVEMBER[0], "arrival", 7, 40)
    checked(kiosk, lea, house.evening, NOVEMBER[0], "departure", 17, 50)
    missed(lea, house.evening, NOVEMBER[1])
    # A departure recorded by staff does not replace the family's own.
    CheckinEvent.objects.create(
        child=lea,
        activity=house.evening,
        date=NOVEMBER[1],
        kind="departure",
        at=at(NOVEMBER[1], 18),
        source=CheckinEvent.STAFF,
        by_family=False,
        recorded_by=manager,
    )
    html = page(client_a)
    assert "Léa : 1 oubli de pointage en novembre (seuil : 3)" in html
    assert "mardi 3 novembre 2026, soir (Périscolaire soir) : départ non pointé" in html
    assert "lundi 2 novembre" not in html
    assert "Attention" not in html


def test_todays_sessions_count_from_tomorrow(client_a, house, lea):
    missed(lea, house.morning, MONDAY)
    assert "Léa : aucun oubli de pointage en novembre" in page(client_a, when=at(MONDAY, 20))
    html = page(client_a, f"{URL}?mois=2026-11", at(DECEMBER_1, 0, 5))
    assert "Léa : 1 oubli de pointage en novembre (seuil : 3)" in html


WARNINGS = {
    2: "Attention : encore 1 oubli ce mois-ci et Léa atteindra le seuil de 3.",
    3: "Attention : encore 1 oubli ce mois-ci et toutes les séances de novembre avec un oubli "
    "de pointage de Léa seront facturées sur l'amplitude horaire maximale.",
    4: "Seuil dépassé : plus de 3 oublis en novembre, les séances de ce mois avec un oubli de "
    "pointage seront facturées sur l'amplitude horaire maximale.",
}


@pytest.mark.parametrize("count", [2, 3, 4])
def test_warnings_around_the_threshold(client_a, house, lea, count):
    for day in NOVEMBER[:count]:
        missed(lea, house.morning, day)
    html = page(client_a)
    assert f"Léa : {count} oublis de pointage en novembre (seuil : 3)" in html
    assert "lundi 2 novembre 2026, matin (Périscolaire matin) : arrivée non pointée" in html
    assert WARNINGS[count] in html
    assert all(WARNINGS[other] not in html for other in WARNINGS if other != count)
    home = page(client_a, "/portail/")
    assert ("Oublis de pointage ce mois-ci" in home) == (count >= 3)
    if count >= 3:
        assert f"Léa</strong> : {count} oublis de pointage (seuil : 3)" in home
        assert 'href="/portail/pointage/#oublis"' in home


def test_the_threshold_is_the_structures_setting(client_a, house, lea, structure):
    structure.missed_checkin_threshold = 1
    structure.save()
    missed(lea, house.morning, NOVEMBER[0])
    html = page(client_a)
    assert "Léa : 1 oubli de pointage en novembre (seuil : 1)" in html
    assert "Jusqu'à 1 oubli dans le mois" in html
    assert "Périscolaire soir : pointage au départ, amplitude maximale 16h30-18h30" in html


def test_months_do_not_mix(client_a, house, lea):
    for day in NOVEMBER[:3]:
        missed(lea, house.morning, day)
    missed(lea, house.evening, MONDAY)  # 30/11: November's fourth
    missed(lea, house.morning, DECEMBER_1)
    december = at(DECEMBER_1 + datetime.timedelta(days=1), 20)
    html = page(client_a, when=december)
    assert "Léa : 1 oubli de pointage en décembre (seuil : 3)" in html
    assert "lundi 30 novembre" not in html and "Seuil dépassé" not in html
    assert "Oublis de pointage ce mois-ci" not in page(client_a, "/portail/", december)
    html = page(client_a, f"{URL}?mois=2026-11", december)
    assert "Léa : 4 oublis de pointage en novembre (seuil : 3)" in html
    assert "lundi 30 novembre 2026, soir (Périscolaire soir) : départ non pointé" in html
    assert "les séances de ce mois avec un oubli de pointage sont facturées" in html
    assert "?mois=2026-12#oublis" in html  # back to December, and no further
    assert "?mois=2027-01" not in page(client_a, when=december)


def test_a_bad_or_future_month_shows_this_month(client_a, lea):
    html = page(client_a, f"{URL}?mois=2026-13")
    assert "Mois invalide" in html and "Oublis de pointage – novembre 2026" in html
    assert "Oublis de pointage – novembre 2026" in page(client_a, f"{URL}?mois=2027-03")


# Scoping


def test_family_b_sees_neither_as_counts_nor_as_card(client, house, lea, child_b, guardian_b):
    enroll(house, child_b, house.morning)
    for day in NOVEMBER[:4]:
        missed(lea, house.morning, day)
    a_key = devices.key_for(lea.family)
    a_secret = a_key.card_secret
    client.force_login(guardian_b.user)
    for url in (URL, f"{URL}?mois=2026-11", f"{URL}carte/", "/portail/"):
        html = page(client, url)
        assert "Léa" not in html and "Martin" not in html
        assert card_qr(a_key, lea.family) not in html
    assert "Hugo : aucun oubli de pointage en novembre (seuil : 3)" in page(client)
    assert "Famille Bernard" in page(client, f"{URL}carte/")
    client.post(f"{URL}carte/renouveler/")
    post_pin(client, "975310")
    a_key.refresh_from_db()
    assert a_key.card_secret == a_secret and a_key.pin_digest is None


@pytest.mark.parametrize("url", [URL, f"{URL}carte/", f"{URL}carte/renouveler/"])
def test_staff_and_anonymous_are_kept_out(client, manager, url):
    response = client.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(manager)
    assert client.get(url).status_code == 403
    assert client.post(f"{URL}code/", {"pin": "246813", "pin_confirm": "246813"}).status_code == 403
    assert not FamilyKey.objects.exists()


def test_the_menu_links_to_the_page(client_a):
    assert '<a href="/portail/pointage/">Pointage</a>' in page(client_a, "/portail/")


# Query counts stay bounded whatever the number of children


@pytest.mark.parametrize("url", [URL, "/portail/"])
def test_query_count_does_not_grow_with_children(
    client_a, house, lea, family_a, kiosk, django_assert_max_num_queries, url
):
    def fill(child):
        for day in NOVEMBER:
            missed(child, house.morning, day)
            checked(kiosk, child, house.evening, day, "departure", 17)

    fill(lea)
    page(client_a, url)  # the family key is created on the first visit
    with django_assert_max_num_queries(20) as one:
        page(client_a, url)
    for name in ("Tom", "Zoé", "Noé", "Inès"):
        fill(f.ChildFactory(family=family_a, first_name=name))
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = page(client_a, url)
    if url == URL:
        assert "Inès : 5 oublis de pointage en novembre (seuil : 3)" in html
