"""The structure's check-in tablets: create one, show its one-time pairing code and QR code,
give it a new code, revoke it. Managers write; staff read the list.

A pairing code is shown once, right after it is made (only its digest is stored): the POST
puts it in the session and the pairing page takes it out, so it never appears in a URL.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from marmots.checkin import devices
from marmots.checkin.models import Kiosk
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.core.qr import qr_svg
from marmots.portal.frdates import long_datetime

from .forms_checkin import KioskForm

SHOWN_ONCE = "checkin_pairing_code"
QR_TITLE = "QR code d'appairage"


def _kiosks(request):
    return Kiosk.objects.filter(structure__in=request.structures).select_related("structure")


def state(kiosk, now):
    """(French state, badge class, note) of a kiosk."""
    if kiosk.revoked_at:
        return "Révoquée", "bad", f"le {long_datetime(kiosk.revoked_at)}"
    if kiosk.paired_at and kiosk.token_hash:
        return "Appairée", "ok", f"le {long_datetime(kiosk.paired_at)}"
    if kiosk.pairing_expires_at and kiosk.pairing_expires_at > now:
        return "En attente d'appairage", "wait", ""
    return "En attente d'appairage", "wait", "code expiré : demandez-en un nouveau"


def _render_list(request, form=None, status=200):
    now = timezone.now()
    rows = [(kiosk, *state(kiosk, now)) for kiosk in _kiosks(request).order_by("name")]
    if form is None and request.is_manager:
        form = KioskForm(structures=_managed(request))
    context = {"rows": rows, "form": form}
    return render(request, "backoffice/checkin/kiosks.html", context, status=status)


def _managed(request):
    managed = [pk for pk, role in request.staff_roles.items() if role == "manager"]
    return request.structures.filter(pk__in=managed)


def _show_once(request, kiosk, code):
    request.session[SHOWN_ONCE] = {"kiosk": kiosk.pk, "code": code}
    return redirect("backoffice:checkin_kiosk_pairing", kiosk.pk)


@staff_required
@require_GET
def kiosks(request):
    return _render_list(request)


@require_POST
@manager_required
def kiosk_create(request):
    form = KioskForm(request.POST, structures=request.structures)
    if form.is_valid():
        data = form.cleaned_data
        try:
            kiosk, code = devices.create_kiosk(request.user, data["structure"], data["name"])
        except ValidationError as error:
            form.add_error("name", error.messages[0])
        else:
            return _show_once(request, kiosk, code)
    messages.error(request, "La tablette n'a pas été créée : corrigez le formulaire.")
    return _render_list(request, form, status=400)


@require_POST
@manager_required
def kiosk_code(request, pk):
    kiosk = get_or_404(_kiosks(request), pk=pk)
    try:
        code = devices.new_pairing_code(request.user, kiosk)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("backoffice:checkin_kiosks")
    return _show_once(request, kiosk, code)


@never_cache
@manager_required
@require_GET
def kiosk_pairing(request, pk):
    kiosk = get_or_404(_kiosks(request), pk=pk)
    shown = request.session.pop(SHOWN_ONCE, None)
    code = shown["code"] if shown and shown.get("kiosk") == kiosk.pk else None
    context = {"kiosk": kiosk, "code": code}
    if code:
        url = request.build_absolute_uri("/kiosque/?" + urlencode({"code": code}))
        context |= {
            "url": url,
            "qr": qr_svg(url, QR_TITLE, scale=6),
            "expires": long_datetime(kiosk.pairing_expires_at),
        }
    return render(request, "backoffice/checkin/kiosk_pairing.html", context)


@manager_required
def kiosk_revoke(request, pk):
    kiosk = get_or_404(_kiosks(request), pk=pk)
    if request.method == "POST":
        if devices.revoke(request.user, kiosk):
            messages.success(request, f"Tablette « {kiosk.name} » révoquée : elle ne pointe plus.")
        else:
            messages.error(request, f"La tablette « {kiosk.name} » était déjà révoquée.")
        return redirect("backoffice:checkin_kiosks")
    return render(request, "backoffice/checkin/kiosk_revoke.html", {"kiosk": kiosk})
