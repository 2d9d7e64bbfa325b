"""Bookings: a child in a time slot on a day, under a validated enrollment.

Places are never stored as a counter: they are counted from `Booking` rows inside the
transaction that books, after locking the `SlotDay` row (see `capacity.py`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marmots.activities.models import Period
from marmots.families.models import ChildScopedQuerySet


class DeadlinePolicy(models.Model):
    """Booking and cancellation deadline for one kind of period: N working days before, at HH:MM."""

    structure = models.ForeignKey(
        "activities.Structure", models.CASCADE, related_name="deadline_policies"
    )
    period_kind = models.CharField("type de période", max_length=12, choices=Period.KINDS)
    days_before = models.PositiveSmallIntegerField("jours ouvrés avant")
    at_time = models.TimeField("à")
    skip_public_holidays = models.BooleanField(
        "ne pas compter les jours fériés",
        default=False,
        help_text="Sinon, les jours fériés du lundi au vendredi comptent comme jours ouvrés.",
    )

    class Meta:
        verbose_name = "délai de réservation"
        constraints = [
            models.UniqueConstraint(fields=["structure", "period_kind"], name="deadline_unique"),
            models.CheckConstraint(condition=Q(days_before__gte=1), name="deadline_days_min"),
        ]

    def __str__(self):
        return (
            f"{self.get_period_kind_display()} : {self.days_before} jours ouvrés avant, "
            f"à {self.at_time:%H}h{self.at_time:%M}"
        )


class SlotDay(models.Model):
    """A slot on one day: the row locked while its places are counted (created on demand)."""

    slot = models.ForeignKey("activities.TimeSlot", models.CASCADE, related_name="days")
    date = models.DateField()
    capacity = models.PositiveIntegerField(
        "places ce jour", null=True, blank=True, help_text="Vide : les places de la tranche."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slot", "date"], name="slotday_unique")]


class Booking(models.Model):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    LATE_CANCELLED = "late"
    ABSENT = "absent"
    STATUSES = [
        (BOOKED, "Réservé"),
        (CANCELLED, "Annulé sans frais"),
        (LATE_CANCELLED, "Annulé hors délai"),
        (ABSENT, "Absence pour maladie"),
    ]

    child = models.ForeignKey("families.Child", models.PROTECT, related_name="bookings")
    slot = models.ForeignKey("activities.TimeSlot", models.PROTECT, related_name="bookings")
    date = models.DateField("jour")
    enrollment = models.ForeignKey(
        "enrollments.Enrollment", models.PROTECT, related_name="bookings"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=BOOKED)
    with_apc = models.BooleanField("récupération APC", default=False)

    booked_at = models.DateTimeField(auto_now_add=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    booked_on_behalf = models.BooleanField("réservé par la structure", default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_on_behalf = models.BooleanField("annulé par la structure", default=False)

    certificate = models.FileField("certificat médical", upload_to="certificates/", blank=True)
    certificate_uploaded_at = models.DateTimeField(null=True, blank=True)
    excused = models.BooleanField("excusé", default=False)
    excuse_reason = models.CharField("motif", max_length=300, blank=True)
    excused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    excused_at = models.DateTimeField(null=True, blank=True)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "réservation"
        ordering = ["date", "slot__start_time"]
        indexes = [models.Index(fields=["slot", "date", "status"], name="booking_slot_day")]
        constraints = [
            # One live booking per child, slot and day; cancelled-in-time rows are history.
            models.UniqueConstraint(
                fields=["child", "slot", "date"],
                condition=~Q(status="cancelled"),
                name="booking_live_unique",
            ),
            models.CheckConstraint(
                condition=Q(excused=False) | ~Q(excuse_reason=""), name="booking_excuse_reason"
            ),
            models.CheckConstraint(
                condition=Q(excused=False) | Q(status__in=["late", "absent"]),
                name="booking_excused_status",
            ),
        ]

    def __str__(self):
        return f"{self.child} – {self.slot} – {self.date:%d/%m/%Y}"

    @property
    def billable(self):
        """Billed as booked: kept, no-show, late cancellation or absence not excused."""
        return self.status == self.BOOKED or (
            self.status in (self.LATE_CANCELLED, self.ABSENT) and not self.excused
        )


class BookingRequest(models.Model):
    """A family's request to book or cancel, where the activity lets families only ask."""

    ADD = "add"
    CANCEL = "cancel"
    ACTIONS = [(ADD, "Réserver"), (CANCEL, "Annuler")]
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    STATUSES = [
        (PENDING, "En attente"),
        (ACCEPTED, "Acceptée"),
        (REFUSED, "Refusée"),
        (WITHDRAWN, "Retirée"),
    ]

    child = models.ForeignKey("families.Child", models.CASCADE, related_name="booking_requests")
    slot = models.ForeignKey("activities.TimeSlot", models.CASCADE, related_name="requests")
    date = models.DateField("jour")
    action = models.CharField(max_length=6, choices=ACTIONS)
    with_apc = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    reason = models.CharField("motif", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "demande de réservation"
        ordering = ["date", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "slot", "date"],
                condition=Q(status="pending"),
                name="bookingrequest_pending_unique",
            ),
        ]


class TemplateEntry(models.Model):
    """One line of a child's weekly template ("semaine type"): a slot on a weekday."""

    EVERY = "all"
    EVEN = "even"
    ODD = "odd"
    WEEKS = [(EVERY, "Toutes les semaines"), (EVEN, "Semaines paires"), (ODD, "Semaines impaires")]

    child = models.ForeignKey("families.Child", models.CASCADE, related_name="template_entries")
    slot = models.ForeignKey("activities.TimeSlot", models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField("jour (0 = lundi)")
    weeks = models.CharField("semaines", max_length=4, choices=WEEKS, default=EVERY)
    with_apc = models.BooleanField("récupération APC", default=False)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "ligne de semaine type"
        ordering = ["weekday", "slot__start_time"]
        constraints = [
            models.UniqueConstraint(fields=["child", "slot", "weekday"], name="template_unique"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="template_weekday"),
        ]


class CalendarFeed(models.Model):
    """The secret address of a family's iCalendar feed; renewing it replaces the secret."""

    family = models.OneToOneField("families.Family", models.CASCADE, related_name="calendar_feed")
    secret = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)


class OpeningReminder(models.Model):
    """The e-mail sent to a family the day before a holiday period opens (sent once)."""

    period = models.ForeignKey("activities.Period", models.CASCADE, related_name="+")
    family = models.ForeignKey("families.Family", models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "family"], name="opening_reminder_unique")
        ]


class WaitlistEntry(models.Model):
    """A child waiting for a place in a full slot on a day.

    The line is ordered by `queued_at`, then id (`waitlist.LINE_ORDER`); a child's position is
    one plus the live entries (waiting or offered) before it. An entry offered a place holds
    that place until it answers or its offer expires: capacity counts it as taken
    (`capacity.full_error`), so nobody else books it meanwhile. Siblings who joined together
    share a `group` (each keeps its own entry, position and answer).
    """

    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    REMOVED = "removed"
    LAPSED = "lapsed"
    STATUSES = [
        (WAITING, "En attente"),
        (OFFERED, "Place proposée"),
        (BOOKED, "Place obtenue"),
        (DECLINED, "Offre refusée"),
        (EXPIRED, "Offre expirée"),
        (WITHDRAWN, "Retiré par la famille"),
        (REMOVED, "Retiré par la structure"),
        (LAPSED, "Jour passé sans place"),
    ]
    LIVE = (WAITING, OFFERED)

    FAMILY = "family"
    MANAGER = "manager"
    ALLOCATION = "allocation"
    SOURCES = [
        (FAMILY, "la famille"),
        (MANAGER, "la structure"),
        (ALLOCATION, "l'attribution des places"),
    ]

    child = models.ForeignKey("families.Child", models.CASCADE, related_name="waitlist_entries")
    slot = models.ForeignKey("activities.TimeSlot", models.CASCADE, related_name="waitlist")
    date = models.DateField("jour")
    status = models.CharField(max_length=10, choices=STATUSES, default=WAITING)
    source = models.CharField("inscrit par", max_length=10, choices=SOURCES, default=FAMILY)
    with_apc = models.BooleanField("récupération APC", default=False)
    queued_at = models.DateTimeField("dans la file depuis")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    offered_at = models.DateTimeField("place proposée le", null=True, blank=True)
    offer_expires_at = models.DateTimeField("offre valable jusqu'au", null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The booking the entry obtained. A foreign key, not one-to-one: a child's row of a day
    # cancelled late (or declared absent) is booked again when the child, put back on the line,
    # obtains a place again, and both entries keep it.
    booking = models.ForeignKey(
        Booking, models.PROTECT, null=True, blank=True, related_name="waitlist_entries"
    )
    # Brothers and sisters who joined the line of this slot-day together (one join, or one
    # allocation unit) share a group: places go to them together or not at all.
    group = models.CharField("frères et sœurs inscrits ensemble", max_length=32, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField("motif", max_length=300, blank=True)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "inscription en liste d'attente"
        ordering = ["date", "slot__start_time", "queued_at", "id"]
        indexes = [models.Index(fields=["slot", "date", "status"], name="waitlist_slot_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "slot", "date"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_live_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered")
                | Q(offered_at__isnull=False, offer_expires_at__isnull=False, token__isnull=False),
                name="waitlist_offer_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="booked") | Q(booking__isnull=False),
                name="waitlist_booked_has_booking",
            ),
        ]

    def __str__(self):
        return f"{self.child} – {self.slot} – {self.date:%d/%m/%Y} ({self.get_status_display()})"

    @property
    def live(self):
        return self.status in self.LIVE
