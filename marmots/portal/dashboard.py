"""The family's dashboard: one timeline of every request it sent, waiting lists included (pure,
no database access)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse

from marmots.core.french import ordinal
from marmots.families.fields import CHILD_FIELD_LABELS, GUARDIAN_FIELD_LABELS

from .frdates import long_date, long_datetime

# status -> (French label, badge class, badge text)
CHANGE_STATUSES = {
    "pending": ("En attente du gestionnaire", "wait", "?"),
    "applied": ("Prise en compte", "ok", "V"),
    "refused": ("Refusée", "bad", "✗"),
}
ENROLLMENT_STATUSES = {
    "pending": ("En attente du gestionnaire", "wait", "?"),
    "validated": ("Validée", "ok", "V"),
    "refused": ("Refusée", "bad", "✗"),
    "cancelled": ("Annulée", "", "–"),
}
BOOKING_REQUEST_STATUSES = {
    "pending": ("En attente du gestionnaire", "wait", "?"),
    "accepted": ("Acceptée", "ok", "V"),
    "refused": ("Refusée", "bad", "✗"),
    "withdrawn": ("Retirée", "", "–"),
}
BOOKING_REQUEST_TITLES = {"add": "Demande de réservation", "cancel": "Demande d'annulation"}
# A waiting-list entry's status -> badge class and text (its label is the model's). A live one
# waits for a place, not for the manager: no "wait" badge, which counts the manager's backlog.
WAITLIST_BADGES = {
    "waiting": ("", "…"),
    "offered": ("", "!"),
    "booked": ("ok", "V"),
}


@dataclass
class Entry:
    at: datetime
    kind: str
    title: str
    details: list = field(default_factory=list)
    status_label: str = ""
    badge: str = ""
    mark: str = ""
    note: str = ""
    request_id: int | None = None  # a booking request the family may still withdraw
    link: str = ""  # a page where the family follows or answers it
    link_label: str = ""

    @property
    def waiting(self):
        return self.badge == "wait"


def change_entry(request):
    if request.child_id:
        title = f"Modification des informations de {request.child.first_name}"
        labels = CHILD_FIELD_LABELS
    else:
        title = f"Modification des coordonnées de {request.guardian}"
        labels = GUARDIAN_FIELD_LABELS
    label, badge, mark = CHANGE_STATUSES[request.status]
    details = [labels.get(name, name).capitalize() for name in request.changes]
    return Entry(
        request.created_at, "change", title, details, label, badge, mark, request.decision_note
    )


def enrollment_entry(enrollment):
    label, badge, mark = ENROLLMENT_STATUSES[enrollment.status]
    title = f"Demande d'inscription de {enrollment.child.first_name} : {enrollment.activity.name}"
    dates = f"du {enrollment.start_date:%d/%m/%Y} au {enrollment.end_date:%d/%m/%Y}"
    return Entry(
        enrollment.requested_at,
        "enrollment",
        title,
        [dates],
        label,
        badge,
        mark,
        enrollment.refusal_reason,
    )


def booking_request_entry(request):
    """A request to book or cancel, where the activity lets families only ask."""
    label, badge, mark = BOOKING_REQUEST_STATUSES[request.status]
    title = (
        f"{BOOKING_REQUEST_TITLES[request.action]} de {request.child.first_name} : "
        f"{request.slot.activity.name} {request.slot.label}"
    )
    return Entry(
        request.created_at,
        "booking_request",
        title,
        [long_date(request.date)],
        label,
        badge,
        mark,
        request.reason,
        request.pk if request.status == "pending" else None,
    )


def waitlist_entry(entry, position):
    """A child on a day's waiting list: its position, the place offered, or how it ended."""
    title = (
        f"Liste d'attente de {entry.child.first_name} : "
        f"{entry.slot.activity.name} {entry.slot.label}"
    )
    badge, mark = WAITLIST_BADGES.get(entry.status, ("bad", "–"))
    label, link = entry.get_status_display(), reverse("portal:waitlist") + f"#entree-{entry.pk}"
    link_label = "Voir la liste d'attente"
    if entry.status == "waiting" and position:
        label = f"En attente : {ordinal(position, feminine=True)} position"
    elif entry.status == "offered":
        label = f"Place proposée jusqu'au {long_datetime(entry.offer_expires_at)}"
        link, link_label = reverse("portal:waitlist_offer", args=[entry.token]), "Répondre"
    elif entry.booking_id:
        link, link_label = reverse("portal:booking", args=[entry.booking_id]), "Voir la réservation"
    elif entry.status != "waiting":
        link = ""
    return Entry(
        entry.queued_at,
        "waitlist",
        title,
        [long_date(entry.date)],
        label,
        badge,
        mark,
        entry.reason,
        link=link,
        link_label=link_label,
    )


def timeline(change_requests, enrollments, booking_requests=(), waitlist=()):
    """Every request, the most recent first. `waitlist`: (entry, its position or None) for
    the family's waiting-list entries."""
    entries = [change_entry(r) for r in change_requests]
    entries += [enrollment_entry(e) for e in enrollments]
    entries += [booking_request_entry(r) for r in booking_requests]
    entries += [waitlist_entry(*row) for row in waitlist]
    return sorted(entries, key=lambda e: e.at, reverse=True)
