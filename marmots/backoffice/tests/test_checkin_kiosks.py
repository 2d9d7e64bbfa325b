"""The structure's kiosks in the back-office: create one and see its pairing code and QR code
once, give it a new code, revoke it; staff read; other structures see nothing."""

import re

import pytest
import segno
from django.utils import timezone

from marmots.backoffice.views_kiosks import QR_TITLE
from marmots.checkin import devices
from marmots.checkin.models import Kiosk
from marmots.core.models import AuditEntry
from marmots.core.qr import qr_svg

KIOSKS = "/gestion/pointage/tablettes/"
CREATE = "/gestion/pointage/tablettes/nouvelle/"
CODE = re.compile(r'<p class="pairing-code" id="code-appairage">([A-Z0-9]{4}-[A-Z0-9]{4})</p>')


def code_url(kiosk):
    return f"/gestion/pointage/tablettes/{kiosk.pk}/code/"


def pairing_url(kiosk):
    return f"/gestion/pointage/tablettes/{kiosk.pk}/appairage/"


def revoke_url(kiosk):
    return f"/gestion/pointage/tablettes/{kiosk.pk}/revoquer/"


def create(client, name="Entrée de l'école"):
    return client.post(CREATE, {"name": name})


@pytest.fixture
def kiosk(manager, structure):
    kiosk, _ = devices.create_kiosk(manager, structure, "Portail")
    return kiosk


def test_manager_creates_a_kiosk_and_sees_its_code_once(client_manager, structure):
    response = create(client_manager)
    kiosk = Kiosk.objects.get()
    assert (kiosk.structure, kiosk.name) == (structure, "Entrée de l'école")
    assert response.status_code == 302 and response["Location"] == pairing_url(kiosk)
    page = client_manager.get(response["Location"])
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    code = CODE.search(html)[1]
    assert "Appairer la tablette « Entrée de l&#x27;école »" in html
    assert "Valable jusqu'au" in html
    url = f"http://testserver/kiosque/?code={code}"
    assert qr_svg(url, QR_TITLE, scale=6) in html and "<svg" in html
    # Only the digest is stored; the code is nowhere in the URLs nor the audit entries.
    assert code not in response["Location"]
    assert code not in str(list(AuditEntry.objects.values("before", "after")))
    assert kiosk.pairing_code_hash != code
    # Shown once: a reload no longer shows it.
    again = client_manager.get(pairing_url(kiosk)).content.decode()
    assert not CODE.search(again)
    assert "Le code d'appairage n'est affiché qu'une fois" in again
    assert devices.pair(code, timezone.now()) is not None


def test_the_qr_code_encodes_the_kiosk_page_with_the_code():
    url = "https://example.org/kiosque/?code=ABCD-2345"
    svg = qr_svg(url, QR_TITLE)
    # The same modules as segno draws for the URL: the QR code says what it should.
    modules = re.search(r' d="([^"]+)"', segno.make(url, error="m").svg_inline()).group(1)
    assert f' d="{modules}"' in svg
    assert svg.startswith('<svg role="img"') and "<?xml" not in svg and QR_TITLE in svg


def test_the_list_tells_each_kiosks_state(client_manager, manager, kiosk, structure):
    page = client_manager.get(KIOSKS).content.decode()
    assert "Portail" in page and "En attente d&#x27;appairage" in page
    assert "Créer la tablette" in page and "Nouveau code d'appairage" in page
    code = devices.new_pairing_code(manager, kiosk)
    devices.pair(code, timezone.now())
    page = client_manager.get(KIOSKS).content.decode()
    assert "Appairée</span> le " in page
    devices.revoke(manager, kiosk)
    page = client_manager.get(KIOSKS).content.decode()
    assert "Révoquée</span> le " in page and "Nouveau code d'appairage<span" not in page


def test_a_new_code_replaces_the_previous_one(client_manager, manager, kiosk):
    old = devices.new_pairing_code(manager, kiosk)
    response = client_manager.post(code_url(kiosk))
    assert response.status_code == 302 and response["Location"] == pairing_url(kiosk)
    code = CODE.search(client_manager.get(response["Location"]).content.decode())[1]
    assert code != old
    assert devices.pair(old, timezone.now()) is None
    assert devices.pair(code, timezone.now()) is not None


def test_manager_revokes_after_confirmation(client_manager, kiosk):
    page = client_manager.get(revoke_url(kiosk)).content.decode()
    assert "Révoquer la tablette « Portail » ?" in page and "Révoquer la tablette</button>" in page
    kiosk.refresh_from_db()
    assert kiosk.revoked_at is None  # a GET changes nothing
    response = client_manager.post(revoke_url(kiosk))
    assert response.status_code == 302
    kiosk.refresh_from_db()
    assert kiosk.revoked_at is not None
    page = client_manager.get(KIOSKS).content.decode()
    assert "Tablette « Portail » révoquée : elle ne pointe plus." in page


def test_a_revoked_kiosk_gets_no_new_code(client_manager, manager, kiosk):
    devices.revoke(manager, kiosk)
    response = client_manager.post(code_url(kiosk), follow=True)
    assert "Cette tablette est révoquée : créez-en une nouvelle." in response.content.decode()
    kiosk.refresh_from_db()
    assert kiosk.pairing_code_hash is None


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Donnez un nom à la tablette."),
        ("   ", "Donnez un nom à la tablette."),
        ("portail", "Une tablette porte déjà ce nom."),
        ("x" * 81, "Assurez-vous que cette valeur comporte au plus 80 caractères"),
    ],
)
def test_bad_kiosk_names_change_nothing(client_manager, kiosk, name, message):
    response = create(client_manager, name)
    assert response.status_code == 400 and message in response.content.decode()
    assert Kiosk.objects.count() == 1


def test_staff_reads_the_list_but_writes_nothing(client_staff, kiosk):
    page = client_staff.get(KIOSKS).content.decode()
    assert "Portail" in page and "Créer la tablette" not in page
    assert "Nouveau code d'appairage" not in page
    assert create(client_staff).status_code == 403
    assert client_staff.post(code_url(kiosk)).status_code == 403
    assert client_staff.get(pairing_url(kiosk)).status_code == 403
    assert client_staff.post(revoke_url(kiosk)).status_code == 403
    kiosk.refresh_from_db()
    assert Kiosk.objects.count() == 1 and kiosk.revoked_at is None


def test_another_structures_manager_reaches_nothing(client, other_manager, kiosk):
    client.force_login(other_manager)
    assert "Portail" not in client.get(KIOSKS).content.decode()
    assert client.post(code_url(kiosk)).status_code == 404
    assert client.get(pairing_url(kiosk)).status_code == 404
    assert client.post(revoke_url(kiosk)).status_code == 404
    kiosk.refresh_from_db()
    assert kiosk.revoked_at is None


def test_families_are_refused(client_a, kiosk):
    assert client_a.get(KIOSKS).status_code == 403
    assert create(client_a).status_code == 403
    assert Kiosk.objects.count() == 1


def test_the_kiosk_pages_are_linked(client_manager, structure):
    page = client_manager.get("/gestion/").content.decode()
    assert 'href="/gestion/pointage/">Pointage</a>' in page
    register = client_manager.get("/gestion/pointage/").content.decode()
    assert 'href="/gestion/pointage/tablettes/">Tablettes de pointage</a>' in register
