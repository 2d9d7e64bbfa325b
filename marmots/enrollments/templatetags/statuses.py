"""Badge classes of statuses, shared by the portal and the back-office (`{% load statuses %}`)."""

from django import template

register = template.Library()

STATUS_CLASSES = {
    "validated": "ok",
    "applied": "ok",
    "accepted": "ok",
    "pending": "wait",
    "refused": "bad",
    "cancelled": "muted",
}


@register.filter
def status_class(status):
    """Badge class of an enrollment, change request or document status."""
    return STATUS_CLASSES.get(status, "bad")
