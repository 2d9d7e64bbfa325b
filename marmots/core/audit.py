"""Write audit entries from actions. Values are stored as JSON-friendly strings."""

from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict

from .models import AuditEntry


def snapshot(instance, fields=None):
    """The instance's editable values as JSON-friendly data (files as their stored names)."""
    data = model_to_dict(instance, fields=fields)
    return {k: _plain(v) for k, v in data.items()}


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def record(actor, action, instance, *, family=None, family_id=None, before=None, after=None):
    """One audit entry; `family_id` spares loading the family when only its id is at hand."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=instance._meta.model_name,
        object_id=str(instance.pk),
        family_id=family.pk if family is not None else family_id,
        before=before or {},
        after=after or {},
    )
