"""Back-office tariffs (/gestion/facturation/tarifs/) through HTTP: the list in words, the
price grid checked on the server, history kept by "Nouveau tarif à partir du …"."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing.models import Tariff
from marmots.billing.tests.factories import invoice
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import at

URL = "/gestion/facturation/tarifs/"
NEW = URL + "nouveau/"
DEMO_BRACKETS = [("0", "650", "0,60"), ("651", "1150", "0,90"), ("1151", "", "1,20")]


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(datetime.date(2026, 12, 2), 10), tick=False)


def grid(rows, prefix="prix"):
    """Management form and rows: (qf_min, qf_max, amount[, min_rank, residence])."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + 1),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        # The empty row the page always offers, sent back with its defaults.
        f"{prefix}-{len(rows)}-qf_min": "0",
        f"{prefix}-{len(rows)}-min_rank": "1",
        f"{prefix}-{len(rows)}-residence": "any",
    }
    for i, row in enumerate(rows):
        low, high, amount, rank, residence = (*row, *("1", "any")[len(row) - 3 :])
        data |= {
            f"{prefix}-{i}-qf_min": low,
            f"{prefix}-{i}-qf_max": high,
            f"{prefix}-{i}-amount": amount,
            f"{prefix}-{i}-min_rank": rank,
            f"{prefix}-{i}-residence": residence,
        }
    return data


def tariff_data(activity, rows=DEMO_BRACKETS, **fields):
    data = {
        "activity": activity.pk if activity else "",
        "slot": "",
        "kind": "attendance",
        "unit": "half_hour",
        "method": "brackets",
        "label": "Périscolaire matin 2027",
        "rate": "",
        "qf_floor": "",
        "qf_ceiling": "",
        "valid_from": "2027-09-01",
        "valid_until": "",
    }
    return data | grid(rows) | fields


def used(tariff, family, day=datetime.date(2026, 11, 30)):
    """An issued invoice with a line priced by `tariff` on `day`."""
    line = {"label": "Ligne", "amount": "2.40", "tariff": tariff, "date": day}
    return invoice(family, tariff.structure, [line])


def half_hour(tariffs, activity):
    return next(t for t in tariffs if t.activity == activity and t.unit == Tariff.HALF_HOUR)


def test_the_list_says_the_prices_in_words(
    client_manager, tariffs, house, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        html = client_manager.get(URL).content.decode()
    assert "<h2" in html and "Périscolaire soir" in html and "Adhésion et tarifs communs" in html
    assert "QF 0-650 : 0,60\u00a0€" in html and "QF 1151 et plus : 1,20\u00a0€" in html
    assert "tout QF : 20,00\u00a0€" in html and "depuis le 01/09/2026" in html
    assert "par demi-heure" in html and "Nouveau tarif" in html


def test_staff_read_other_structures_see_nothing(
    client, staff, other_manager, guardian_a, tariffs, house
):
    tariff = tariffs[0]
    client.force_login(staff)
    html = client.get(URL).content.decode()
    assert "QF 0-650" in html and "Modifier" not in html and NEW not in html
    assert client.get(NEW).status_code == 403
    assert client.post(f"{URL}{tariff.pk}/", {}).status_code == 403
    client.force_login(other_manager)
    assert "QF 0-650" not in client.get(URL).content.decode()
    assert client.get(f"{URL}{tariff.pk}/").status_code == 404
    assert client.get(f"{URL}{tariff.pk}/nouveau-tarif/").status_code == 404
    client.force_login(guardian_a.user)
    assert client.get(URL).status_code == 403


def test_a_bracket_tariff_is_created_with_its_grid(client_manager, house, manager):
    response = client_manager.post(NEW, tariff_data(house.morning))
    assert response.status_code == 302
    tariff = Tariff.objects.get(label="Périscolaire matin 2027")
    prices = [(p.qf_min, p.qf_max, p.amount) for p in tariff.prices.order_by("qf_min")]
    assert prices == [
        (0, 650, Decimal("0.60")),
        (651, 1150, Decimal("0.90")),
        (1151, None, Decimal("1.20")),
    ]
    entry = AuditEntry.objects.get(action="tariff.create")
    assert entry.actor == manager and len(entry.after["prices"]) == 3


def test_a_tariff_may_be_a_meal_left_out_of_the_tax_certificate(client_manager, house):
    page = client_manager.get(NEW).content.decode()
    assert 'name="is_meal"' in page and "Exclu de l'attestation fiscale" in page
    response = client_manager.post(NEW, tariff_data(house.morning, label="Repas", is_meal="on"))
    assert response.status_code == 302
    assert Tariff.objects.get(label="Repas").is_meal
    assert AuditEntry.objects.get(action="tariff.create").after["is_meal"] is True
    client_manager.post(NEW, tariff_data(house.evening, label="Soir"))
    assert not Tariff.objects.get(label="Soir").is_meal


def test_an_extra_without_a_slot_comes_with_every_billed_session(client_manager, house):
    page = client_manager.get(NEW).content.decode()
    assert "pour un supplément, à chaque séance facturée de l'activité" in page
    data = tariff_data(house.evening, [("0", "", "0,50")], kind="extra", unit="session")
    response = client_manager.post(NEW, data | {"label": "Goûter"})
    assert response.status_code == 302
    snack = Tariff.objects.get(label="Goûter")
    assert (snack.kind, snack.slot, snack.activity) == ("extra", None, house.evening)
    data = tariff_data(house.evening, [("0", "", "0,50")], kind="extra", unit="session")
    response = client_manager.post(
        NEW, data | {"label": "Goûter 16h30", "slot": house.snack_slot.pk}
    )
    assert response.status_code == 302
    assert Tariff.objects.get(label="Goûter 16h30").slot == house.snack_slot


def test_an_effort_rate_tariff(client_manager, house):
    data = tariff_data(
        house.evening, [], method="effort_rate", rate="0,0027", qf_floor="200", qf_ceiling="2500"
    )
    assert client_manager.post(NEW, data).status_code == 302
    tariff = Tariff.objects.get()
    assert (tariff.rate, tariff.qf_floor, tariff.qf_ceiling) == (Decimal("0.0027"), 200, 2500)
    assert not tariff.prices.exists()
    html = client_manager.get(URL).content.decode()
    assert "QF × 0,0027, QF compté entre 200 et 2500 : de 0,54\u00a0€ à 6,75\u00a0€" in html


@pytest.mark.parametrize(
    "rows, fields, message",
    [
        (
            [("0", "700", "0,60"), ("650", "", "0,90")],
            {},
            "Les tranches QF 0-700 et QF 650 et plus se chevauchent.",
        ),
        (
            [("0", "650", "0,60"), ("700", "", "0,90")],
            {},
            "Aucun prix pour un QF de 651 à 699.",
        ),
        ([("100", "", "0,60")], {}, "Aucun prix pour un QF de 0 à 99."),
        ([("0", "650", "0,60")], {}, "Aucun prix pour un QF au-delà de 650"),
        (
            [("0", "", "0,60"), ("0", "650", "0,50", "2"), ("700", "", "0,70", "2")],
            {},
            "Aucun prix pour un QF de 651 à 699 (à partir du 2e enfant).",
        ),
        (
            [("0", "", "0,60", "1", "resident")],
            {},
            "Aucun prix pour les non-résidents",
        ),
        ([], {}, "Indiquez au moins un prix dans la grille."),
        (
            [],
            {"method": "effort_rate", "rate": "0,0027"},
            "Taux d&#x27;effort incomplet : indiquez le taux, le QF plancher et le QF plafond.",
        ),
        (
            DEMO_BRACKETS,
            {"method": "effort_rate", "rate": "0,0027", "qf_floor": "200", "qf_ceiling": "2500"},
            "Un tarif au taux d&#x27;effort n&#x27;a pas de grille de prix",
        ),
        (DEMO_BRACKETS, {"kind": "membership"}, "Une adhésion se compte par enfant ou"),
        (DEMO_BRACKETS, {"unit": "child_year"}, "Cette unité est réservée à l&#x27;adhésion"),
        (DEMO_BRACKETS, {"activity": ""}, "Choisissez l&#x27;activité de ce tarif."),
        (
            DEMO_BRACKETS,
            {"valid_from": "2027-09-01", "valid_until": "2027-08-31"},
            "La fin de validité doit suivre son début.",
        ),
    ],
)
def test_the_server_says_what_is_wrong(client_manager, house, rows, fields, message):
    response = client_manager.post(NEW, tariff_data(house.morning, rows) | fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Tariff.objects.exists()


def test_a_slot_of_another_activity_is_refused(client_manager, house):
    data = tariff_data(house.evening, kind="extra", unit="session", slot=house.camp_slot.pk)
    response = client_manager.post(NEW, data)
    assert response.status_code == 400
    assert (
        "La tranche « Journée avec repas » est une tranche de « Accueil de loisirs (vacances) »"
        in response.content.decode()
    )


def test_another_structures_activity_is_not_offered(client_manager, house, other_structure):
    theirs = f.ActivityFactory(structure=other_structure, name="Mercredis à Taninges")
    response = client_manager.post(NEW, tariff_data(theirs))
    assert response.status_code == 400 and not Tariff.objects.exists()


def test_two_tariffs_for_the_same_thing_at_the_same_dates_are_refused(
    client_manager, tariffs, house
):
    response = client_manager.post(NEW, tariff_data(house.morning, valid_from="2027-01-01"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Le tarif « Périscolaire matin (demi-heure) » (du 01/09/2026) s&#x27;applique" in html


def test_a_tariff_no_invoice_used_is_edited(client_manager, tariffs, house):
    tariff = half_hour(tariffs, house.morning)
    page = client_manager.get(f"{URL}{tariff.pk}/").content.decode()
    assert 'name="prix-0-amount" value="0,60"' in page
    rows = [("0", "650", "0,65"), ("651", "1150", "0,90"), ("1151", "", "1,20")]
    data = tariff_data(house.morning, rows, label=tariff.label, valid_from="2026-09-01")
    assert client_manager.post(f"{URL}{tariff.pk}/", data).status_code == 302
    assert tariff.prices.get(qf_min=0).amount == Decimal("0.65")
    assert AuditEntry.objects.filter(action="tariff.update", object_id=str(tariff.pk)).exists()


def test_a_used_tariff_is_replaced_from_a_date_not_rewritten(
    client_manager, tariffs, house, family_a
):
    tariff = half_hour(tariffs, house.morning)
    used(tariff, family_a)
    response = client_manager.get(f"{URL}{tariff.pk}/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{URL}{tariff.pk}/nouveau-tarif/"
    assert "Nouveau tarif à partir du" in html and 'value="0,60"' in html

    rows = [("0", "650", "0,70"), ("651", "1150", "1,00"), ("1151", "", "1,30")]
    data = {k: v for k, v in tariff_data(None, rows).items() if k not in ("activity", "slot")}
    data |= {"label": "Périscolaire matin (demi-heure)", "valid_from": "2027-01-01"}
    assert client_manager.post(f"{URL}{tariff.pk}/nouveau-tarif/", data).status_code == 302

    tariff.refresh_from_db()
    assert tariff.valid_until == datetime.date(2026, 12, 31)
    assert tariff.prices.get(qf_min=0).amount == Decimal("0.60")  # history unchanged
    new = Tariff.objects.get(valid_from=datetime.date(2027, 1, 1))
    assert (new.activity, new.kind, new.unit) == (house.morning, "attendance", "half_hour")
    assert new.prices.get(qf_min=0).amount == Decimal("0.70")
    assert {e.action for e in AuditEntry.objects.all()} >= {"tariff.end", "tariff.replace"}


def test_a_replacement_cannot_start_inside_what_was_invoiced(
    client_manager, tariffs, house, family_a
):
    tariff = half_hour(tariffs, house.morning)
    used(tariff, family_a, day=datetime.date(2026, 11, 30))
    data = {k: v for k, v in tariff_data(None).items() if k not in ("activity", "slot")}
    data["valid_from"] = "2026-11-15"
    response = client_manager.post(f"{URL}{tariff.pk}/nouveau-tarif/", data)
    assert response.status_code == 400
    assert (
        "Le nouveau tarif peut commencer le 01/12/2026 au plus tôt : des factures émises "
        "appliquent l&#x27;ancien tarif jusqu&#x27;au 30/11/2026." in response.content.decode()
    )
    tariff.refresh_from_db()
    assert tariff.valid_until is None and Tariff.objects.count() == len(tariffs)


def test_a_used_tariff_is_never_saved_over(client_manager, tariffs, house, family_a):
    tariff = half_hour(tariffs, house.morning)
    used(tariff, family_a)
    data = tariff_data(house.morning, label="Réécrit", valid_from="2026-09-01")
    response = client_manager.post(f"{URL}{tariff.pk}/", data)
    assert response.status_code == 302
    tariff.refresh_from_db()
    assert tariff.label != "Réécrit"
