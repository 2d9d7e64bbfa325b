"""Issue 7's second journey in Chromium: "in allocation mode, five families request overlapping
days, the manager runs the allocation, adjusts one line, confirms; each family sees its result
and the e-mails arrived."

The Christmas camp of `marmots/places/tests/scenario.py` (its table, worked out by hand: places
made scarce, five families, their criteria and ranks). On Wednesday 25 November 2026, requests
open until Friday 4 December at noon, the Martins and the Petits ask on their phones (Tom's
Tuesday as a second choice); the three other families' requests go through the same action.
On Saturday 5 December, requests closed, the manager at her desk computes the proposal, moves
Wednesday 23's last place from Léa (rank 1) to Inès (rank 4) by hand, and confirms. Bookings
are made, the rest goes to the waiting lists in rank order, and the five e-mails reach the SMTP
server on loopback. Claire Martin opens her result from the e-mail's link; the Petits read
theirs in the portal: the days granted, and the ones waiting with their position and reason.
axe checks every page visited.
"""

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import expect

from marmots.bookings.models import Booking, WaitlistEntry
from marmots.core.models import AuditEntry
from marmots.places.models import Allocation, AllocationWish
from marmots.places.tests import scenario as sc
from marmots.places.tests.scenario import D21, D22, D23
from tests.browser.conftest import assert_accessible
from tests.browser.places_helpers import (  # noqa: F401  (open_page_fixture: the open_page fixture)
    DESKTOP,
    PHONE,
    body_of,
    fill_login,
    fits_the_screen,
    log_in,
    mails_to,
    open_page_fixture,
)

PERIOD = "Vacances de Noël 2026"
CAMP = "Journée avec repas"
DAYS = {
    D21: "lundi 21 décembre 2026",
    D22: "mardi 22 décembre 2026",
    D23: "mercredi 23 décembre 2026",
}
SHORT = {D21: "lundi 21/12/2026", D22: "mardi 22/12/2026", D23: "mercredi 23/12/2026"}


@pytest.fixture
def collecting(house, manager):
    """The Christmas camp in allocation mode, requests open until 4 December at noon."""
    with time_machine.travel(sc.ASKING, tick=False):
        s = sc.build(house, manager)
    assert s.period.requests_close_at == sc.CLOSE
    return s


def phone_checks(page):
    assert_accessible(page)
    assert fits_the_screen(page)


def asks_in_the_portal(page, fam, days, second_choice=(), working=False):
    """The family's guardian ticks `days` for its one child (`second_choice`: preference 2)."""
    log_in(page, fam.user.email)
    page.get_by_role("link", name="Demandes de places").click()
    page.get_by_role("heading", name="Demandes de places", level=1).wait_for()
    card = page.locator("section.card", has=page.get_by_role("heading", name=PERIOD))
    expect(card).to_contain_text("Demandes ouvertes jusqu'au vendredi 4 décembre 2026 à 12h00.")
    phone_checks(page)
    card.get_by_role("link", name=f"Faire ma demande : {PERIOD}").click()
    page.get_by_role("heading", name=f"Demande de places : {PERIOD}", level=1).wait_for()
    phone_checks(page)
    (child,) = fam.children
    for day in days:
        page.get_by_label(f"{DAYS[day]} ({CAMP})").check()
    for day in second_choice:
        page.get_by_label(f"Ordre de préférence, {child.first_name}, {DAYS[day]}").fill("2")
    if working:
        page.get_by_label("Les parents travaillent").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.locator(".messages").get_by_text("Votre demande est envoyée.").wait_for()
    mine = page.locator("section[aria-labelledby=ma-demande]")
    expect(mine.locator("li")).to_contain_text(f"{child.first_name} : {DAYS[days[0]]} ({CAMP})")
    phone_checks(page)
    page.context.close()


def the_others_ask(s):
    """Durand (the day before), Bernard (the same day) and Moreau (the day after) through the
    action the form calls."""
    day = datetime.timedelta(days=1)
    sc.actions.save_request(
        s.durand.user,
        s.period,
        sc.wishes(s.camp, s.durand, [D21, D23]),
        declares_working=True,
        now=sc.ASKING - day,
    )
    sc.actions.save_request(
        s.bernard.user, s.period, sc.wishes(s.camp, s.bernard, [D21, D22]), now=sc.ASKING
    )
    sc.actions.save_request(
        s.moreau.user,
        s.period,
        sc.wishes(s.camp, s.moreau, [D22, D23]),
        declares_working=True,
        now=sc.ASKING + day,
    )


def computes_the_proposal(page, s):
    log_in(page, s.manager.email, r"/gestion/")
    page.goto(page.base_url + "/gestion/attribution/")
    page.get_by_role("heading", name="Attribution des places", level=1).wait_for()
    row = page.locator("tr", has=page.get_by_role("rowheader", name=PERIOD))
    expect(row).to_contain_text("04/12/2026 à 12h00 close")
    assert_accessible(page)
    row.get_by_role("link", name=f"Demandes : {PERIOD}").click()
    page.get_by_role("heading", name=f"Demandes des familles : {PERIOD}").wait_for()
    expect(page.locator("tbody tr")).to_have_count(5)
    assert_accessible(page)
    page.get_by_role("button", name="Calculer la proposition").click()
    page.get_by_role("heading", name=f"Proposition d'attribution : {PERIOD}").wait_for()
    expect(page.locator(".messages")).to_contain_text("Proposition calculée")
    ranked = page.locator("#proposition section.card h3")
    names = ["Martin", "Bernard", "Petit", "Durand", "Moreau"]
    expect(ranked).to_have_text([f"{n}. Famille {name}" for n, name in enumerate(names, 1)])
    # Wednesday 23: 3 places, 1 already booked, 2 granted, 4 asked.
    wednesday = page.locator("table.fill tbody tr").nth(2)
    expect(wednesday.locator("td")).to_have_text([CAMP, "3", "1", "2", "4", "100 %"])
    assert_accessible(page)


def adjusts_wednesday(page):
    """Wednesday 23's last place: from Léa (already granted two days) to Inès, by hand."""
    when = f"{SHORT[D23]}, {CAMP}"
    page.get_by_role("button", name=f"Mettre en attente : Léa, {when}").click()
    notice = page.locator("#proposition [role=status]")
    expect(notice).to_have_text(f"Léa, {SHORT[D23]} : mis en attente.")
    page.get_by_role("button", name=f"Attribuer : Inès, {when}").click()
    expect(notice).to_have_text(f"Inès, {SHORT[D23]} : place attribuée.")
    durand = page.locator("#proposition section.card", has_text="Famille Durand")
    expect(durand.locator("tbody tr").nth(1)).to_contain_text("Place attribuée (ajusté à la main)")
    assert_accessible(page)


def confirms(page):
    page.get_by_label("J'ai vérifié la proposition et je confirme l'attribution.").check()
    page.get_by_role("button", name="Confirmer l'attribution").click()
    page.get_by_role("heading", name=f"Résultat de l'attribution : {PERIOD}").wait_for()
    expect(page.locator(".messages")).to_contain_text("Attribution confirmée")
    expect(page.locator("section.card h2")).to_have_count(5)
    assert_accessible(page)


def result_lines(page, child):
    section = page.locator(f"section[aria-labelledby=enfant-{child.pk}]")
    return [" ".join(t.split()) for t in section.locator("li").all_inner_texts()]


def reads_the_result(page, child, lines, rank, points):
    page.get_by_role("heading", name=f"Résultat de l'attribution : {PERIOD}").wait_for()
    assert result_lines(page, child) == lines
    why = page.locator("section[aria-labelledby=pourquoi] dd")
    expect(why.nth(0)).to_have_text(f"{rank} sur 5 demandes")
    expect(why.nth(1)).to_have_text(str(points))
    phone_checks(page)


def wish_line(day, outcome, reason=""):
    return " ".join(f"{DAYS[day]} ({CAMP}) {outcome} {reason}".split())


def the_five_mails(received, s):
    mails = {}
    for fam in s.families:
        (mail,) = mails_to(received, fam.user.email)
        assert (
            mail["Subject"].strip() == f"Attribution des places : {PERIOD} – Les Petits Montagnards"
        )
        mails[fam.family.name] = body_of(mail).replace("\r\n", "\n")
    assert len(received) == 5
    return mails


GRANTED = ""  # the badge says it; the stored reason is not repeated
LEA_23 = (
    "Place non retenue par la structure lors de l'examen des demandes (votre rang : 1, 5 points)."
)
TOM_21 = (
    "Complet : 3 places ce jour-là, attribuées aux demandes mieux classées "
    "(votre rang : 3, 3 points)."
)
TOM_22 = (
    "Complet : 2 places pour les 3-5 ans, attribuées d'abord aux premiers choix des familles "
    "(ce jour était votre choix n° 2 ; votre rang : 3, 3 points)."
)


def test_allocation_journey_five_families_the_manager_allocates_everyone_is_told(
    open_page, collecting, smtp_server
):
    s = collecting
    lea, tom, ines = s.martin.children[0], s.petit.children[0], s.durand.children[0]
    with time_machine.travel(sc.ASKING, tick=True) as traveller:
        the_others_ask(s)
        asks_in_the_portal(open_page(PHONE), s.martin, [D21, D22, D23], working=True)
        asks_in_the_portal(open_page(PHONE), s.petit, [D21, D22, D23], second_choice=[D22])
        assert not Booking.objects.exclude(child=s.outsider).exists()  # nothing before

        traveller.move_to(sc.AFTER_CLOSE)  # Saturday 5 December: requests closed
        office = open_page(DESKTOP)
        computes_the_proposal(office, s)
        adjusts_wednesday(office)
        confirms(office)

        mails = the_five_mails(smtp_server, s)
        martin = mails["Martin"]
        assert "- Léa, lundi 21 décembre 2026 (Journée avec repas)\n" in martin
        assert "- Léa, mercredi 23 décembre 2026 (Journée avec repas) : position 1.\n" in martin
        assert f"Pourquoi : {LEA_23}" in martin and "rang 1 sur 5" in martin
        assert "- Inès, mercredi 23 décembre 2026 (Journée avec repas)\n" in mails["Durand"]
        assert (
            "- Inès, lundi 21 décembre 2026 (Journée avec repas) : position 2." in mails["Durand"]
        )
        assert "Sur liste d'attente" not in mails["Bernard"]
        assert "Tom, mardi 22 décembre 2026 (Journée avec repas) : position 1." in mails["Petit"]
        assert (
            "- Nina, mercredi 23 décembre 2026 (Journée avec repas) : position 2."
            in mails["Moreau"]
        )
        (link,) = re.findall(r"^(http://\S+/portail/attribution/\d+/)$", martin, re.M)

        claire = open_page(PHONE)
        claire.goto(link)  # from the e-mail: log in first
        fill_login(claire, s.martin.user.email, re.escape(link) + "$")
        reads_the_result(
            claire,
            lea,
            [
                wish_line(D21, "Place attribuée", GRANTED),
                wish_line(D22, "Place attribuée", GRANTED),
                wish_line(D23, "Liste d'attente position 1", LEA_23),
            ],
            rank=1,
            points=5,
        )
        why = claire.locator("section[aria-labelledby=pourquoi]")
        expect(why).to_contain_text(
            "Enfant déjà inscrit à la structure cette année (+3), Parents qui travaillent (+2)"
        )

        petit = open_page(PHONE)
        log_in(petit, s.petit.user.email)
        petit.goto(petit.base_url + f"/portail/attribution/{s.period.pk}/")
        reads_the_result(
            petit,
            tom,
            [
                wish_line(D21, "Liste d'attente position 1", TOM_21),
                wish_line(D22, "Liste d'attente position 1", TOM_22),
                wish_line(D23, "Place attribuée", GRANTED),
            ],
            rank=3,
            points=3,
        )

    allocation = Allocation.objects.get()
    assert allocation.status == Allocation.CONFIRMED
    booked = Booking.objects.filter(status=Booking.BOOKED).exclude(child=s.outsider)
    assert sorted((b.child.first_name, b.date.day) for b in booked) == sorted(
        [("Léa", 21), ("Hugo", 21), ("Zoé", 21), ("Léa", 22), ("Hugo", 22), ("Zoé", 22)]
        + [("Nina", 22), ("Tom", 23), ("Inès", 23)]
    )
    for day, places in ((D21, 3), (D22, 5), (D23, 3)):
        assert Booking.objects.filter(date=day, status=Booking.BOOKED).count() <= places
    lines = {
        day: [e.child.first_name for e in WaitlistEntry.objects.filter(date=day)]
        for day in (D21, D22, D23)
    }
    assert lines == {D21: ["Tom", "Inès"], D22: ["Tom"], D23: ["Léa", "Nina"]}
    adjusted = AllocationWish.objects.filter(adjusted_by=s.manager)
    assert sorted((w.child_id, w.proposed) for w in adjusted) == sorted(
        [(lea.pk, False), (ines.pk, True)]
    )
    trail = AuditEntry.objects.filter(action__startswith="allocation.").order_by("pk")
    assert [a for a in trail.values_list("action", flat=True) if a != "allocation.settings"] == [
        "allocation.request"
    ] * 5 + ["allocation.propose", "allocation.adjust", "allocation.adjust", "allocation.confirm"]
