"""The tablet's pages: one HTML shell, its web app manifest and its service worker.

They hold no data: the tablet pairs and families identify through the kiosk API, from
kiosk.js. No login; every response forbids anything but the site's own resources.
"""

import functools
import hashlib
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
STATIC_FILES = ["kiosk/kiosk.js", "kiosk/kiosk.css"]
ICONS = [("kiosk/icons/icon-192.png", 192, "any"), ("kiosk/icons/icon-512.png", 512, "any")]
ICONS += [("kiosk/icons/maskable-512.png", 512, "maskable")]
SHELL_TEMPLATE = Path(__file__).parent / "templates" / "kiosk" / "shell.html"


def kiosk_page(view):
    """GET only, never cached by the HTTP cache, and the strict Content-Security-Policy."""

    @functools.wraps(view)
    @require_GET
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CSP
        response["Cache-Control"] = "no-cache"
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def page(template, context, content_type="text/html; charset=utf-8"):
    """Rendered without the request's context processors: these pages read no data."""
    return HttpResponse(loader.render_to_string(template, context), content_type=content_type)


@kiosk_page
def shell(request):
    code = request.GET.get("code", "")[:20]
    return page("kiosk/shell.html", {"code": code})


@kiosk_page
def manifest(request):
    data = {
        "name": "Marmots – pointage",
        "short_name": "Pointage",
        "description": "Tablette de pointage des arrivées et des départs.",
        "lang": "fr",
        "start_url": reverse("kiosk:shell"),
        "scope": reverse("kiosk:shell"),
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": "#0b5d6b",
        "icons": [
            {"src": static(p), "sizes": f"{s}x{s}", "type": "image/png", "purpose": purpose}
            for p, s, purpose in ICONS
        ],
    }
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/manifest+json; charset=utf-8")


def _offline_assets():
    """What the service worker keeps, and a version that changes with the files' content."""
    paths = STATIC_FILES + [p for p, _, _ in ICONS]
    assets = [reverse("kiosk:shell"), reverse("kiosk:manifest")] + [static(p) for p in paths]
    files = [finders.find(p) for p in paths] + [SHELL_TEMPLATE]
    version = hashlib.sha256()
    for found in filter(None, files):
        version.update(Path(found).read_bytes())
    return assets, version.hexdigest()[:12]


@kiosk_page
def service_worker(request):
    assets, version = _offline_assets()
    context = {
        "assets": json.dumps(assets),
        "version": version,
        "shell": json.dumps(reverse("kiosk:shell")),
    }
    response = page("kiosk/sw.js", context, content_type="application/javascript")
    response["Service-Worker-Allowed"] = reverse("kiosk:shell")
    return response
