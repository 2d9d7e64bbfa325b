"""Family portal: "Liste d'attente".

Full days are joined from the booking calendar (its summary lists them, its confirmation calls
`join_lists`). Here: the family's entries with their positions and offers, leaving a line, and
the page an offer's e-mail links to (accept or decline). Every write goes through
`bookings.waitlist`; every entry is read through `for_family`, so another family's entry or
offer answers 404.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from marmots.bookings import waitlist
from marmots.bookings.batch import Line
from marmots.bookings.models import WaitlistEntry
from marmots.core.access import get_or_404, guardian_required

from .frdates import long_date, long_datetime

RECENT_DAYS = 60  # closed entries stay listed that long after they closed (or their day)
RECENT_MAX = 30


def _offer_note(structure):
    hours = structure.waitlist_offer_hours
    if hours == 0:
        return (
            "si une place se libère, elle est réservée automatiquement et vous êtes prévenu "
            "(après le délai d'annulation sans frais, elle vous est proposée pendant 24 h)"
        )
    return (
        f"si une place se libère, elle vous est proposée par e-mail et vous avez {hours} h "
        "pour l'accepter"
    )


def wait_lines(changes):
    """The summary's lines for the full days ticked to join their waiting lists."""
    return [Line(c, _offer_note(c.slot.activity.structure)) for c in changes]


def join_lists(user, changes):
    """The calendar's full days ticked, joined (siblings of one day together); the outcomes."""
    return waitlist.join_by_structure(user, changes)


def _entries(family):
    return WaitlistEntry.objects.for_family(family).select_related(
        "child", "slot__activity__structure", "booking"
    )


@guardian_required
@require_GET
def waitlist_page(request):
    now = timezone.now()
    live = list(_entries(request.family).filter(status__in=WaitlistEntry.LIVE))
    places = waitlist.positions(live)
    for entry in live:
        entry.position = places.get(entry.pk)
        entry.expired = _expired(entry, now)
    since = now - datetime.timedelta(days=RECENT_DAYS)
    closed = list(
        _entries(request.family)
        .exclude(status__in=WaitlistEntry.LIVE)
        .filter(Q(closed_at__gte=since) | Q(date__gte=since.date()))
        .order_by("-closed_at", "-pk")[:RECENT_MAX]
    )
    for entry in closed:
        entry.label = waitlist.status_label(entry)
    return render(request, "portal/waitlist/list.html", {"live": live, "closed": closed})


def _expired(entry, now):
    return entry.status == WaitlistEntry.OFFERED and entry.offer_expires_at <= now


def _leave_message(entry):
    what = f"{entry.slot.activity.name} {entry.slot.label}, {long_date(entry.date)}"
    if entry.status == WaitlistEntry.DECLINED:
        return f"Place refusée pour {entry.child.first_name} ({what}) : {PASSED_ON}"
    return f"{entry.child.first_name} a quitté la liste d'attente ({what})."


@guardian_required
def waitlist_leave(request, entry_id):
    entry = get_or_404(_entries(request.family), pk=entry_id)
    if request.method != "POST":  # after the lookup: another family's id is 404 whatever
        return HttpResponseNotAllowed(["POST"])
    try:
        entry = waitlist.decline(request.user, entry)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _leave_message(entry))
    return redirect("portal:waitlist")


PASSED_ON = "la place est passée à la suite de la liste d'attente."


def _offer_state(entry, now):
    """(French sentence on where the offer stands, whether it may still be answered)."""
    expired = entry.status == WaitlistEntry.EXPIRED
    if entry.status == WaitlistEntry.OFFERED:
        if entry.offer_expires_at > now:
            return "", True
        expired = True
    if expired:
        when = long_datetime(entry.offer_expires_at)
        return f"Cette offre a expiré le {when} : {PASSED_ON}", False
    if entry.status == WaitlistEntry.BOOKED:
        return "Vous avez accepté cette place : la réservation est faite.", False
    if entry.status == WaitlistEntry.DECLINED:
        return f"Vous avez refusé cette place : {PASSED_ON}", False
    return waitlist.no_longer("Cette offre n'est plus valable", entry), False


@guardian_required
def offer(request, token):
    entry = get_or_404(_entries(request.family), token=token)
    if request.method == "POST":
        return _answer(request, entry)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    state, open_ = _offer_state(entry, timezone.now())
    return render(
        request, "portal/waitlist/offer.html", {"entry": entry, "state": state, "open": open_}
    )


def _answer(request, entry):
    answer = request.POST.get("reponse")
    if answer not in ("accepter", "refuser"):
        messages.error(request, "Choisissez « Accepter la place » ou « Refuser ».")
        return redirect("portal:waitlist_offer", entry.token)
    try:
        if answer == "refuser":
            waitlist.decline(request.user, entry)
        else:
            booking = waitlist.accept(request.user, entry)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal:waitlist_offer", entry.token)
    if answer == "refuser":
        messages.success(request, f"Place refusée : {PASSED_ON}")
        return redirect("portal:waitlist")
    messages.success(
        request,
        f"Place acceptée : {entry.child.first_name} est inscrit(e) le {long_date(booking.date)} "
        f"({entry.slot.activity.name} {entry.slot.label}).",
    )
    return redirect("portal:booking", booking.pk)
