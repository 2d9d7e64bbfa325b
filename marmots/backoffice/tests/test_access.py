"""Who reaches what: manager writes, staff read, another structure's manager gets 404."""

import pytest

from marmots.families.models import Family

READ_PAGES = [
    "/gestion/",
    "/gestion/familles/",
    "/gestion/demandes/",
    "/gestion/documents/",
    "/gestion/periodes/",
    "/gestion/activites/",
    "/gestion/fermetures/",
    "/gestion/pieces/",
    "/gestion/publications/",
    "/gestion/structure/",
    "/gestion/pointage/",
    "/gestion/pointage/tablettes/",
]


@pytest.fixture
def objects(family_a, guardian_a, child_a, activity, period, document, change_request, structure):
    closure = structure.closures.create(
        start_date=period.start_date, end_date=period.start_date, reason="Pont"
    )
    published = structure.documents.create(title="Règlement", file="structures/documents/r.pdf")
    return {
        "family": family_a.pk,
        "guardian": guardian_a.pk,
        "activity": activity.pk,
        "slot": activity.slots.get().pk,
        "period": period.pk,
        "document": document.pk,
        "doc_type": document.doc_type_id,
        "change_request": change_request.pk,
        "closure": closure.pk,
        "published": published.pk,
        "structure": structure.pk,
    }


# Every write URL of the back-office (except enrollments), with the objects it touches.
WRITE_URLS = [
    "/gestion/familles/{family}/responsables/ajouter/",
    "/gestion/familles/{family}/responsables/{guardian}/lien/",
    "/gestion/familles/{family}/responsables/{guardian}/email/",
    "/gestion/familles/{family}/quotients/ajouter/",
    "/gestion/familles/{family}/enfants/ajouter/",
    "/gestion/demandes/{change_request}/decision/",
    "/gestion/documents/{document}/decision/",
    "/gestion/periodes/{period}/",
    "/gestion/activites/{activity}/",
    "/gestion/activites/{activity}/tranches/nouvelle/",
    "/gestion/tranches/{slot}/",
    "/gestion/fermetures/{closure}/",
    "/gestion/fermetures/{closure}/supprimer/",
    "/gestion/pieces/{doc_type}/",
    "/gestion/publications/{published}/retirer/",
    "/gestion/structure/{structure}/",
]
CREATE_URLS = [
    "/gestion/familles/nouvelle/",
    "/gestion/periodes/nouvelle/",
    "/gestion/activites/nouvelle/",
    "/gestion/fermetures/nouvelle/",
    "/gestion/pieces/nouvelle/",
    "/gestion/publications/nouvelle/",
]
OBJECT_READS = ["/gestion/familles/{family}/", "/gestion/documents/{document}/fichier/"]


@pytest.mark.parametrize("url", READ_PAGES)
def test_staff_and_manager_read_every_page(client, staff, manager, objects, url):
    for user in (staff, manager):
        client.force_login(user)
        assert client.get(url).status_code == 200, (user, url)


@pytest.mark.parametrize("url", READ_PAGES + OBJECT_READS)
def test_guardians_and_strangers_are_kept_out(client, guardian_a, objects, url):
    url = url.format(**objects)
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(guardian_a.user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", WRITE_URLS + CREATE_URLS)
def test_staff_get_403_on_every_write(client_staff, objects, url):
    before = Family.objects.count()
    response = client_staff.post(url.format(**objects), {"name": "Essai", "r1-email": "x@y.fr"})
    assert response.status_code == 403
    assert Family.objects.count() == before


@pytest.mark.parametrize("url", WRITE_URLS + OBJECT_READS)
def test_another_structures_manager_gets_404(client, other_manager, objects, url):
    client.force_login(other_manager)
    url = url.format(**objects)
    assert client.get(url).status_code in (404, 405)
    assert (
        client.post(url, {"name": "Piratage", "reason": "x", "decision": "refuse"}).status_code
        == 404
    )


def test_staff_see_the_records_but_no_write_buttons(client_staff, objects):
    page = client_staff.get(f"/gestion/familles/{objects['family']}/").content.decode()
    assert "Martin" in page
    assert "Renvoyer le lien" not in page
    assert "Ajouter un quotient" not in page


FORBIDDEN = ("Martin", "Cirque des Montagnards", "Petits")


def test_two_structures_do_not_see_each_other(
    client,
    manager,
    other_manager,
    family_a,
    other_family,
    activity,
    other_activity,
    period,
    other_period,
):
    client.force_login(manager)
    mine = [client.get(u).content.decode() for u in READ_PAGES[1:]]
    assert any("Martin" in p for p in mine)
    assert not any(n in p for p in mine for n in ("Dupuis", "Mercredis à Taninges", "Taninges"))
    client.force_login(other_manager)
    theirs = [client.get(u).content.decode() for u in READ_PAGES[1:]]
    assert any("Dupuis" in p for p in theirs) and any("Mercredis à Taninges" in p for p in theirs)
    leaks = [
        (u, n) for u, p in zip(READ_PAGES[1:], theirs, strict=True) for n in FORBIDDEN if n in p
    ]
    assert leaks == []
