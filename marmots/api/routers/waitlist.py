"""Waiting lists: a family's entries, joining the lists of full days, answering an offered
place; the manager's lines with their positions, promoting or removing an entry.

Every rule is `bookings.waitlist`'s, as for the portal and the back-office. A family reaches
only its own entries (another family's answers 404); a manager the entries of the structures
they manage (staff read them).
"""

from ninja import Query, Router
from ninja.errors import HttpError

from marmots.activities.models import Activity, TimeSlot
from marmots.bookings import waitlist
from marmots.bookings.models import WaitlistEntry
from marmots.families.models import Child

from ..schemas import ErrorOut
from ..schemas_waitlist import (
    JoinOutcomesOut,
    ManagerWaitlistEntryOut,
    ManagerWaitlistPageOut,
    ManagerWaitlistQuery,
    RemovalIn,
    WaitlistEntryOut,
)
from .bookings import (
    MAX_ID,
    MAX_LIST_DAYS,
    ChangesIn,
    DatesQuery,
    _changes,
    _check_date,
    _family,
    _find,
    _period,
)
from .manager import _managed_structures, _staff_structures

router = Router(tags=["Listes d'attente"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
FAMILY = "/waitlist"
MANAGER = "/manager/waitlist"
RELATED = ("child__family", "slot__activity")


def _entry(entry, positions):
    return {
        "id": entry.pk,
        "child_id": entry.child_id,
        "slot_id": entry.slot_id,
        "activity": entry.slot.activity.name,
        "slot": entry.slot.label,
        "date": entry.date,
        "status": entry.status,
        "status_label": entry.get_status_display(),
        "position": positions.get(entry.pk),
        "source": entry.source,
        "with_apc": entry.with_apc,
        "group": entry.group,
        "created_at": entry.created_at,
        "offer_expires_at": entry.offer_expires_at if entry.status == entry.OFFERED else None,
        "booking_id": entry.booking_id,
        "reason": entry.reason,
    }


def _manager_entry(entry, positions):
    child = entry.child
    return {
        **_entry(entry, positions),
        "child": {"id": child.pk, "first_name": child.first_name, "last_name": child.last_name},
        "family": {"id": child.family_id, "name": child.family.name},
        "queued_at": entry.queued_at,
        "closed_at": entry.closed_at,
    }


def _get(queryset, entry_id):
    if not 0 < entry_id <= MAX_ID:
        raise HttpError(404, "Inscription en liste d'attente introuvable.")
    try:
        return queryset.select_related(*RELATED).get(pk=entry_id)
    except WaitlistEntry.DoesNotExist:
        raise HttpError(404, "Inscription en liste d'attente introuvable.") from None


def _answer(entry, shape=_entry):
    entry = WaitlistEntry.objects.select_related(*RELATED).get(pk=entry.pk)
    return shape(entry, waitlist.positions([entry]))


# The family -----------------------------------------------------------------------------------


@router.get(
    FAMILY, response={200: list[WaitlistEntryOut], **ERRORS}, summary="Mes listes d'attente"
)
def family_list(request, dates: Query[DatesQuery], child_id: int | None = None):
    """The family's waiting-list entries for the days from `from` (today by default) to `to`
    (a year at most), those that left the line included, with the position of each live one
    and until when an offered place may be accepted."""
    family = _family(request)
    first_day, last_day = _period(dates, MAX_LIST_DAYS, MAX_LIST_DAYS)
    rows = WaitlistEntry.objects.for_family(family).filter(date__range=(first_day, last_day))
    if child_id is not None:
        _find(Child.objects.for_family(family), [child_id], "Enfant introuvable.")
        rows = rows.filter(child_id=child_id)
    rows = list(rows.select_related(*RELATED).order_by("date", "slot__start_time", "child_id"))
    positions = waitlist.positions(rows)
    return [_entry(entry, positions) for entry in rows]


def _joined(outcomes):
    """{(child id, slot id, date): live entry} of the outcomes that joined a line."""
    keys = [o.change.key for o in outcomes if o.code == waitlist.WAITLISTED]
    if not keys:
        return {}
    rows = WaitlistEntry.objects.filter(
        child_id__in={k[0] for k in keys},
        slot_id__in={k[1] for k in keys},
        date__range=(min(k[2] for k in keys), max(k[2] for k in keys)),
        status__in=WaitlistEntry.LIVE,
    )
    return {(e.child_id, e.slot_id, e.date): e for e in rows}


@router.post(FAMILY, response={200: JoinOutcomesOut, **ERRORS}, summary="Rejoindre des listes")
def family_join(request, data: ChangesIn):
    """Join the waiting lists of full days, for one or several children: one outcome per
    distinct (child, slot, date), « waitlisted » with its position or refused with its reason
    (« free » when a place is left: book it instead). Brothers and sisters joining the same day
    in one call are served together (a place for each, offered at once; each accepted on its
    own). A manager adds a child on the family's behalf."""
    outcomes = waitlist.join_by_structure(request.auth, _changes(request, data))
    joined = _joined(outcomes)
    positions = waitlist.positions(list(joined.values()))
    items = []
    for outcome in outcomes:
        change, entry = outcome.change, joined.get(outcome.change.key)
        ok = outcome.code == waitlist.WAITLISTED
        items.append(
            {
                "child_id": change.child.pk,
                "slot_id": change.slot.pk,
                "date": change.date,
                "result": "waitlisted" if ok else "refused",
                "code": outcome.code,
                "message": outcome.message,
                "entry_id": entry.pk if ok and entry else None,
                "position": positions.get(entry.pk) if ok and entry else None,
            }
        )
    return {"outcomes": items}


def _own(request, entry_id):
    return _get(WaitlistEntry.objects.for_family(_family(request)), entry_id)


@router.post(
    FAMILY + "/{entry_id}/accept",
    response={200: WaitlistEntryOut, **ERRORS},
    summary="Accepter une place proposée",
)
def family_accept(request, entry_id: int):
    """Take the offered place: the booking is made (`booking_id`). An expired offer is refused
    (422) and passes to the next in line."""
    entry = _own(request, entry_id)
    waitlist.accept(request.auth, entry)
    return _answer(entry)


@router.post(
    FAMILY + "/{entry_id}/decline",
    response={200: WaitlistEntryOut, **ERRORS},
    summary="Refuser une place proposée ou quitter la liste",
)
def family_decline(request, entry_id: int):
    """Decline the offered place, or leave the line while waiting: the place goes to the next."""
    entry = _own(request, entry_id)
    waitlist.decline(request.auth, entry)
    return _answer(entry)


# The manager ----------------------------------------------------------------------------------


def _lines(structure_ids, query):
    if query.date is not None:
        _check_date(query.date)
        first_day = last_day = query.date
    else:
        dates = DatesQuery(**{"from": query.first_day, "to": query.last_day})
        first_day, last_day = _period(dates, MAX_LIST_DAYS, MAX_LIST_DAYS)
    rows = WaitlistEntry.objects.filter(
        slot__activity__structure_id__in=structure_ids, date__range=(first_day, last_day)
    )
    if query.slot_id is not None:
        slots = TimeSlot.objects.filter(activity__structure_id__in=structure_ids)
        _find(slots, [query.slot_id], "Tranche horaire introuvable.")
        rows = rows.filter(slot_id=query.slot_id)
    if query.activity_id is not None:
        activities = Activity.objects.filter(structure_id__in=structure_ids)
        _find(activities, [query.activity_id], "Activité introuvable.")
        rows = rows.filter(slot__activity_id=query.activity_id)
    if not query.include_closed:
        rows = rows.filter(status__in=WaitlistEntry.LIVE)
    return rows.order_by("date", "slot__start_time", "slot_id", *waitlist.LINE_ORDER)


@router.get(
    MANAGER,
    response={200: ManagerWaitlistPageOut, **ERRORS},
    summary="Listes d'attente des structures",
    tags=["Gestion"],
)
def manager_list(request, query: Query[ManagerWaitlistQuery]):
    """The lines of the structures the caller works for, per day and slot, each entry with its
    position (1 = next place), from `from` (today) to `to`, or one `date`; filter by `slot_id`
    or `activity_id`. Paginated: `items` and `count`, with `limit` (100) and `offset`."""
    rows = _lines(_staff_structures(request), query)
    page = list(rows.select_related(*RELATED)[query.offset : query.offset + query.limit])
    positions = waitlist.positions(page)
    return {"items": [_manager_entry(e, positions) for e in page], "count": rows.count()}


def _managed(request, entry_id):
    managed = _managed_structures(request)
    return _get(WaitlistEntry.objects.filter(slot__activity__structure_id__in=managed), entry_id)


@router.post(
    MANAGER + "/{entry_id}/promote",
    response={200: ManagerWaitlistEntryOut, **ERRORS},
    summary="Placer en tête de liste",
    tags=["Gestion"],
)
def manager_promote(request, entry_id: int):
    """Put a waiting entry first in its line (recorded), with the waiting brothers and sisters
    of its `group`; when places are free for them they get them now."""
    entry = waitlist.promote(request.auth, _managed(request, entry_id))
    return _answer(entry, _manager_entry)


@router.post(
    MANAGER + "/{entry_id}/remove",
    response={200: ManagerWaitlistEntryOut, **ERRORS},
    summary="Retirer de la liste d'attente",
    tags=["Gestion"],
)
def manager_remove(request, entry_id: int, data: RemovalIn):
    """Take an entry off its line with a reason (recorded, shown to the family); a place it
    was offered goes to the next in line."""
    entry = waitlist.remove(request.auth, _managed(request, entry_id), data.reason)
    return _answer(entry, _manager_entry)
