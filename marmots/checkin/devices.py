"""Kiosks and the keys families show them: pairing, device tokens, PINs, QR cards, grants.

A kiosk is created by a manager with a one-time pairing code (valid 24 h); the tablet trades
the code for a device token (`kiosk_…`). Only digests of codes and tokens are stored. A revoked
kiosk is revoked for good: the manager creates a new one.

A guardian identifies on a kiosk with the family PIN (a keyed digest, unique over the instance)
or the family's QR card. Five wrong attempts within ten minutes lock the kiosk's keypad for five
minutes (PIN and card alike). The kiosk then gets a grant: a signed (kiosk, family, first day,
last day) that names the only family whose children it may show and check in or out on those
days: today and the next HORIZON_DAYS, so that a tablet offline in the morning still knows the
families it saw on the previous days.
"""

import datetime
import re
import secrets
from dataclasses import dataclass
from itertools import pairwise

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from marmots.accounts.models import TokenBucket
from marmots.activities.models import Activity, TimeSlot
from marmots.bookings import context
from marmots.bookings.models import Booking
from marmots.core.access import family_of, is_manager
from marmots.core.audit import record
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child, Family

from . import rules
from .attendance import effective_events
from .models import FamilyKey, Kiosk, digest

# Pairing codes: no 0/O, 1/I/L, so that a code read aloud or typed is never ambiguous.
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_LENGTH = 8
PAIRING_LIFETIME = datetime.timedelta(hours=24)
TOKEN_PREFIX = "kiosk_"  # noqa: S105 (a prefix, not a secret)
LAST_SEEN_PRECISION = datetime.timedelta(minutes=1)

CARD_PREFIX = "MARMOTS-CARTE:"
PIN_SALT = "marmots.checkin.pin"
GRANT_SALT = "marmots.checkin.grant"
HORIZON_DAYS = 7  # a grant and the family view cover today and the next 7 days

# The keypad lock: 5 wrong attempts within 10 minutes lock it for 5 minutes. One row per kiosk
# (a TokenBucket row used as a counter: tokens = wrong attempts, updated = when the count or the
# lock started), locked for the whole attempt so that simultaneous attempts are counted in turn.
KEYPAD_ACTION = "kiosk-keypad"
FAILURES, FAILURE_PERIOD = 5, datetime.timedelta(minutes=10)
LOCK_PERIOD = datetime.timedelta(minutes=5)

PIN_FORMAT = "Le code doit comporter exactement 6 chiffres."
PIN_REPEATED = "Choisissez un code moins facile à deviner : pas six fois le même chiffre."
PIN_RUN = "Choisissez un code moins facile à deviner : pas une suite comme 123456 ou 654321."
PIN_TAKEN = "Ce code n'est pas disponible : choisissez-en un autre."
KIOSK_REVOKED = "Cette tablette est révoquée : créez-en une nouvelle."
KIOSK_NAME_TAKEN = "Une tablette de cette structure porte déjà ce nom."
WRONG_KEY = "Code incorrect : vérifiez-le et réessayez."
LOCKED = "Trop d'essais incorrects : la saisie est bloquée pendant 5 minutes."


@dataclass
class Refusal(Exception):
    """Why identification failed: an HTTP status, a code for programs, a French message."""

    status: int
    code: str
    detail: str


# Kiosks


def new_code():
    raw = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code):
    """The 8 characters of a code as typed ("abcd 2345", "ABCD-2345"...), or None."""
    raw = re.sub(r"[\s-]", "", code or "").upper()
    if len(raw) != PAIRING_LENGTH or any(c not in PAIRING_ALPHABET for c in raw):
        return None
    return raw


def _code_digest(code):
    return digest(normalise_code(code))


def _may_manage(actor, structure):
    if not is_manager(actor, structure):
        raise PermissionDenied("Seul le gestionnaire de la structure gère ses tablettes.")


def create_kiosk(actor, structure, name):
    """A new kiosk of `structure` and its first pairing code; returns (kiosk, code)."""
    _may_manage(actor, structure)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError("Donnez à la tablette un nom de 1 à 80 caractères.")
    code = new_code()
    try:
        with transaction.atomic():
            kiosk = Kiosk.objects.create(
                structure=structure,
                name=name,
                created_by=actor,
                pairing_code_hash=_code_digest(code),
                pairing_expires_at=timezone.now() + PAIRING_LIFETIME,
            )
            record(actor, "kiosk.created", kiosk, after={"name": name})
    except IntegrityError:
        raise ValidationError(KIOSK_NAME_TAKEN) from None
    return kiosk, code


def new_pairing_code(actor, kiosk):
    """A fresh pairing code for `kiosk` (the previous one stops working), valid 24 hours."""
    _may_manage(actor, kiosk.structure)
    code = new_code()
    expires_at = timezone.now() + PAIRING_LIFETIME
    fields = {"pairing_code_hash": _code_digest(code), "pairing_expires_at": expires_at}
    with transaction.atomic():
        if not Kiosk.objects.filter(pk=kiosk.pk, revoked_at__isnull=True).update(**fields):
            raise ValidationError(KIOSK_REVOKED)
        record(actor, "kiosk.pairing_code", kiosk, after={"expires_at": expires_at.isoformat()})
    for name, value in fields.items():
        setattr(kiosk, name, value)
    return code


def pair(code, now):
    """Trade a pairing code for a device token: (kiosk, token), or None when the code is
    unknown, used, expired or the kiosk revoked. A kiosk paired again gets a new token and
    the old one stops working."""
    raw = normalise_code(code)
    if raw is None:
        return None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        valid = Kiosk.objects.filter(
            pairing_code_hash=digest(raw), revoked_at__isnull=True, pairing_expires_at__gt=now
        )
        kiosk = valid.first()
        # Updating only while the code is still valid makes it single-use, even in a race.
        if kiosk is None or not valid.filter(pk=kiosk.pk).update(
            token_hash=digest(token),
            pairing_code_hash=None,
            pairing_expires_at=None,
            paired_at=now,
            last_seen_at=now,
        ):
            return None
        kiosk.refresh_from_db()
        record(None, "kiosk.paired", kiosk)
    return kiosk, token


def revoke(actor, kiosk):
    """Revoke `kiosk` for good: its token and any pairing code stop working at once."""
    _may_manage(actor, kiosk.structure)
    with transaction.atomic():
        updated = Kiosk.objects.filter(pk=kiosk.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(),
            token_hash=None,
            pairing_code_hash=None,
            pairing_expires_at=None,
        )
        if updated:
            record(actor, "kiosk.revoked", kiosk)
    kiosk.refresh_from_db()
    return bool(updated)


def kiosk_for_token(token):
    """The active kiosk holding this device token, or None (its last_seen_at kept to the
    minute)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    kiosk = (
        Kiosk.objects.select_related("structure")
        .filter(token_hash=digest(token), revoked_at__isnull=True)
        .first()
    )
    if kiosk is None:
        return None
    now = timezone.now()
    if kiosk.last_seen_at is None or now - kiosk.last_seen_at > LAST_SEEN_PRECISION:
        Kiosk.objects.filter(pk=kiosk.pk).update(last_seen_at=now)
        kiosk.last_seen_at = now
    return kiosk


# Family keys


def pin_digest(pin):
    return salted_hmac(PIN_SALT, pin, algorithm="sha256").hexdigest()


def _is_run(pin, step):
    return all((int(b) - int(a)) % 10 == step % 10 for a, b in pairwise(pin))


def pin_error(pin):
    """Why `pin` cannot be a family PIN (French), or None."""
    if not isinstance(pin, str) or not re.fullmatch(r"[0-9]{6}", pin):
        return PIN_FORMAT
    if len(set(pin)) == 1:
        return PIN_REPEATED
    if _is_run(pin, 1) or _is_run(pin, -1):
        return PIN_RUN
    return None


def _may_change_key(actor, family):
    mine = family_of(actor)
    if mine is not None and mine.pk == family.pk:
        return
    if any(is_manager(actor, s) for s in family.structures.all()):
        return
    raise PermissionDenied("Vous ne pouvez pas changer le code de cette famille.")


def key_for(family):
    """The family's key, created with a fresh card secret the first time."""
    key, _ = FamilyKey.objects.get_or_create(
        family=family, defaults={"card_secret": secrets.token_urlsafe(24)}
    )
    return key


def set_pin(actor, family, pin):
    """Set the family PIN; returns a French error message, or None when it is set."""
    _may_change_key(actor, family)
    error = pin_error(pin)
    if error:
        return error
    with transaction.atomic():
        key = key_for(family)
        try:
            with transaction.atomic():
                FamilyKey.objects.filter(pk=key.pk).update(
                    pin_digest=pin_digest(pin), pin_changed_at=timezone.now()
                )
        except IntegrityError:
            return PIN_TAKEN
        record(actor, "family_key.pin_set", key, family=family)
    return None


def renew_card(actor, family):
    """A new QR card secret: the previous card stops working."""
    _may_change_key(actor, family)
    with transaction.atomic():
        key = key_for(family)
        key.card_secret = secrets.token_urlsafe(24)
        key.card_renewed_at = timezone.now()
        key.save(update_fields=["card_secret", "card_renewed_at"])
        record(actor, "family_key.card_renewed", key, family=family)
    return key


def card_content(key):
    """What the family's QR card encodes."""
    return CARD_PREFIX + key.card_secret


# Identification


def _keypad_row(kiosk):
    return TokenBucket.objects.filter(value=f"{KEYPAD_ACTION}:{kiosk.pk}")


def _is_locked(row, now):
    return row.tokens >= FAILURES and now < row.updated + LOCK_PERIOD


def locked(kiosk):
    """True while the kiosk's keypad is locked after too many wrong attempts."""
    row = _keypad_row(kiosk).first()
    return row is not None and _is_locked(row, timezone.now())


def _keypad(kiosk, now):
    """The kiosk's attempt counter, locked until the end of the transaction and brought up to
    date (a finished lock or count window starts afresh)."""
    TokenBucket.objects.get_or_create(
        value=f"{KEYPAD_ACTION}:{kiosk.pk}", defaults={"tokens": 0, "updated": now}
    )
    row = _keypad_row(kiosk).select_for_update().get()
    if not _is_locked(row, now) and (row.tokens >= FAILURES or now - row.updated > FAILURE_PERIOD):
        row.tokens, row.updated = 0, now
    return row


def _key_for(kiosk, pin, card):
    keys = FamilyKey.objects.select_related("family").filter(family__structures=kiosk.structure)
    if pin is not None:
        return keys.filter(pin_digest=pin_digest(pin)).first() if pin else None
    if card and card.startswith(CARD_PREFIX) and len(card) <= 200:
        return keys.filter(card_secret=card.removeprefix(CARD_PREFIX)).first()
    return None


def identify(kiosk, pin=None, card=None):
    """The family whose PIN or card this is, among the families of the kiosk's structure.

    Raises Refusal: 429 "saisie_bloquee" while the keypad is locked (even for the right PIN),
    403 "code_incorrect" for a wrong PIN or card. Each attempt is counted under the kiosk's
    row lock, so simultaneous guesses cannot slip past the fifth; a lock is audited."""
    now = timezone.now()
    with transaction.atomic():
        row = _keypad(kiosk, now)
        if _is_locked(row, now):
            refusal = Refusal(429, "saisie_bloquee", LOCKED)
        else:
            key = _key_for(kiosk, pin, card)
            if key is not None:
                return key.family
            row.tokens += 1
            if row.tokens == 1 or row.tokens >= FAILURES:
                row.updated = now  # the count, or the lock, starts now
            if row.tokens >= FAILURES:
                record(None, "kiosk.keypad_locked", kiosk)
            refusal = Refusal(403, "code_incorrect", WRONG_KEY)
        row.save(update_fields=["tokens", "updated"])
    raise refusal


# Grants


def grant_for(kiosk, family, first, last=None):
    """A signed permission for `kiosk` to act for `family` from `first` to `last` (by default
    the HORIZON_DAYS days after `first`), and for nothing else."""
    last = last or first + datetime.timedelta(days=HORIZON_DAYS)
    payload = {"k": kiosk.pk, "f": family.pk, "d": first.isoformat(), "u": last.isoformat()}
    return signing.dumps(payload, salt=GRANT_SALT)


@dataclass(frozen=True)
class Grant:
    """A grant read back: the family it names on this kiosk, its first and last day."""

    text: str
    family: Family
    first: datetime.date
    last: datetime.date

    def covers(self, day):
        return self.first <= day <= self.last


def _grant_days(payload):
    """(first, last) of a grant's payload, or None (a first tablet's grant has one day)."""
    try:
        first = datetime.date.fromisoformat(payload["d"])
        last = datetime.date.fromisoformat(payload.get("u", payload["d"]))
    except (KeyError, TypeError, ValueError):
        return None
    if not first <= last <= first + datetime.timedelta(days=HORIZON_DAYS):
        return None
    return first, last


def read_grant(kiosk, grant):
    """The Grant `grant` gives `kiosk`, or None when it is forged, of another kiosk or names a
    family outside the kiosk's structure (one query)."""
    if not isinstance(grant, str) or len(grant) > 500:
        return None
    try:
        payload = signing.loads(grant, salt=GRANT_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("k") != kiosk.pk:
        return None
    days, family_id = _grant_days(payload), payload.get("f")
    if days is None or not isinstance(family_id, int):
        return None
    family = Family.objects.filter(pk=family_id, structures=kiosk.structure).first()
    return None if family is None else Grant(grant, family, *days)


def family_from_grant(kiosk, grant, day):
    """The family a grant names, or None when it is forged, of another kiosk or does not cover
    `day`."""
    found = read_grant(kiosk, grant)
    return found.family if found is not None and found.covers(day) else None


# What the kiosk shows a family


def hm(moment):
    return f"{moment:%H:%M}"


def booked_slots_text(spans):
    """ "7h30-8h30" for 7:30-8:00 + 8:00-8:30: contiguous slots merged, others comma-separated."""
    return ", ".join(rules.fr_span(s, e) for s, e in rules.merge_spans(spans))


def kiosk_activities(structure):
    """Activities of the structure whose sessions families check in or out on the kiosk."""
    return Activity.objects.filter(structure=structure).exclude(kiosk_events=Activity.KIOSK_NONE)


def session_spans(activity_ids):
    """{activity id: (first slot start, last slot end)}."""
    spans = {}
    for activity_id, start, end in TimeSlot.objects.filter(
        activity_id__in=activity_ids
    ).values_list("activity_id", "start_time", "end_time"):
        first, last = spans.get(activity_id, (start, end))
        spans[activity_id] = (min(first, start), max(last, end))
    return spans


def days_between(first, last):
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def expected_between(structure, children, first, last):
    """{day: {(child id, activity id): (activity, booked slot spans)}} for each day from
    `first` to `last`: the children expected that day at the kiosk, booked, or with a validated
    enrollment on an open day (no slots). Three queries at most, whatever the span."""
    expected = {day: {} for day in days_between(first, last)}
    bookings = (
        Booking.objects.filter(
            child__in=children,
            date__range=(first, last),
            status=Booking.BOOKED,
            slot__activity__in=kiosk_activities(structure),
        )
        .select_related("slot__activity")
        .order_by()
    )
    for booking in bookings:
        entry = expected[booking.date].setdefault(
            (booking.child_id, booking.slot.activity_id), (booking.slot.activity, [])
        )
        entry[1].append((booking.slot.start_time, booking.slot.end_time))
    enrollments = list(
        Enrollment.objects.filter(
            child__in=children,
            status=Enrollment.VALIDATED,
            start_date__lte=last,
            end_date__gte=first,
            activity__in=kiosk_activities(structure).filter(is_active=True),
        ).select_related("activity")
    )
    if enrollments:
        calendar = context.load(structure, first, last)
        for day, sessions in expected.items():
            for e in enrollments:
                key = (e.child_id, e.activity_id)
                if e.start_date <= day <= e.end_date and key not in sessions:
                    if calendar.closed_reason(e.activity, day) is None:
                        sessions[key] = (e.activity, [])
    return expected


def expected_sessions(structure, children, day):
    """{(child id, activity id): (activity, booked slot spans)} for the children expected on
    `day` at the kiosk (see expected_between)."""
    return expected_between(structure, children, day, day)[day]


def done_between(children, first, last):
    """{day: {(child id, activity id, kind): local time}} of the effective events from `first`
    to `last` (the first arrival, the last departure of each session)."""
    done = {}
    rows = effective_events().filter(child__in=children, date__range=(first, last))
    for day, child_id, activity_id, kind, at in rows.order_by("at", "pk").values_list(
        "date", "child_id", "activity_id", "kind", "at"
    ):
        of_day, key = done.setdefault(day, {}), (child_id, activity_id, kind)
        if kind == rules.DEPARTURE or key not in of_day:
            of_day[key] = timezone.localtime(at)
    return done


def _session(activity, booked_spans, span, done, child_id):
    asked = activity.family_events
    start, end = span
    windows = rules.windows(asked, start, end)
    return {
        "activity_id": activity.pk,
        "activity": activity.name,
        "booked": bool(booked_spans),
        "slots": booked_slots_text(booked_spans),
        "start": hm(start),
        "end": hm(end),
        "windows": {k: {"from": hm(w.start), "until": hm(w.end)} for k, w in windows.items()},
        "done": {
            kind: hm(done[(child_id, activity.pk, kind)])
            if (child_id, activity.pk, kind) in done
            else None
            for kind in (rules.ARRIVAL, rules.DEPARTURE)
        },
    }


def _children_of_day(children, expected, spans, done):
    """The children expected one day, each with its sessions (by start time)."""
    result = []
    for child in children:
        sessions = [
            _session(activity, booked, spans[activity.pk], done, child.pk)
            for (child_id, _), (activity, booked) in expected.items()
            if child_id == child.pk and activity.pk in spans
        ]
        if sessions:
            sessions.sort(key=lambda s: (s["start"], s["activity"]))
            result.append({"id": child.pk, "first_name": child.first_name, "sessions": sessions})
    return result


def family_view(kiosk, family, now, grant=None):
    """What the kiosk shows after identification: the family's children expected at the
    kiosk's structure today and on each following day up to the grant's last day, with their
    sessions, windows and what is already done (a fixed number of queries, whatever the days).

    Without `grant` (identification), a new grant from today to HORIZON_DAYS later; with one
    (read back by the kiosk), that grant and its days only. "date" and "children" are today's,
    as "days" starts with them."""
    today = timezone.localdate(now)
    if grant is None:
        text, last = grant_for(kiosk, family, today), today + datetime.timedelta(HORIZON_DAYS)
    else:
        text, last = grant.text, grant.last
    children = list(Child.objects.for_family(family))
    expected = expected_between(kiosk.structure, children, today, last)
    activity_ids = {activity_id for day in expected.values() for _, activity_id in day}
    spans = session_spans(activity_ids)
    done = done_between(children, today, last) if activity_ids else {}
    days = [
        {
            "date": day.isoformat(),
            "children": _children_of_day(children, sessions, spans, done.get(day, {})),
        }
        for day, sessions in expected.items()
    ]
    return {
        "family": {"id": family.pk, "name": family.name},
        "grant": text,
        "date": today.isoformat(),
        "children": days[0]["children"],
        "days": days,
    }
