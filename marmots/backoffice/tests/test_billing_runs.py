"""Monthly invoicing in the back-office: start a month from the page, follow its progress,
review its anomalies (htmx and plain), recompute, discard, issue; who may do what."""

import datetime
import re

import pytest
import time_machine

from marmots.billing import actions
from marmots.billing.models import Anomaly, Invoice, InvoicingRun
from marmots.bookings.models import Booking
from marmots.checkin.register import mark_present
from marmots.core.models import AuditEntry
from tests.house import enroll

TODAY = datetime.datetime(2026, 12, 3, 10, tzinfo=datetime.UTC)
NOVEMBER = datetime.date(2026, 11, 1)
RUNS = "/gestion/facturation/"
START = "/gestion/facturation/lancer/"
HTMX = {"HX-Request": "true"}
RUN_PAGE_QUERIES = 12

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def run_url(run, action=""):
    return f"/gestion/facturation/mois/{run.pk}/{action}"


def review_url(anomaly):
    return f"/gestion/facturation/anomalies/{anomaly.pk}/vu/"


def book(child, slot, day):
    enrollment = child.enrollments.get(activity=slot.activity)
    return Booking.objects.create(child=child, slot=slot, date=day, enrollment=enrollment)


@pytest.fixture
def month(house, tariffs, manager, family_a, child_a, family_b, child_b):
    """November: Léa (QF 540) booked and present on Monday 2, booked and absent on Tuesday 3;
    Hugo (no quotient) present without a booking on Thursday 5."""
    enroll(house, child_a, house.evening)
    enroll(house, child_b, house.evening)
    book(child_a, house.snack_slot, datetime.date(2026, 11, 2))
    mark_present(manager, house.structure, child_a, house.evening, datetime.date(2026, 11, 2), True)
    book(child_a, house.snack_slot, datetime.date(2026, 11, 3))
    mark_present(manager, house.structure, child_b, house.evening, datetime.date(2026, 11, 5), True)
    return house


def start(client, mois="2026-11"):
    return client.post(START, {"mois": mois})


@pytest.fixture
def run(month, manager):
    return actions.start_run(month.structure, NOVEMBER, manager)


@pytest.fixture
def other_run(other_structure, other_manager):
    return InvoicingRun.objects.create(
        structure=other_structure, month=NOVEMBER, status=InvoicingRun.DRAFTED
    )


# Start and see the draft


def test_the_page_offers_the_previous_month(client_manager, structure):
    page = client_manager.get(RUNS).content.decode()
    assert 'name="mois" value="2026-11"' in page and "Lancer le calcul" in page
    assert 'href="/gestion/facturation/reglages/"' in page
    assert 'href="/gestion/facturation/tarifs/"' in page
    assert 'href="/gestion/facturation/exports/"' in page
    assert 'href="/gestion/facturation/factures/"' in page


def test_manager_starts_a_month_and_sees_its_anomalies_and_drafts(
    client_manager, month, family_a, family_b, django_assert_max_num_queries
):
    response = start(client_manager)
    run = InvoicingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert (run.month, run.status) == (NOVEMBER, InvoicingRun.DRAFTED)
    with django_assert_max_num_queries(RUN_PAGE_QUERIES):
        page = client_manager.get(response["Location"]).content.decode()
    assert "Facturation de novembre 2026 lancée." in page
    assert "<h1>Facturation de novembre 2026" in page and "Brouillon à vérifier" in page
    kinds = set(run.anomalies.values_list("kind", flat=True))
    assert {Anomaly.NO_SHOW, Anomaly.UNBOOKED_ATTENDANCE, Anomaly.MISSING_QUOTIENT} <= kinds
    for label in ("Réservation sans présence", "Présence sans réservation"):
        assert f"<h3>{label}" in page
    assert "<h3>Quotient familial manquant ou expiré" in page
    for anomaly in run.anomalies.all():
        assert f'id="anomalie-{anomaly.pk}"' in page and anomaly.message in page
    drafts = Invoice.objects.filter(run=run)
    assert {d.family for d in drafts} == {family_a, family_b}
    for draft in drafts:
        assert f'href="/gestion/facturation/factures/{draft.pk}/"' in page
    # Issuing waits for the review: the button is disabled and says why.
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Émettre les factures", page)
    assert "Émission impossible" in page and "Recalculer" in page and "Abandonner" in page
    # The list shows the run with its figures.
    listing = client_manager.get(RUNS).content.decode()
    assert f'href="{run_url(run)}">Novembre 2026</a>' in listing
    assert f"{run.anomalies.count()} à vérifier" in listing


def test_a_second_run_of_the_month_is_refused(client_manager, run):
    response = start(client_manager)
    assert response.status_code == 400
    assert "Une facturation de ce mois est déjà en cours" in response.content.decode()
    assert InvoicingRun.objects.count() == 1


@pytest.mark.parametrize(
    "mois, error",
    [
        ("2027-01", "Ce mois n&#x27;a pas commencé"),
        ("novembre", "Indiquez un mois sous la forme 2026-12."),
        ("", "Indiquez un mois sous la forme 2026-12."),
    ],
)
def test_a_wrong_month_starts_nothing(client_manager, house, mois, error):
    response = start(client_manager, mois)
    assert response.status_code == 400 and error in response.content.decode()
    assert not InvoicingRun.objects.exists()


# Progress


def test_progress_is_polled_while_computing_then_the_page_reloads(client_manager, structure):
    run = InvoicingRun.objects.create(
        structure=structure, month=NOVEMBER, status=InvoicingRun.RUNNING, families_total=40
    )
    InvoicingRun.objects.filter(pk=run.pk).update(families_done=10)
    page = client_manager.get(run_url(run)).content.decode()
    # The live region stays in the page; only its inside is polled and replaced.
    assert re.search(
        r'<div id="etat-facturation" class="card run-status" role="status">\s*'
        rf'<div id="etat-facturation-detail" hx-get="{run_url(run, "etat/")}" '
        r'hx-trigger="every 1s" hx-swap="innerHTML">',
        page,
    )
    assert 'value="25"' in page and "10 familles calculées sur 40" in page
    assert f'href="{run_url(run)}">Actualiser la page</a>' in page  # without JavaScript
    fragment = client_manager.get(run_url(run, "etat/"), headers=HTMX)
    assert (
        "HX-Refresh" not in fragment and "10 familles calculées sur 40" in fragment.content.decode()
    )
    assert "role=" not in fragment.content.decode() and "hx-" not in fragment.content.decode()
    InvoicingRun.objects.filter(pk=run.pk).update(status=InvoicingRun.DRAFTED, families_done=40)
    fragment = client_manager.get(run_url(run, "etat/"), headers=HTMX)
    assert fragment["HX-Refresh"] == "true"
    assert "hx-trigger" not in fragment.content.decode()
    assert "Brouillon à vérifier" in fragment.content.decode()


# Anomalies


def test_review_an_anomaly_with_htmx(client_manager, run, manager):
    first, *others = run.anomalies.order_by("pk")
    response = client_manager.post(review_url(first), {"note": "Vu avec la famille"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="anomalie-{first.pk}" class="anomaly is-reviewed">')
    assert "Vu</span>" in html and "« Vu avec la famille »" in html
    assert 'id="emission" hx-swap-oob="true"' in html  # the issue button follows the count
    assert f"{len(others)} anomalie" in html
    first.refresh_from_db()
    assert (first.reviewed_by, first.note) == (manager, "Vu avec la famille")
    assert AuditEntry.objects.filter(action="anomaly.review").count() == 1


def test_review_an_anomaly_without_javascript(client_manager, run):
    anomaly = run.anomalies.first()
    response = client_manager.post(review_url(anomaly), {"note": ""})
    assert response.status_code == 302
    assert response["Location"] == run_url(run) + f"#anomalie-{anomaly.pk}"
    page = client_manager.get(response["Location"]).content.decode()
    assert "Anomalie marquée comme vue." in page
    anomaly.refresh_from_db()
    assert anomaly.reviewed_at is not None and anomaly.note == ""


def test_review_every_anomaly_of_a_kind_at_once(client_manager, client, run, staff):
    kinds = {a.kind for a in run.anomalies.all()}
    kind = next(iter(kinds))
    pending = run.anomalies.filter(kind=kind)
    others = run.anomalies.exclude(kind=kind).count()
    response = client_manager.post(run_url(run, f"anomalies/{kind}/vu/"), follow=True)
    assert f"{pending.count()} anomalie(s) marquée(s) comme vue(s)." in response.content.decode()
    assert not pending.filter(reviewed_at__isnull=True).exists()
    assert run.anomalies.filter(reviewed_at__isnull=True).count() == others
    assert AuditEntry.objects.filter(action="anomaly.review_kind").count() == 1

    refused = client_manager.post(run_url(run, "anomalies/inconnu/vu/"), follow=True)
    assert "Type d&#x27;anomalie inconnu." in refused.content.decode()
    client.force_login(staff)
    assert client.post(run_url(run, f"anomalies/{kind}/vu/")).status_code == 403


def test_a_too_long_note_changes_nothing(client_manager, run):
    anomaly = run.anomalies.first()
    response = client_manager.post(review_url(anomaly), {"note": "x" * 301}, follow=True)
    assert "La remarque ne doit pas dépasser 300 caractères." in response.content.decode()
    anomaly.refresh_from_db()
    assert anomaly.reviewed_at is None


# Issue, recompute, discard


def test_issue_is_refused_while_anomalies_remain(client_manager, run):
    response = client_manager.post(run_url(run, "emettre/"), follow=True)
    page = response.content.decode()
    count = run.anomalies.count()
    assert f"{count} anomalie{'s' if count > 1 else ''} à vérifier avant l&#x27;émission." in page
    run.refresh_from_db()
    assert run.status == InvoicingRun.DRAFTED
    assert not Invoice.objects.filter(status=Invoice.ISSUED).exists()


def test_review_every_anomaly_then_issue(
    client_manager, run, guardian_a, guardian_b, smtp_server, django_capture_on_commit_callbacks
):
    for anomaly in run.anomalies.all():
        client_manager.post(review_url(anomaly), {"note": ""}, headers=HTMX)
    page = client_manager.get(run_url(run)).content.decode()
    assert "Toutes les anomalies sont vues." in page
    assert re.search(r"<button type=\"submit\">Émettre les factures", page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_manager.post(run_url(run, "emettre/"), follow=True)
    page = response.content.decode()
    assert "Factures émises : les familles les reçoivent par e-mail." in page
    run.refresh_from_db()
    assert run.status == InvoicingRun.ISSUED
    invoices = Invoice.objects.filter(run=run)
    assert all(i.status == Invoice.ISSUED and i.number for i in invoices)
    for invoice in invoices:
        assert invoice.reference in page
    assert "Recalculer" not in page and "Émettre les factures" not in page
    assert {m["To"] for m in smtp_server} == {
        "claire.martin@example.org",
        "paul.bernard@example.org",
    }


def test_recompute_and_discard(client_manager, run, child_a, house):
    book(child_a, house.snack_slot, datetime.date(2026, 11, 9))
    before = Invoice.objects.get(run=run, family=child_a.family).total
    response = client_manager.post(run_url(run, "recalculer/"), follow=True)
    assert "Brouillon recalculé." in response.content.decode()
    run.refresh_from_db()
    assert run.status == InvoicingRun.DRAFTED
    assert Invoice.objects.get(run=run, family=child_a.family).total > before
    response = client_manager.post(run_url(run, "abandonner/"), headers=HTMX)
    assert response["HX-Redirect"] == RUNS
    assert "Facturation abandonnée." in client_manager.get(RUNS).content.decode()
    run.refresh_from_db()
    assert run.status == InvoicingRun.DISCARDED and not Invoice.objects.filter(run=run).exists()
    # The month can start again.
    assert start(client_manager).status_code == 302


def test_an_issued_run_cannot_be_discarded(client_manager, run, manager):
    for anomaly in run.anomalies.all():
        actions.review_anomaly(anomaly, manager)
    actions.issue_run(run, manager)
    response = client_manager.post(run_url(run, "abandonner/"), follow=True)
    assert "Cette facturation est émise" in response.content.decode()
    run.refresh_from_db()
    assert run.status == InvoicingRun.ISSUED


# Access


def test_staff_read_the_runs_without_buttons(client_staff, run):
    page = client_staff.get(RUNS).content.decode()
    assert "Novembre 2026" in page and "Lancer le calcul" not in page
    page = client_staff.get(run_url(run)).content.decode()
    assert "Émettre les factures" not in page and "Recalculer" not in page
    assert 'name="note"' not in page
    assert client_staff.get(run_url(run, "etat/")).status_code == 200


def writes(run):
    anomaly = run.anomalies.first()
    return [
        START,
        run_url(run, "recalculer/"),
        run_url(run, "abandonner/"),
        run_url(run, "emettre/"),
        review_url(anomaly),
    ]


def test_staff_get_403_on_every_write(client_staff, run):
    for url in writes(run):
        assert client_staff.post(url, {"mois": "2026-10", "note": ""}).status_code == 403, url
    run.refresh_from_db()
    assert run.status == InvoicingRun.DRAFTED and InvoicingRun.objects.count() == 1
    assert not run.anomalies.filter(reviewed_at__isnull=False).exists()


def test_another_structures_manager_gets_404(client, other_manager, run, other_run):
    client.force_login(other_manager)
    for url in [run_url(run), run_url(run, "etat/")]:
        assert client.get(url).status_code == 404, url
    for url in writes(run)[1:]:
        assert client.post(url, {"note": ""}).status_code == 404, url
    run.refresh_from_db()
    assert run.status == InvoicingRun.DRAFTED
    assert not run.anomalies.filter(reviewed_at__isnull=False).exists()
    assert "Novembre 2026" in client.get(RUNS).content.decode()  # their own run only
    assert f'href="{run_url(run)}"' not in client.get(RUNS).content.decode()


def test_families_and_strangers_are_kept_out(client, guardian_a, run):
    reads = [RUNS, run_url(run), run_url(run, "etat/")]
    for url in reads:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(guardian_a.user)
    for url in reads:
        assert client.get(url).status_code == 403, url
    for url in writes(run):
        assert client.post(url, {"mois": "2026-10"}).status_code == 403, url
    assert InvoicingRun.objects.count() == 1


def test_a_month_not_over_is_a_preview_that_cannot_be_issued(client_manager, month, manager):
    december = actions.start_run(month.structure, datetime.date(2026, 12, 1), manager)
    for anomaly in december.anomalies.all():
        actions.review_anomaly(anomaly, manager)
    page = client_manager.get(run_url(december)).content.decode()
    assert (
        "Le mois n&#x27;est pas terminé : les factures ne peuvent être émises qu&#x27;à partir "
        "du 1er janvier 2027. Ce brouillon est un aperçu" in page
    )
    assert "Émettre les factures" not in page and "Recalculer" in page
    response = client_manager.post(run_url(december, "emettre/"), follow=True)
    assert "Le mois n&#x27;est pas terminé" in response.content.decode()
    december.refresh_from_db()
    assert december.status == InvoicingRun.DRAFTED


def test_a_run_stuck_computing_can_be_discarded(client_manager, month, manager, time_machine):
    stuck = InvoicingRun.objects.create(
        structure=month.structure, month=NOVEMBER, status=InvoicingRun.RUNNING, started_by=manager
    )
    page = client_manager.get(run_url(stuck)).content.decode()
    assert "Abandonner" in page and "plus de 10 minutes" not in page
    time_machine.move_to(TODAY + datetime.timedelta(minutes=11))  # the worker died meanwhile
    page = client_manager.get(run_url(stuck)).content.decode()
    assert "Le calcul dure depuis plus de 10 minutes" in page and "Abandonner" in page
    fragment = client_manager.get(run_url(stuck, "etat/"), headers=HTMX).content.decode()
    assert "Le calcul dure depuis plus de 10 minutes" in fragment

    response = client_manager.post(run_url(stuck, "abandonner/"), follow=True)

    assert "Facturation abandonnée." in response.content.decode()
    stuck.refresh_from_db()
    assert stuck.status == InvoicingRun.DISCARDED
    assert start(client_manager).status_code == 302  # the month starts again
