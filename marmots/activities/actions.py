"""Writes to a structure's settings. Each one is audited with its before and after."""

import datetime

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
    old = None if created else type(instance).objects.get(pk=instance.pk)
    before = {} if created else _snapshot(old)
    with transaction.atomic():
        saved = form.save()
        verb = "create" if created else "update"
        record(
            actor, f"{saved._meta.model_name}.{verb}", saved, before=before, after=_snapshot(saved)
        )
        _refill_lines(old, saved)
    return saved


def _refill_lines(old, saved):
    """Places a settings change frees go to the waiting lists, in the caller's transaction:
    places added to a slot or an age group, days a closure no longer covers."""
    from marmots.bookings import waitlist

    name = saved._meta.model_name
    if name in ("timeslot", "agegroupcapacity"):
        waitlist.places_changed(getattr(saved, "slot_id", saved.pk))
    elif name == "closure" and old is not None:
        for first, last in reopened_spans(old, saved):
            waitlist.reopened(old.structure, first, last)


def reopened_spans(old, new):
    """The (first, last) day spans `old` closed that `new` (its edit) no longer closes."""
    apart = new.end_date < old.start_date or new.start_date > old.end_date
    if old.structure_id != new.structure_id or apart:
        return [(old.start_date, old.end_date)]
    day = datetime.timedelta(days=1)
    spans = [(old.start_date, new.start_date - day), (new.end_date + day, old.end_date)]
    return [(first, last) for first, last in spans if first <= last]


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
