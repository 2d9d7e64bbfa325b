"""Writes to a structure's settings. Each one is audited with its before and after."""

from django.db import transaction

from marmots.core.audit import record, snapshot


def _snapshot(instance):
    return snapshot(instance, fields=[f.name for f in instance._meta.get_fields() if f.concrete])


def save_settings_form(form, *, actor):
    """Save a valid settings ModelForm (period, activity, slot...) and audit the change.

    Returns the saved instance. The audit action reads `<model>.create` or `<model>.update`.
    """
    instance = form.instance
    created = instance.pk is None
    before = {} if created else _snapshot(type(instance).objects.get(pk=instance.pk))
    with transaction.atomic():
        saved = form.save()
        verb = "create" if created else "update"
        record(
            actor, f"{saved._meta.model_name}.{verb}", saved, before=before, after=_snapshot(saved)
        )
        if saved._meta.model_name in ("timeslot", "agegroupcapacity"):
            from marmots.bookings import waitlist  # places added go to the waiting lists

            waitlist.places_changed(getattr(saved, "slot_id", saved.pk))
    return saved


def unpublish_document(document, *, actor):
    """Take a published document off the public page (the file is kept)."""
    with transaction.atomic():
        document.is_public = False
        document.save(update_fields=["is_public"])
        record(
            actor,
            "publisheddocument.unpublish",
            document,
            before={"is_public": True},
            after={"is_public": False},
        )
    return document


def delete_closure(closure, *, actor):
    """Remove a closure (the structure opens again on those days): their free places go to the
    waiting lists in the same transaction."""
    from marmots.bookings import waitlist

    with transaction.atomic():
        before = _snapshot(closure)
        record(actor, "closure.delete", closure, before=before)
        structure, first, last = closure.structure, closure.start_date, closure.end_date
        closure.delete()
        waitlist.reopened(structure, first, last)
