"""The waiting lists of the user's structures, per day and slot: who waits in which order,
whose offer runs until when, the places of the day, and what recently left the lines.

Staff read; managers put an entry first in its line or remove it with a reason (both through
`bookings.waitlist`, which records them). An entry of a structure the user does not manage is
404. The POST forms carry the page's filters in their query string, so the manager comes back
to the same lines.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.activities.models import Activity
from marmots.bookings import capacity, rules, waitlist
from marmots.bookings.models import SlotDay, WaitlistEntry
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.portal.frdates import long_date, long_datetime

from . import scope
from .forms_waitlist import RemoveForm, WaitlistFilterForm

TEMPLATE = "backoffice/waitlist/lines.html"
PAGE_SIZE = 20  # lines (slot-days) per page
HISTORY_LIMIT = 50


def entries(request):
    """Waiting-list entries of the user's structures."""
    return WaitlistEntry.objects.filter(slot__activity__structure__in=request.structures)


def live_count(request, today):
    """Children waiting (or offered a place) for a day from `today` on: the home page counter."""
    return entries(request).filter(status__in=WaitlistEntry.LIVE, date__gte=today).count()


def waiting_counts(slot_ids, first_day, last_day):
    """{(slot id, date): live entries} over the days (one query)."""
    rows = (
        WaitlistEntry.objects.filter(
            slot_id__in=slot_ids,
            date__range=(first_day, last_day),
            status__in=WaitlistEntry.LIVE,
        )
        .values_list("slot_id", "date")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(slot_id, day): n for slot_id, day, n in rows}


def line_url(slot_id, day):
    """The waiting-list page showing one slot-day's line."""
    return f"{reverse('backoffice:waitlist')}?du={day:%Y-%m-%d}&au={day:%Y-%m-%d}&tranche={slot_id}"


@dataclass
class Row:
    position: int
    entry: object
    form: object = None
    siblings: str = ""  # first names of the brothers and sisters served with it
    can_promote: bool = False  # waiting, with someone else than its siblings ahead


@dataclass
class Line:
    """One slot-day's line: its entries in order, and the places held that day."""

    date: object
    slot: object
    places: int | None
    held: int
    can_edit: bool
    rows: list = field(default_factory=list)

    @property
    def label(self):
        return long_date(self.date)


def _activities(request):
    return (
        scope.owned(request, Activity)
        .filter(slots__isnull=False)
        .distinct()
        .order_by("order", "name")
    )


def _lines(request, live, page_keys, forms):
    """[Line] of the slot-days in `page_keys` ([(date, start, slot id)]), in that order."""
    if not page_keys:
        return []
    slot_ids = {key[2] for key in page_keys}
    first, last = min(key[0] for key in page_keys), max(key[0] for key in page_keys)
    rows = (
        live.filter(slot_id__in=slot_ids, date__range=(first, last))
        .select_related("child__family", "slot__activity")
        .order_by("slot_id", "date", *waitlist.LINE_ORDER)
    )
    by_key = defaultdict(list)
    for entry in rows:
        by_key[(entry.date, entry.slot_id)].append(entry)
    held = capacity.taken_counts(slot_ids, first, last)
    own = SlotDay.objects.filter(slot_id__in=slot_ids, date__range=(first, last))
    days = {(row.slot_id, row.date): row for row in own}
    lines = []
    for day, _start, slot_id in page_keys:
        line_entries = by_key.get((day, slot_id), [])
        if not line_entries:
            continue
        slot = line_entries[0].slot
        line = Line(
            day,
            slot,
            capacity.places_on(slot, days.get((slot_id, day))),
            held.get((slot_id, day), 0),
            scope.manages(request, slot.activity.structure_id),
        )
        for position, entry in enumerate(line_entries, start=1):
            form = forms.get(entry.pk) or RemoveForm(prefix=f"r{entry.pk}")
            group = [e for e in line_entries if entry.group and e.group == entry.group]
            others = [e.child.first_name for e in group if e.pk != entry.pk]
            ahead = [e for e in line_entries[: position - 1] if e not in group]
            can_promote = entry.status == WaitlistEntry.WAITING and bool(ahead)
            edit = form if line.can_edit else None
            line.rows.append(Row(position, entry, edit, and_list(others), can_promote))
        lines.append(line)
    return lines


def _render(request, forms=None, status=200):
    form = WaitlistFilterForm(
        request.GET, activities=_activities(request), today=timezone.localdate()
    )
    context = {"form": form, "lines": [], "history": [], "query": ""}
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    chosen = form.filter(entries(request))
    live = chosen.filter(status__in=WaitlistEntry.LIVE)
    keys = (
        live.values_list("date", "slot__start_time", "slot_id")
        .distinct()
        .order_by("date", "slot__start_time", "slot_id")
    )
    page = Paginator(keys, PAGE_SIZE).get_page(request.GET.get("page"))
    history = (
        chosen.exclude(status__in=WaitlistEntry.LIVE)
        .select_related("child__family", "slot__activity", "closed_by")
        .order_by("-closed_at", "-pk")[:HISTORY_LIMIT]
    )
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        page=page,
        lines=_lines(request, live, list(page.object_list), forms or {}),
        history=history,
        history_limit=HISTORY_LIMIT,
        query=query.urlencode(),
        here=request.GET.urlencode(),
    )
    return render(request, TEMPLATE, context, status=status)


@require_GET
@staff_required
def lines(request):
    return _render(request)


def _back(request):
    """The list with the filters the form was posted from."""
    query = request.GET.urlencode()
    return reverse("backoffice:waitlist") + (f"?{query}" if query else "")


def _managed_entry(request, pk):
    related = ("child__family", "slot__activity__structure")
    return get_or_404(entries(request).select_related(*related), pk=pk)


def _who(entry):
    child = entry.child
    return (
        f"{child.first_name} {child.last_name} ({entry.slot.activity.name}, "
        f"{entry.slot.label}, {rules.fr_day(entry.date)})"
    )


def and_list(names):
    """ "Léa", "Léa et Tom", "Léa, Tom et Noé"."""
    return " et ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def _group_of(entry):
    """The waiting brothers and sisters `promote` moves with `entry`, it included, in line
    order; [] when it waits alone."""
    if not entry.group:
        return []
    rows = WaitlistEntry.objects.filter(
        slot_id=entry.slot_id, date=entry.date, group=entry.group, status=WaitlistEntry.WAITING
    )
    members = list(rows.select_related("child").order_by(*waitlist.LINE_ORDER))
    return members if len(members) > 1 else []


def _promoted(entry, members):
    """The success message of a promotion, naming the siblings moved with the entry."""
    if not members:
        return f"{_who(entry)} passe en tête de la liste.{_now_status(entry)}"
    children = [m.child for m in members]
    if len({c.last_name for c in children}) > 1:
        names = and_list([f"{c.first_name} {c.last_name}" for c in children])
    else:
        names = f"{and_list([c.first_name for c in children])} {entry.child.last_name}"
    where = f"{entry.slot.activity.name}, {entry.slot.label}, {rules.fr_day(entry.date)}"
    return f"{names} ({where}) passent en tête de la liste.{_now_status(entry, plural=True)}"


def _now_status(entry, plural=False):
    if entry.status == WaitlistEntry.OFFERED:
        until = long_datetime(entry.offer_expires_at)
        if plural:
            return f" Des places étaient libres : elles leur sont proposées jusqu'au {until}."
        return f" Une place était libre : elle lui est proposée jusqu'au {until}."
    if entry.status == WaitlistEntry.BOOKED:
        if plural:
            return " Des places étaient libres : elles leur sont réservées."
        return " Une place était libre : elle lui est réservée."
    return ""


@require_POST
@manager_required
def promote(request, pk):
    entry = _managed_entry(request, pk)
    members = _group_of(entry)
    try:
        entry = waitlist.promote(request.user, entry)
    except ValidationError as error:
        messages.error(request, f"{_who(entry)} : {' '.join(error.messages)}")
    else:
        messages.success(request, _promoted(entry, members))
    return redirect(_back(request))


@require_POST
@manager_required
def remove(request, pk):
    entry = _managed_entry(request, pk)
    form = RemoveForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        held_offer = entry.status == WaitlistEntry.OFFERED
        try:
            waitlist.remove(request.user, entry, form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, f"{_who(entry)} : {' '.join(error.messages)}")
            return redirect(_back(request))
        passed = (
            " La place qui lui était proposée passe à la suite de la liste." if held_offer else ""
        )
        messages.success(request, f"{_who(entry)} est retiré de la liste d'attente.{passed}")
        return redirect(_back(request))
    messages.error(request, "Rien n'a été retiré : indiquez le motif du retrait.")
    return _render(request, {pk: form}, status=400)


# The day's register and the fill-rate page show who waits -------------------------------------


def mark_waiting(registers, day):
    """Set `waiting` (live entries) and `waiting_url` on each slot register of the day."""
    slot_registers = [register for _, slots in registers for register in slots]
    counts = waiting_counts([r.slot.pk for r in slot_registers], day, day)
    for register in slot_registers:
        register.waiting = counts.get((register.slot.pk, day), 0)
        register.waiting_url = line_url(register.slot.pk, day)


def waiting_lines(slots, first_day, last_day):
    """[(date, slot, live entries, url)] of the slots' lines over the days, in day order."""
    by_id = {slot.pk: slot for slot in slots}
    counts = waiting_counts(list(by_id), first_day, last_day)
    keys = sorted(counts, key=lambda k: (k[1], by_id[k[0]].start_time, k[0]))
    return [(day, by_id[pk], counts[(pk, day)], line_url(pk, day)) for pk, day in keys]
