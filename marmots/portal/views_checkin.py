"""Family portal: "Pointage à la tablette".

The house rule in plain words, the family's PIN (state and form), its QR card (inline, printable,
renewable) and each child's missed check-ins of a month, with the warnings before the threshold
is crossed. Everything is read for `request.family` only; the writes go through the kiosk
devices' actions.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marmots.accounts import ratelimit
from marmots.activities.models import Activity, Structure
from marmots.checkin import attendance, devices
from marmots.core.access import guardian_required
from marmots.core.qr import qr_svg
from marmots.families.models import Child

from . import frdates

KIND_WORDS = {"arrival": "arrivée", "departure": "départ"}
SESSION_WORDS = {Activity.MORNING: "matin", Activity.EVENING: "soir"}
ALERT_LEVELS = ("seuil", "depasse")
TAKEN_ACTION, TAKEN_PER_DAY, DAY = "portal-pin-taken", 5, 24 * 3600


class PinForm(forms.Form):
    pin = forms.CharField(label="Nouveau code (6 chiffres)", max_length=20, strip=True)
    pin_confirm = forms.CharField(label="Confirmez le code", max_length=20, strip=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = forms.PasswordInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": "off",
                    "pattern": "[0-9]{6}",
                    "maxlength": "6",
                    "size": "8",
                }
            )

    def clean(self):
        data = super().clean()
        pin, confirm = data.get("pin"), data.get("pin_confirm")
        if pin and confirm and pin != confirm:
            raise forms.ValidationError(
                "Les deux codes ne sont pas identiques : saisissez le même code deux fois."
            )
        return data


@dataclass
class ChildMonth:
    child: Child
    count: int
    threshold: int
    level: str | None
    missed: list  # [(day, "matin (Périscolaire matin)", "arrivée non pointée")]


def month_of_children(children, first, last, today):
    """[ChildMonth] for already scoped children: counts, warning level and missed sessions.
    Today's sessions count from tomorrow: until the evening ends, a departure still to come is
    not a missed one."""
    last = min(last, today - datetime.timedelta(days=1))
    months = attendance.missed_by_child(children, first, last)
    ids = {a.activity_id for m in months.values() for a in m.sessions}
    activities = Activity.objects.in_bulk(ids)
    result = []
    for child in children:
        month = months[child.pk]
        missed = [_missed_line(a, activities[a.activity_id]) for a in month.sessions]
        result.append(ChildMonth(child, month.count, month.threshold, month.warning, missed))
    return result


def _missed_line(session, activity):
    word = SESSION_WORDS.get(activity.kind)
    label = f"{word} ({activity.name})" if word else activity.name
    lacking = sorted(session.asked - session.by_family, key=["arrival", "departure"].index)
    what = " et ".join(KIND_WORDS[k] for k in lacking)
    ending = {("arrival",): "e", ("departure",): ""}.get(tuple(lacking), "s")
    return session.day, label, f"{what} non pointé{ending}"


def checkin_alerts(family, children=None):
    """Children at or beyond this month's threshold, for the banner of the portal's home."""
    if children is None:
        children = list(Child.objects.for_family(family))
    today = timezone.localdate()
    first, last = frdates.month_bounds(today.replace(day=1))
    months = month_of_children(children, first, last, today)
    return [m for m in months if m.level in ALERT_LEVELS]


def _house_rules(family):
    """[(structure, threshold, [activities asking families for kiosk events])]."""
    structures = Structure.objects.filter(families=family).order_by("name")
    activities = Activity.objects.filter(structure__in=structures, is_active=True).exclude(
        kiosk_events=Activity.KIOSK_NONE
    )
    by_structure = {}
    for activity in activities.order_by("order", "name"):
        by_structure.setdefault(activity.structure_id, []).append(activity)
    return [
        (s, s.missed_checkin_threshold, by_structure.get(s.pk, []))
        for s in structures
        if by_structure.get(s.pk)
    ]


def card_qr(key, family):
    """The family's QR card as inline SVG (scaled by CSS)."""
    title = f"QR code de la carte de pointage de la famille {family.name}"
    return qr_svg(devices.card_content(key), title)


def _month(request, today):
    """The month asked for (?mois=2026-11), this month when absent, invalid or to come."""
    value = request.GET.get("mois")
    first = frdates.parse_month(value) if value else None
    if value and first is None:
        messages.error(
            request, "Mois invalide (forme attendue : 2026-11) : voici le mois en cours."
        )
    this_month = today.replace(day=1)
    return this_month if first is None or first > this_month else first


def _page(request, form=None):
    family = request.family
    today = timezone.localdate()
    first = _month(request, today)
    first, last = frdates.month_bounds(first)
    key = devices.key_for(family)
    children = list(Child.objects.for_family(family))
    previous, following = frdates.shift_month(first, -1), frdates.shift_month(first, 1)
    return render(
        request,
        "portal/checkin/page.html",
        {
            "family": family,
            "key": key,
            "form": form or PinForm(),
            "qr": card_qr(key, family),
            "rules": _house_rules(family),
            "months": month_of_children(children, first, last, today),
            "month_name": frdates.MONTHS[first.month - 1],
            "title": frdates.month_label(first),
            "current": first == today.replace(day=1),
            "previous": f"?mois={previous:%Y-%m}#oublis",
            "previous_title": frdates.month_label(previous),
            "next": f"?mois={following:%Y-%m}#oublis" if following <= today else "",
            "next_title": frdates.month_label(following),
        },
    )


@guardian_required
@require_GET
def checkin(request):
    return _page(request)


@guardian_required
@require_POST
def pin(request):
    form = PinForm(request.POST)
    if form.is_valid():
        had_one = devices.key_for(request.family).pin_digest is not None
        error = _set_pin(request, form.cleaned_data["pin"])
        if error is None:
            messages.success(
                request,
                "Nouveau code enregistré : l'ancien ne fonctionne plus."
                if had_one
                else "Code enregistré : vous pouvez l'utiliser sur la tablette.",
            )
            return redirect("portal:checkin")
        form.add_error(None, error)
    return _page(request, form)


def _set_pin(request, pin):
    """set_pin, with few "already taken" answers per family: each one tells that some family
    uses that PIN, so they must not be tried by the thousand."""
    subject = str(request.family.pk)
    if not ratelimit.available(TAKEN_ACTION, subject, TAKEN_PER_DAY, DAY):
        return "Trop de codes refusés aujourd'hui : réessayez demain avec un autre code."
    error = devices.set_pin(request.user, request.family, pin)
    if error == devices.PIN_TAKEN:
        ratelimit.consume(TAKEN_ACTION, subject, TAKEN_PER_DAY, DAY)
    return error


@guardian_required
@require_GET
def card(request):
    family = request.family
    key = devices.key_for(family)
    return render(
        request,
        "portal/checkin/card.html",
        {
            "family": family,
            "key": key,
            "qr": card_qr(key, family),
            "structures": Structure.objects.filter(families=family).order_by("name"),
        },
    )


@guardian_required
@require_http_methods(["GET", "POST"])
def card_renew(request):
    if request.method == "POST":
        devices.renew_card(request.user, request.family)
        messages.success(
            request,
            "Nouvelle carte créée : l'ancienne ne fonctionne plus. Imprimez la nouvelle.",
        )
        return redirect("portal:checkin_card")
    return render(request, "portal/checkin/renew.html")
