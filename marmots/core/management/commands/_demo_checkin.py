"""The demo's kiosk side: the Martin family's PIN, the entrance tablet and this month's
attendance of Léa and Tom.

- The Martin family's PIN is DEMO_PIN (set once: a PIN changed in the portal is left alone).
- "Tablette entrée" is created unpaired; each run gives it a fresh pairing code as long as it is
  not paired, so the printed code always works.
- This month's past school days: the bookings the weekly templates ask for (written directly,
  as `_demo_bookings` does), a register mark for each session and the family's kiosk events,
  except Léa's first two sessions with the missed check-in rule: two missed check-ins, one
  before the threshold (3), so the portal warns.
Running it again adds nothing but a new pairing code.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from marmots.bookings import context
from marmots.bookings.models import Booking
from marmots.checkin import devices
from marmots.checkin.models import CheckinEvent, Kiosk, RegisterMark
from marmots.families.models import Family

from ._demo_bookings import _book

DEMO_PIN = "246813"
KIOSK_NAME = "Tablette entrée"
MISSED_FOR_LEA = 2


def load_checkin(structure, manager, staff, guardian_user):
    """Returns the kiosk and its fresh pairing code (None when already paired or revoked)."""
    family = Family.objects.filter(guardians__user=guardian_user).first()
    kiosk, code = _kiosk(structure, manager)
    if family is None:
        return kiosk, code
    if devices.key_for(family).pin_digest is None:
        devices.set_pin(manager, family, DEMO_PIN)
    today = timezone.localdate()
    first, yesterday = today.replace(day=1), today - datetime.timedelta(days=1)
    if yesterday >= first:
        _past_bookings(structure, family, first, yesterday, guardian_user)
        _attendance(family, kiosk, staff, first, yesterday)
    return kiosk, code


def _kiosk(structure, manager):
    kiosk = Kiosk.objects.filter(structure=structure, name=KIOSK_NAME).first()
    if kiosk is None:
        return devices.create_kiosk(manager, structure, KIOSK_NAME)
    if kiosk.paired_at is None and kiosk.revoked_at is None:
        return kiosk, devices.new_pairing_code(manager, kiosk)
    return kiosk, None


def _past_bookings(structure, family, first, last, user):
    calendar = context.load(structure, first, last)
    for child in family.children.all():
        slots = {entry.slot for entry in child.template_entries.select_related("slot__activity")}
        for slot in slots:
            _book(calendar, child, slot, first, last, user)


def _attendance(family, kiosk, staff, first, last):
    bookings = (
        Booking.objects.filter(
            child__family=family, date__range=(first, last), status=Booking.BOOKED
        )
        .select_related("child", "slot__activity")
        .order_by("date", "slot__start_time")
    )
    sessions = {}
    for booking in bookings:
        key = (booking.child, booking.date, booking.slot.activity)
        sessions.setdefault(key, []).append(booking.slot)
    missed = _missed_sessions(sessions)
    for (child, day, activity), slots in sessions.items():
        if not activity.family_events:
            continue
        RegisterMark.objects.get_or_create(
            child=child, activity=activity, date=day, defaults={"present": True, "marked_by": staff}
        )
        if (child, day, activity) not in missed:
            for kind in sorted(activity.family_events):
                _event(kiosk, child, activity, day, kind, slots)


def _missed_sessions(sessions):
    """Léa's first sessions of the month where the missed check-in rule applies."""
    lea = [key for key in sessions if key[0].first_name == "Léa" and key[2].missed_checkin_rule]
    return set(lea[:MISSED_FOR_LEA])


def _event(kiosk, child, activity, day, kind, slots):
    """The family's kiosk event, a few minutes after the first slot starts (arrival) or before
    the last one ends (departure); the nonce makes it idempotent."""
    minutes = datetime.timedelta(minutes=5 + day.day % 15)
    if kind == CheckinEvent.ARRIVAL:
        moment = datetime.datetime.combine(day, min(s.start_time for s in slots)) + minutes
    else:
        moment = datetime.datetime.combine(day, max(s.end_time for s in slots)) - minutes
    moment = timezone.make_aware(moment)
    CheckinEvent.objects.get_or_create(
        kiosk=kiosk,
        nonce=f"demo-{child.pk}-{activity.pk}-{day:%Y%m%d}-{kind}",
        defaults={
            "child": child,
            "activity": activity,
            "date": day,
            "kind": kind,
            "at": moment,
            "device_time": moment,
            "source": CheckinEvent.KIOSK,
            "by_family": True,
        },
    )


def kiosk_line(kiosk, code):
    """What load_demo prints about the tablet."""
    if code:
        site = settings.SITE_URL.rstrip("/")
        return f"Tablette : ouvrez {site}/kiosque/ et saisissez le code {code} (valable 24 h)"
    state = "révoquée" if kiosk.revoked_at else "déjà appairée"
    return f"Tablette « {kiosk.name} » {state} : gérez-la dans Gestion > Pointage."
