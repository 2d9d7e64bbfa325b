"""The family's dashboard timeline for the API, worded exactly as the portal's dashboard."""

from marmots.enrollments.models import Enrollment
from marmots.families.models import ChangeRequest
from marmots.portal.dashboard import change_entry, enrollment_entry


def _item(kind, obj, entry):
    return {
        "kind": kind,
        "id": obj.pk,
        "title": entry.title,
        "details": entry.details,
        "created_at": entry.at,
        "status": obj.status,
        "status_label": entry.status_label,
        "mark": entry.mark,
        "note": entry.note,
        "pending": entry.waiting,
        "decided_at": obj.decided_at,
    }


def family_requests(family):
    """Enrollment requests and change requests of `family` as plain dicts, newest first."""
    enrollments = Enrollment.objects.for_family(family).select_related("child", "activity")
    changes = ChangeRequest.objects.for_family(family).select_related("child", "guardian")
    items = [_item("enrollment", e, enrollment_entry(e)) for e in enrollments]
    items += [_item("change_request", c, change_entry(c)) for c in changes]
    return sorted(items, key=lambda item: item["created_at"], reverse=True)
