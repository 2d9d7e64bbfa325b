import datetime
from decimal import Decimal

import time_machine
from django.utils import timezone

from tests import factories as f


def test_home_summary_and_call_to_check(client_a, family_a, child_a):
    family_a.dependent_children = 2
    family_a.save()
    quotient = family_a.quotients.get()
    quotient.annual_income = Decimal("31200")
    quotient.save()
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)):
        html = client_a.get("/portail/").content.decode()
    assert "Bonjour Claire" in html
    assert "540" in html and "jeudi 31 décembre 2026" in html
    assert "31\u202f200,00\u00a0€" in html
    assert "Commencer la vérification" in html and "Léa" in html
    assert "/portail/famille/verification/" in html


def test_home_without_quotient_and_all_checked(client_b, family_b):
    f.ChildFactory(family=family_b, info_checked_at=timezone.now())
    html = client_b.get("/portail/").content.decode()
    assert "non communiqué" in html
    assert "Commencer la vérification" not in html


def test_home_says_when_the_quotient_expired(client_a, family_a):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    family_a.quotients.update(
        valid_from=yesterday.replace(day=1) - datetime.timedelta(days=300), valid_until=yesterday
    )
    html = client_a.get("/portail/").content.decode()
    assert f"QF expiré le {yesterday:%d/%m/%Y} : le tarif maximal s&#x27;applique." in html
    assert "tarif le plus élevé" not in html


def test_home_says_which_tariff_applies_without_a_quotient(client_b, family_b, structure):
    from marmots.billing.balances import settings_for

    html = client_b.get("/portail/").content.decode()
    assert "QF non fourni : le tarif maximal s&#x27;applique." in html
    # The structure's choice, in the words of the account page.
    found = settings_for(structure)
    found.fallback_quotient = 800
    found.save()
    html = client_b.get("/portail/").content.decode()
    assert "QF non fourni : le tarif du QF 800 s&#x27;applique." in html
