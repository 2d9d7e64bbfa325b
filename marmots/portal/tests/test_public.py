import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.base import ContentFile

from marmots.activities.models import Period, PublishedDocument
from marmots.portal import frdates
from tests import factories as f

PARIS = ZoneInfo("Europe/Paris")


def _published(structure, title, is_public=True):
    document = PublishedDocument(structure=structure, title=title, is_public=is_public)
    document.file.save("reglement.pdf", ContentFile(b"%PDF-1.4 reglement"), save=False)
    document.save()
    return document


def test_public_home_shows_identity_documents_and_login(client, structure):
    structure.website = "https://www.lespetitsmontagnards-mieussy.fr"
    structure.save()
    rules = _published(structure, "Règlement intérieur")
    hidden = _published(structure, "Brouillon interne", is_public=False)
    html = client.get("/").content.decode()
    for text in [
        "Les Petits Montagnards",
        "492 Route des Terres Blanches",
        "74440 Mieussy",
        "04 50 43 27 07",
        "https://www.lespetitsmontagnards-mieussy.fr",
        "Règlement intérieur",
        "/compte/connexion/",
        "/calendrier-des-inscriptions/",
    ]:
        assert text in html
    assert "Brouillon interne" not in html
    response = client.get(f"/documents-publics/{rules.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 reglement"
    assert (
        "Règlement intérieur.pdf" in response["Content-Disposition"]
        or "attachment" in response["Content-Disposition"]
    )
    assert client.get(f"/documents-publics/{hidden.pk}/").status_code == 404
    assert client.get("/documents-publics/999999/").status_code == 404


def test_registration_calendar_lists_future_holidays_in_french(client, structure):
    f.PeriodFactory(structure=structure)  # the school year is not listed
    Period.objects.create(
        structure=structure,
        kind=Period.HOLIDAYS,
        name="Vacances de Noël 2026",
        school_year="2026-2027",
        start_date=datetime.date(2026, 12, 21),
        end_date=datetime.date(2027, 1, 1),
        registration_opens_at=datetime.datetime(2026, 11, 23, 20, 0, tzinfo=PARIS),
    )
    Period.objects.create(
        structure=structure,
        kind=Period.HOLIDAYS,
        name="Vacances de la Toussaint 2026",
        school_year="2026-2027",
        start_date=datetime.date(2026, 10, 17),
        end_date=datetime.date(2026, 11, 1),
    )
    Period.objects.create(
        structure=structure,
        kind=Period.HOLIDAYS,
        name="Vacances d'hiver 2027",
        school_year="2026-2027",
        start_date=datetime.date(2027, 2, 6),
        end_date=datetime.date(2027, 2, 21),
    )
    with time_machine.travel(datetime.datetime(2026, 11, 10, 12, tzinfo=PARIS)):
        html = client.get("/calendrier-des-inscriptions/").content.decode()
    assert "Vacances de Noël 2026" in html
    assert "lundi 23 novembre 2026 à 20h00" in html
    assert "du lundi 21 décembre 2026 au vendredi 1er janvier 2027" in html
    assert "Vacances de la Toussaint" not in html  # over
    assert "Année scolaire" not in html
    assert html.index("Noël") < html.index("hiver")
    assert "date à venir" in html


def test_french_dates():
    assert frdates.long_date(datetime.date(2026, 12, 14)) == "lundi 14 décembre 2026"
    assert frdates.long_date(datetime.date(2027, 2, 1)) == "lundi 1er février 2027"
    moment = datetime.datetime(2026, 12, 14, 19, 0, tzinfo=datetime.UTC)
    assert frdates.long_datetime(moment) == "lundi 14 décembre 2026 à 20h00"
    assert frdates.long_datetime(datetime.datetime(2027, 8, 1, 6, 5)) == (
        "dimanche 1er août 2027 à 6h05"
    )


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def test_every_structure_of_the_instance_shows_its_identity_rules_and_logo(
    client, structure, other_structure, django_assert_max_num_queries
):
    structure.house_rules = "Annulation : 2 jours ouvrés avant, à 8h30."
    structure.logo.save("logo.png", ContentFile(PNG))
    _published(other_structure, "Règlement de Taninges")
    with django_assert_max_num_queries(4):
        html = client.get("/").content.decode()
    assert "Accueil de Taninges" in html and "Règlement de Taninges" in html
    assert "Extrait du règlement intérieur" in html and "2 jours ouvrés avant" in html
    logo = client.get(f"/structures/{structure.slug}/logo/")
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == PNG
    assert client.get(f"/structures/{other_structure.slug}/logo/").status_code == 404


def test_the_calendar_lists_each_structures_holidays(client, structure, other_structure):
    for where, name in [(structure, "Noël à Mieussy"), (other_structure, "Noël à Taninges")]:
        f.PeriodFactory(
            structure=where,
            kind=Period.HOLIDAYS,
            name=name,
            start_date=datetime.date(2099, 12, 21),
            end_date=datetime.date(2099, 12, 31),
        )
    html = client.get("/calendrier-des-inscriptions/").content.decode()
    assert html.index("Accueil de Taninges") < html.index("Noël à Taninges")
    assert html.index("Les Petits Montagnards") < html.index("Noël à Mieussy")
