"""Promote and remove in the back-office: managers only, recorded, nothing changed on a refusal;
removing the entry that holds an offer passes the offer to the next in line."""

import pytest

from marmots.bookings import waitlist
from marmots.bookings.models import WaitlistEntry
from marmots.core.models import AuditEntry

from . import waitlist_helpers
from .waitlist_helpers import (
    LIST,
    THURSDAY,
    free_the_place,
    join_siblings,
    promote_url,
    remove_url,
)

line, frozen = waitlist_helpers.line, waitlist_helpers.frozen

WAITING, OFFERED, REMOVED = "waiting", "offered", "removed"


def positions(line):
    found = waitlist.positions(
        list(WaitlistEntry.objects.filter(pk__in=[e.pk for e in line.entries]))
    )
    return [found.get(e.pk) for e in line.entries]


def reason(entry, text):
    return {f"r{entry.pk}-reason": text}


def test_promote_puts_the_entry_first_and_records_it(client_manager, line, manager):
    query = f"?du={THURSDAY}"
    response = client_manager.post(promote_url(line.emma) + query)
    assert response.status_code == 302 and response["Location"] == f"{LIST}{query}"
    assert positions(line) == [2, 3, 1]
    audit = AuditEntry.objects.get(action="waitlist.promote")
    assert audit.object_id == str(line.emma.pk) and audit.actor == manager
    page = client_manager.get(response["Location"]).content.decode()
    assert "Emma Petit (Périscolaire soir, 16h30-17h30, jeudi 03/12/2026) passe en tête" in page
    assert page.index("Petit Emma</a>") < page.index("Martin Léa</a>")


def test_promote_of_an_offered_entry_is_refused_in_french(client_manager, line):
    free_the_place(line)
    response = client_manager.post(promote_url(line.lea), follow=True)
    assert "Seule une inscription en attente peut passer en tête de liste." in (
        response.content.decode()
    )
    assert line.statuses() == [OFFERED, WAITING, WAITING]
    assert not AuditEntry.objects.filter(action="waitlist.promote").exists()


def test_remove_without_reason_is_refused_and_changes_nothing(client_manager, line):
    audits = AuditEntry.objects.count()
    for text in ("", "   "):
        response = client_manager.post(remove_url(line.hugo), reason(line.hugo, text))
        assert response.status_code == 400
        html = response.content.decode()
        assert "Indiquez le motif du retrait." in html
        assert "Rien n&#x27;a été retiré" in html or "Rien n'a été retiré" in html
    assert line.statuses() == [WAITING, WAITING, WAITING]
    assert positions(line) == [1, 2, 3]
    assert AuditEntry.objects.count() == audits


def test_remove_with_a_reason_takes_the_entry_off(client_manager, line, manager):
    response = client_manager.post(remove_url(line.hugo), reason(line.hugo, "Doublon"))
    assert response.status_code == 302
    hugo = WaitlistEntry.objects.get(pk=line.hugo.pk)
    assert (hugo.status, hugo.reason, hugo.closed_by) == (REMOVED, "Doublon", manager)
    assert positions(line) == [1, None, 2]
    assert AuditEntry.objects.filter(action="waitlist.remove", object_id=str(hugo.pk)).exists()


def test_removing_the_offered_entry_passes_the_offer_to_the_next(client_manager, line):
    free_the_place(line)
    assert line.statuses() == [OFFERED, WAITING, WAITING]
    response = client_manager.post(
        remove_url(line.lea), reason(line.lea, "Famille injoignable"), follow=True
    )
    assert "La place qui lui était proposée passe à la suite de la liste." in (
        response.content.decode()
    )
    assert line.statuses() == [REMOVED, OFFERED, WAITING]
    assert WaitlistEntry.objects.filter(status=OFFERED).count() == 1  # one place, one offer


def test_removing_a_closed_entry_is_refused(client_manager, line, manager):
    waitlist.remove(manager, line.hugo, "Doublon")
    response = client_manager.post(remove_url(line.hugo), reason(line.hugo, "Encore"), follow=True)
    assert (
        "Cette inscription n&#x27;est plus sur la liste d&#x27;attente."
        in (response.content.decode())
        or "Cette inscription n'est plus sur la liste d'attente." in response.content.decode()
    )
    assert WaitlistEntry.objects.get(pk=line.hugo.pk).reason == "Doublon"


@pytest.mark.parametrize("url", [promote_url, remove_url])
def test_staff_cannot_promote_or_remove(client_staff, line, url):
    response = client_staff.post(url(line.emma), reason(line.emma, "Essai"))
    assert response.status_code == 403
    assert line.statuses() == [WAITING, WAITING, WAITING]
    assert positions(line) == [1, 2, 3]


@pytest.mark.parametrize("url", [promote_url, remove_url])
def test_another_structures_manager_gets_404(client, other_manager, line, url):
    client.force_login(other_manager)
    response = client.post(url(line.emma), reason(line.emma, "Essai"))
    assert response.status_code == 404
    assert line.statuses() == [WAITING, WAITING, WAITING]
    assert positions(line) == [1, 2, 3]


def test_get_on_an_action_is_refused(client_manager, line):
    assert client_manager.get(promote_url(line.emma)).status_code == 405
    assert positions(line) == [1, 2, 3]


def test_promote_moves_the_siblings_and_names_them(client_manager, house, line):
    jade, noe = join_siblings(house, line)
    response = client_manager.post(promote_url(noe), follow=True)
    page = response.content.decode()
    where = "(Périscolaire soir, 16h30-17h30, jeudi 03/12/2026)"
    assert f"Jade et Noé Roux {where} passent en tête de la liste." in page
    assert positions(line) == [3, 4, 5]
    moved = WaitlistEntry.objects.filter(pk__in=[jade.pk, noe.pk])
    assert waitlist.positions(list(moved)) == {jade.pk: 1, noe.pk: 2}
    assert page.count("Placer en tête") == 3  # not for the siblings, only they are ahead
