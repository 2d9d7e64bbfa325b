"""Kiosks, the family keys they accept, check-in events and the staff register.

Attendance is never stored as a summary: it is read from the events (append-only; a staff
correction is a new event that replaces an older one) and the register marks.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q


def digest(secret):
    """SHA-256 of a device token or pairing code: only digests are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Kiosk(models.Model):
    """A tablet at a centre's door. Its token may record check-ins and nothing else."""

    structure = models.ForeignKey(
        "activities.Structure", models.CASCADE, related_name="kiosks", verbose_name="structure"
    )
    name = models.CharField("nom", max_length=80)
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)
    pairing_code_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)
    pairing_expires_at = models.DateTimeField(null=True, blank=True)
    paired_at = models.DateTimeField("appairée le", null=True, blank=True)
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)
    last_seen_at = models.DateTimeField("dernière connexion", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tablette de pointage"
        ordering = ["structure", "name"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "name"], name="kiosk_name_unique")
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.revoked_at is None and self.token_hash is not None


class FamilyKey(models.Model):
    """How a family identifies on the kiosks: a PIN it chooses, and the secret of its QR card.

    The PIN is stored as a keyed digest (HMAC with the server's secret), unique over the
    instance, so that a PIN alone finds its family without storing it in clear.
    """

    family = models.OneToOneField(
        "families.Family", models.CASCADE, related_name="kiosk_key", verbose_name="famille"
    )
    pin_digest = models.CharField(max_length=64, unique=True, null=True, editable=False)
    pin_changed_at = models.DateTimeField(null=True, blank=True)
    card_secret = models.CharField(max_length=64, unique=True, editable=False)
    card_renewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "code de pointage"


class CheckinEvent(models.Model):
    """An arrival or a departure of a child for one session (child, day, activity).

    Kiosk events carry the tablet's nonce (a retried upload counts once) and the tablet's own
    time (`at`) beside the server's receive time. Staff never edit an event: a correction is a
    new event that `replaces` the old one (once), with a reason; `voided` withdraws it.
    """

    ARRIVAL = "arrival"
    DEPARTURE = "departure"
    KINDS = [(ARRIVAL, "arrivée"), (DEPARTURE, "départ")]
    KIOSK = "kiosk"
    STAFF = "staff"
    SOURCES = [(KIOSK, "tablette (famille)"), (STAFF, "équipe")]

    child = models.ForeignKey("families.Child", models.PROTECT, related_name="checkin_events")
    activity = models.ForeignKey(
        "activities.Activity", models.PROTECT, related_name="checkin_events"
    )
    date = models.DateField("jour")
    kind = models.CharField("type", max_length=10, choices=KINDS)
    at = models.DateTimeField("heure")
    source = models.CharField("origine", max_length=6, choices=SOURCES)
    by_family = models.BooleanField(
        "pointé par la famille",
        help_text="Vrai pour un pointage de la tablette et pour ses corrections non annulées.",
    )
    kiosk = models.ForeignKey(Kiosk, models.PROTECT, null=True, blank=True, related_name="events")
    nonce = models.CharField(max_length=64, null=True, blank=True)
    device_time = models.DateTimeField("heure de la tablette", null=True, blank=True)
    received_at = models.DateTimeField("reçu le", auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replaces = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    voided = models.BooleanField("annulé", default=False)
    reason = models.CharField("motif", max_length=300, blank=True)

    class Meta:
        verbose_name = "pointage"
        ordering = ["date", "at", "pk"]
        indexes = [
            models.Index(fields=["date", "activity"], name="checkin_day_activity"),
            models.Index(fields=["child", "date"], name="checkin_child_day"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kiosk", "nonce"],
                condition=Q(nonce__isnull=False),
                name="checkin_nonce_unique",
            ),
            models.CheckConstraint(
                condition=~Q(source="kiosk") | Q(kiosk__isnull=False, nonce__isnull=False),
                name="checkin_kiosk_has_nonce",
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(reason=""),
                name="checkin_correction_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.child_id} {self.date} {self.at:%H:%M}"


class RegisterMark(models.Model):
    """Staff's mark in the register: the child is (or is not) present in this session."""

    child = models.ForeignKey("families.Child", models.PROTECT, related_name="register_marks")
    activity = models.ForeignKey(
        "activities.Activity", models.PROTECT, related_name="register_marks"
    )
    date = models.DateField("jour")
    present = models.BooleanField("présent")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "présence (registre)"
        indexes = [models.Index(fields=["date", "activity"], name="register_day_activity")]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity", "date"], name="register_mark_unique"
            )
        ]
