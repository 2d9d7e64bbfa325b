"""Check-in events sent by a kiosk: each checked on the server, each in its own transaction.

An event carries the tablet's nonce (a replayed upload counts once: the unique constraint on
(kiosk, nonce) decides, even when two uploads race) and the tablet's own time: an event queued
offline on Monday evening and sent on Tuesday morning lands on Monday's session, at its time.
"""

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from marmots.activities.models import Activity
from marmots.core.audit import record
from marmots.families.models import Child

from . import devices, rules
from .attendance import effective_events
from .models import CheckinEvent

FUTURE_MARGIN = datetime.timedelta(minutes=5)
OLDEST = datetime.timedelta(days=7)

ACCEPTED, DUPLICATE, REFUSED = "accepted", "duplicate", "refused"

MESSAGES = {
    "autorisation_invalide": (
        "Autorisation invalide ou expirée : identifiez-vous de nouveau sur la tablette."
    ),
    "enfant_inconnu": "Enfant inconnu pour cette famille.",
    "seance_inconnue": "Cet enfant n'est pas attendu à cette activité ce jour-là.",
    "pointage_non_prevu": "Ce pointage n'est pas demandé pour cette activité.",
    "hors_horaires": "Heure en dehors des horaires de pointage de la séance.",
    "heure_future": "L'heure de la tablette est dans le futur : vérifiez son horloge.",
    "trop_ancien": "Pointage trop ancien (plus de 7 jours) : voyez avec l'équipe.",
}


def result(nonce, status, code=None, event_id=None):
    return {
        "nonce": nonce,
        "status": status,
        "code": code,
        "detail": MESSAGES.get(code),
        "event_id": event_id,
    }


@dataclass
class _Batch:
    """What the events of one upload share, loaded once: families, children, activities."""

    kiosk: object
    now: datetime.datetime
    grants: dict = field(default_factory=dict)  # {grant: devices.Grant or None}
    children: dict = field(default_factory=dict)  # {family id: {child id: child}}
    activities: dict = field(default_factory=dict)  # {activity id: activity or None}
    spans: dict = field(default_factory=dict)  # {activity id: (start, end)}
    expected: dict = field(default_factory=dict)  # {(family id, day): {(child id, activity id)}}

    def family(self, grant, day):
        """The family the grant names, if it covers `day` (each grant read once)."""
        if grant not in self.grants:
            self.grants[grant] = devices.read_grant(self.kiosk, grant)
        found = self.grants[grant]
        return found.family if found is not None and found.covers(day) else None

    def child(self, family, child_id):
        if family.pk not in self.children:
            self.children[family.pk] = {c.pk: c for c in Child.objects.for_family(family)}
        return self.children[family.pk].get(child_id)

    def activity(self, activity_id):
        if activity_id not in self.activities:
            activity = Activity.objects.filter(
                pk=activity_id, structure=self.kiosk.structure
            ).first()
            self.activities[activity_id] = activity
            if activity is not None:
                self.spans.update(devices.session_spans([activity.pk]))
        return self.activities[activity_id]

    def expects(self, family, child, activity, day):
        """Whether the child is expected in the activity that day; read once per family and
        day, siblings together."""
        key = (family.pk, day)
        if key not in self.expected:
            children = list(self.children[family.pk].values())
            self.expected[key] = set(devices.expected_sessions(self.kiosk.structure, children, day))
        return (child.pk, activity.pk) in self.expected[key]


def _refusal(batch, item):
    """The code of the first rule the event breaks, or None; with the context to write it."""
    at = item["device_time"]
    if at > batch.now + FUTURE_MARGIN:
        return "heure_future", None
    if at < batch.now - OLDEST:
        return "trop_ancien", None
    local = timezone.localtime(at)
    family = batch.family(item["grant"], local.date())
    if family is None:
        return "autorisation_invalide", None
    child = batch.child(family, item["child_id"])
    if child is None:
        return "enfant_inconnu", None
    activity = batch.activity(item["activity_id"])
    if activity is None or not batch.expects(family, child, activity, local.date()):
        return "seance_inconnue", None
    asked = activity.family_events
    if item["kind"] not in asked or activity.pk not in batch.spans:
        return "pointage_non_prevu", None
    start, end = batch.spans[activity.pk]
    if not rules.event_fits(item["kind"], local.time(), asked, start, end):
        return "hors_horaires", None
    return None, (family, child, activity, local.date())


def _done_by_family(kind, child, activity, day):
    """The family's event of this kind already counting for the session, if any: a second tap
    (at another door, or from a tablet's stale queue) is the same arrival, not a new one. A
    staff event does not count: the family's own tap is still wanted."""
    same = effective_events().filter(
        child=child, activity=activity, date=day, kind=kind, by_family=True
    )
    return same.values_list("pk", flat=True).first()


def _first(kiosk, nonce):
    return CheckinEvent.objects.filter(kiosk=kiosk, nonce=nonce).values_list("pk", flat=True)


def _write(batch, item, family, child, activity, day):
    """Record one event in its own transaction; the event id, or None if the nonce was taken
    meanwhile (by a concurrent upload of the same event)."""
    try:
        with transaction.atomic():
            event = CheckinEvent.objects.create(
                child=child,
                activity=activity,
                date=day,
                kind=item["kind"],
                at=item["device_time"],
                source=CheckinEvent.KIOSK,
                by_family=True,
                kiosk=batch.kiosk,
                nonce=item["nonce"],
                device_time=item["device_time"],
            )
            record(
                None,
                "checkin.recorded",
                event,
                family=family,
                after={"kiosk": batch.kiosk.pk, "kind": event.kind, "at": event.at.isoformat()},
            )
    except IntegrityError:
        if not _first(batch.kiosk, item["nonce"]).exists():
            raise
        return None
    return event.pk


def record_one(batch, item):
    nonce = item["nonce"]
    first = _first(batch.kiosk, nonce).first()
    if first is not None:
        return result(nonce, DUPLICATE, event_id=first)
    code, found = _refusal(batch, item)
    if code:
        return result(nonce, REFUSED, code)
    done = _done_by_family(item["kind"], *found[1:])
    if done is not None:
        return result(nonce, DUPLICATE, event_id=done)
    event_id = _write(batch, item, *found)
    if event_id is None:
        return result(nonce, DUPLICATE, event_id=_first(batch.kiosk, nonce).first())
    return result(nonce, ACCEPTED, event_id=event_id)


def record_events(kiosk, items, now):
    """Record the events a kiosk uploads (mappings with nonce, grant, child_id, activity_id,
    kind and an aware device_time); one result per event, in order."""
    batch = _Batch(kiosk, now)
    return [record_one(batch, item) for item in items]
