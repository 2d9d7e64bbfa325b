"""The tablet's pages: one shell, its manifest and its service worker, all without login and
under a Content-Security-Policy that allows only the site itself."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db

PAGES = ["/kiosque/", "/kiosque/manifest.webmanifest", "/kiosque/sw.js"]


def test_shell_is_served_without_login_nor_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/kiosque/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Bonjour ! Tapez votre code famille" in html
    assert 'id="code-appairage"' in html
    assert '<script type="module" src="/static/kiosk/kiosk.js">' in html
    assert '<link rel="manifest" href="/kiosque/manifest.webmanifest">' in html


def test_shell_has_the_clock_warning_and_the_refused_count_hidden(client):
    html = client.get("/kiosque/").content.decode()
    assert '<p id="ecart-horloge" class="skew" role="alert" hidden></p>' in html
    assert '<p id="equipe-ecart" class="warning" hidden></p>' in html
    assert '<p id="refus-nombre" hidden></p>' in html


def test_the_script_runs_on_older_tablets_and_in_paris_time(client):
    script = b"".join(client.get("/static/kiosk/kiosk.js").streaming_content).decode()
    assert "AbortSignal.timeout" not in script and "structuredClone(" not in script
    assert 'timeZone: "Europe/Paris"' in script
    assert "getHours()" not in script and "getDate()" not in script  # the tablet's own zone


def test_shell_prefills_the_pairing_code(client):
    html = client.get("/kiosque/?code=ABCD-2345").content.decode()
    assert 'value="ABCD-2345"' in html


def test_shell_escapes_the_pairing_code(client):
    html = client.get('/kiosque/?code="><script>x</script>').content.decode()
    assert "<script>x" not in html
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html


def test_shell_has_no_inline_script_nor_style_nor_external_url(client):
    html = client.get("/kiosque/").content.decode()
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="module" src="/static/kiosk/kiosk.js">'
    ]
    assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "http://" not in html and "https://" not in html


@pytest.mark.parametrize("url", PAGES)
def test_content_security_policy_allows_only_self(client, url):
    response = client.get(url)
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert all(value in ("'self'", "'none'") for value in policy.values())


@pytest.mark.parametrize("url", PAGES)
def test_only_get(client, url):
    assert client.post(url).status_code == 405


def test_manifest_is_valid_json(client):
    response = client.get("/kiosque/manifest.webmanifest")
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"] == "Marmots – pointage"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/kiosque/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        assert icon["src"].startswith("/static/kiosk/icons/")


def test_icons_are_served_as_png(client):
    manifest = json.loads(client.get("/kiosque/manifest.webmanifest").content)
    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"


def test_service_worker_is_javascript_in_the_kiosk_scope(client):
    response = client.get("/kiosque/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/kiosque/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assets = json.loads(re.search(r"const ASSETS = (\[.*?\]);", script).group(1))
    assert "/kiosque/" in assets and "/kiosque/manifest.webmanifest" in assets
    assert "/static/kiosk/kiosk.js" in assets and "/static/kiosk/kiosk.css" in assets
    assert 'url.pathname.startsWith("/api/")' in script
    assert re.search(r'const CACHE = "marmots-kiosk-[0-9a-f]{12}";', script)
    assert "&quot;" not in script


def test_static_assets_are_served(client):
    for path in ["/static/kiosk/kiosk.js", "/static/kiosk/kiosk.css"]:
        response = client.get(path)
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
