"""The family's dashboard: one timeline of every request it sent (pure, no database access)."""

from dataclasses import dataclass, field
from datetime import datetime

from marmots.families.fields import CHILD_FIELD_LABELS, GUARDIAN_FIELD_LABELS

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


def timeline(change_requests, enrollments):
    """Every request, the most recent first."""
    entries = [change_entry(r) for r in change_requests]
    entries += [enrollment_entry(e) for e in enrollments]
    return sorted(entries, key=lambda e: e.at, reverse=True)
