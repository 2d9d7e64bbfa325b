"""Family portal: "Réservations".

The month calendar (one child or all of them), the batch summary and its confirmation (full
days ticked join their waiting lists there, see views_waitlist), one
booking's page (cancel, illness, certificate), withdrawing a request, and the iCalendar feed.
Every write goes through the booking actions; the browser's ticks are only wishes, re-checked
there.
"""

import datetime
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from marmots.activities.models import TimeSlot
from marmots.bookings import absences, actions, batch, context, deadlines, feeds, month, requests
from marmots.bookings.models import Booking, BookingRequest
from marmots.bookings.rules import plausible
from marmots.core.access import get_or_404, guardian_required
from marmots.families.models import Child

from . import frdates, views_waitlist

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
KEY_RE = re.compile(r"^(\d{1,10})-(\d{1,10})-(\d{4}-\d{2}-\d{2})$")
MAX_CELLS = 2000
BAD_CELL = "Une case envoyée n'est pas valide : rechargez le calendrier. Rien n'a été modifié."


def _month_param(value, today):
    """(first day of the month asked for, French error or None): this month when absent."""
    if not value:
        return today.replace(day=1), None
    first = frdates.parse_month(value)
    if first is None:
        return today.replace(day=1), (
            "Mois invalide (forme attendue : 2026-12) : voici le mois en cours."
        )
    return first, None


def _selected_children(family, value):
    """(all the family's children, the children shown): `value` is a child id or "tous"."""
    children = list(Child.objects.for_family(family))
    if value in (None, "", "tous"):
        return children, children
    chosen = [c for c in children if str(c.pk) == value]
    if not chosen:
        raise Http404
    return children, chosen


def _month_link(first, child_value):
    return f"?mois={first:%Y-%m}&enfant={child_value}"


@guardian_required
@require_GET
def calendar(request):
    first, error = _month_param(request.GET.get("mois"), timezone.localdate())
    if error:
        messages.error(request, error)
    children, shown = _selected_children(request.family, request.GET.get("enfant"))
    first, last = frdates.month_bounds(first)
    child_value = str(shown[0].pk) if len(shown) == 1 and len(children) > 1 else "tous"
    previous, following = frdates.shift_month(first, -1), frdates.shift_month(first, 1)
    feed = feeds.feed_of(request.family)
    pending = list(batch.pending_requests(request.family))
    page = {
        "grid": month.build(shown, first, last, timezone.now(), pending),
        "children": children,
        "child_value": child_value,
        "title": frdates.month_label(first),
        "mois": f"{first:%Y-%m}",
        "previous": _month_link(previous, child_value),
        "next": _month_link(following, child_value),
        "previous_title": frdates.month_label(previous),
        "next_title": frdates.month_label(following),
        "pending": pending,
        "feed_url": _feed_url(request, feed),
    }
    return render(request, "portal/bookings/calendar.html", page)


def _feed_url(request, feed):
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("portal:calendar_feed", args=[feed.secret]))


def _parse_keys(values):
    """[(child id, slot id, date)] from the form's cell values; French ValidationError."""
    if len(values) > MAX_CELLS:
        raise ValidationError("Trop de changements à la fois : faites-les en plusieurs fois.")
    keys = []
    for value in values:
        match = KEY_RE.match(value)
        if match is None:
            raise ValidationError(BAD_CELL)
        try:
            day = datetime.date.fromisoformat(match[3])
            if not plausible(day):
                raise ValueError
        except ValueError:
            raise ValidationError(
                f"Date invalide : « {match[3]} ». Rien n'a été modifié."
            ) from None
        keys.append((int(match[1]), int(match[2]), day))
    return keys


def _read_changes(request, *names):
    """{name: [Change]} for the POSTed cell lists; 404 for a child of another family or an
    unknown slot; ValidationError for a malformed value."""
    parsed = {name: _parse_keys(request.POST.getlist(name)) for name in names}
    apc = set(_parse_keys(request.POST.getlist("apc")))
    keys = [k for values in parsed.values() for k in values]
    child_ids, slot_ids = {k[0] for k in keys}, {k[1] for k in keys}
    children = {c.pk: c for c in Child.objects.for_family(request.family).filter(pk__in=child_ids)}
    slots = {
        s.pk: s
        for s in TimeSlot.objects.filter(pk__in=slot_ids).select_related("activity__structure")
    }
    if len(children) != len(child_ids) or len(slots) != len(slot_ids):
        raise Http404
    return {
        name: [actions.Change(children[c], slots[s], d, (c, s, d) in apc) for c, s, d in values]
        for name, values in parsed.items()
    }


def _back(request):
    """The calendar the form came from."""
    mois, enfant = request.POST.get("mois", ""), request.POST.get("enfant", "tous")
    url = reverse("portal:bookings")
    if MONTH_RE.match(mois):
        url += f"?mois={mois}&enfant={enfant if enfant.isdigit() else 'tous'}"
    return url


@guardian_required
@require_POST
def summary(request):
    try:
        changes = _read_changes(request, "cell", "book", "wait")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_back(request))
    adds, cancels = batch.plan(changes["cell"], changes["book"])
    waits = views_waitlist.wait_lines(changes["wait"])
    if not adds and not cancels and not waits:
        messages.info(request, "Aucun changement : cochez ou décochez des jours d'abord.")
        return redirect(_back(request))
    add_lines, cancel_lines = batch.describe(adds, cancels, timezone.now())
    page = {
        "add_lines": add_lines,
        "cancel_lines": cancel_lines,
        "wait_lines": waits,
        "back": _back(request),
        "mois": request.POST.get("mois", ""),
        "enfant": request.POST.get("enfant", ""),
    }
    return render(request, "portal/bookings/summary.html", page)


def _apply(user, adds, cancels, late_seen):
    """A cancellation becomes late only if the summary said so (`late_seen`)."""
    return actions.apply_by_structure(user, add=adds, cancel=cancels, late_seen=late_seen)


@guardian_required
@require_POST
def confirm(request):
    try:
        changes = _read_changes(request, "add", "cancel", "join")
        late_seen = set(_parse_keys(request.POST.getlist("late")))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_back(request))
    outcomes = _apply(request.user, changes["add"], changes["cancel"], late_seen)
    outcomes += views_waitlist.join_lists(request.user, changes["join"])
    page = {
        "done": [o for o in outcomes if o.ok],
        "refused": [o for o in outcomes if not o.ok],
        "waitlisted": any(o.code == "waitlisted" for o in outcomes),
        "back": _back(request),
    }
    return render(request, "portal/bookings/result.html", page)


def _family_booking(request, booking_id):
    bookings = Booking.objects.for_family(request.family).select_related(
        "child", "slot__activity__structure"
    )
    return get_or_404(bookings, pk=booking_id)


def _only(request, method):
    """Checked after the object lookup, so that another family's id answers 404 to any
    method."""
    allowed = {method, "HEAD"} if method == "GET" else {method}
    return None if request.method in allowed else HttpResponseNotAllowed(sorted(allowed))


@guardian_required
def booking_detail(request, booking_id):
    booking = _family_booking(request, booking_id)
    if refused := _only(request, "GET"):
        return refused
    activity, slot, now = booking.slot.activity, booking.slot, timezone.now()
    calendar = context.load(activity.structure, booking.date, booking.date)
    window = calendar.window(now, activity, slot, booking.date)
    started = window == deadlines.STARTED
    live = booking.status == Booking.BOOKED
    page = {
        "booking": booking,
        "deadline": deadlines.fr_deadline(calendar.deadline(activity, slot, booking.date)),
        "late": window == deadlines.LATE,
        "may_cancel": live and not started,
        # Before the deadline an illness is a free cancellation: the cancel button says so.
        "may_declare": live and window == deadlines.LATE,
        "certificate_due": absences.certificate_due(booking),
        "may_attach": booking.status == Booking.ABSENT
        and not booking.excused
        and not booking.certificate
        and timezone.localdate(now) <= absences.certificate_due(booking),
    }
    return render(request, "portal/bookings/detail.html", page)


@guardian_required
def booking_cancel(request, booking_id):
    booking = _family_booking(request, booking_id)
    if refused := _only(request, "POST"):
        return refused
    change = actions.change_for(booking)
    # Late (billed) only if the page said so when the family clicked.
    late_seen = {change.key} if request.POST.get("hors_delai") else set()
    (outcome,) = actions.apply_changes(request.user, cancel=[change], late_seen=late_seen)
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return redirect("portal:booking", booking.pk)


@guardian_required
def booking_absence(request, booking_id):
    booking = _family_booking(request, booking_id)
    if refused := _only(request, "POST"):
        return refused
    try:
        absences.declare_absence(request.user, booking, request.FILES.get("certificat"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Absence pour maladie enregistrée.")
    return redirect("portal:booking", booking.pk)


@guardian_required
def booking_certificate(request, booking_id):
    booking = _family_booking(request, booking_id)
    if refused := _only(request, "POST"):
        return refused
    uploaded = request.FILES.get("certificat")
    try:
        if uploaded is None:
            raise ValidationError("Choisissez le fichier du certificat médical.")
        absences.attach_certificate(request.user, booking, uploaded)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Certificat médical envoyé.")
    return redirect("portal:booking", booking.pk)


@guardian_required
def request_withdraw(request, request_id):
    pending = get_or_404(
        BookingRequest.objects.for_family(request.family).select_related("child"), pk=request_id
    )
    if refused := _only(request, "POST"):
        return refused
    try:
        requests.withdraw_request(request.user, pending)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Demande retirée.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("portal:bookings")
    return redirect(target)


@guardian_required
@require_POST
def feed_renew(request):
    had_one = feeds.feed_of(request.family) is not None
    feeds.renew(request.user, request.family)
    if had_one:
        messages.success(request, "Nouvelle adresse créée : l'ancienne ne fonctionne plus.")
    else:
        messages.success(request, "Adresse de votre agenda créée.")
    return redirect(reverse("portal:bookings") + "#agenda")


@require_GET
def calendar_feed(request, secret):
    feed = feeds.by_secret(secret)
    if feed is None:
        raise Http404
    response = HttpResponse(feeds.feed_text(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="reservations.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
