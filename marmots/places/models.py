"""Allocation of scarce places: requests collected until a closing date, then ranked.

A period in allocation mode (`Period.places_mode`) has one `Allocation`: the manager's points per
criterion and where the round stands. Families send one `AllocationRequest` per period (their
declarations), with one `AllocationWish` per child, slot and day (an optional preference, 1 =
most wanted). Ranking stores each request's score, rank and the criteria met
(`criteria`: [{"code", "label", "points"}]) with the result, so the manager can show a family
why it got what it got. Each wish records the proposal (`proposed`), the manager's hand
adjustment, and after confirmation its outcome, reason, booking or waiting-list entry.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marmots.families.models import FamilyScopedQuerySet


class Allocation(models.Model):
    COLLECTING = "collecting"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    STATUSES = [
        (COLLECTING, "Demandes en cours"),
        (PROPOSED, "Proposition à valider"),
        (CONFIRMED, "Attribution confirmée"),
    ]

    period = models.OneToOneField("activities.Period", models.CASCADE, related_name="allocation")
    status = models.CharField(max_length=10, choices=STATUSES, default=COLLECTING)
    points_enrolled = models.PositiveSmallIntegerField("enfant déjà inscrit cette année", default=3)
    points_siblings = models.PositiveSmallIntegerField("fratrie", default=2)
    points_working = models.PositiveSmallIntegerField("parents qui travaillent", default=2)
    points_resident = models.PositiveSmallIntegerField("résident de la commune", default=2)
    points_special_needs = models.PositiveSmallIntegerField("besoins particuliers", default=3)
    proposed_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "attribution des places"
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="allocation_confirmed_at",
            ),
        ]

    def __str__(self):
        return f"Attribution – {self.period}"


class AllocationRequest(models.Model):
    """A family's request for a period in allocation mode, with what it declares."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    STATUSES = [(ACTIVE, "Envoyée"), (WITHDRAWN, "Retirée")]

    allocation = models.ForeignKey(Allocation, models.CASCADE, related_name="requests")
    family = models.ForeignKey("families.Family", models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    declares_working = models.BooleanField(
        "les parents travaillent",
        default=False,
        help_text="Les deux parents, ou le parent seul, exercent une activité professionnelle.",
    )
    declares_special_needs = models.BooleanField("besoins particuliers", default=False)
    note = models.CharField("précisions", max_length=500, blank=True)
    created_at = models.DateTimeField("demande reçue le")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Written when the proposal is made, kept with the result.
    score = models.PositiveIntegerField(null=True, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    criteria = models.JSONField(default=list, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "demande de places"
        ordering = ["rank", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "family"],
                condition=Q(status="active"),
                name="allocation_request_one_active",
            ),
        ]

    def __str__(self):
        return f"{self.family} – {self.allocation.period}"


class AllocationWish(models.Model):
    """One day a family asks for one child, and what became of it."""

    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"
    OUTCOMES = [(BOOKED, "Place attribuée"), (WAITLISTED, "Liste d'attente"), (REFUSED, "Refusé")]

    request = models.ForeignKey(AllocationRequest, models.CASCADE, related_name="wishes")
    child = models.ForeignKey("families.Child", models.CASCADE, related_name="+")
    slot = models.ForeignKey("activities.TimeSlot", models.CASCADE, related_name="+")
    date = models.DateField("jour")
    preference = models.PositiveSmallIntegerField(
        "ordre de préférence", default=1, help_text="1 : le plus souhaité."
    )
    proposed = models.BooleanField("place proposée", null=True, blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    adjusted_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=OUTCOMES, blank=True)
    reason = models.CharField("motif", max_length=300, blank=True)
    booking = models.ForeignKey(
        "bookings.Booking", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waitlist_entry = models.ForeignKey(
        "bookings.WaitlistEntry", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "jour demandé"
        ordering = ["date", "slot__start_time", "child_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "child", "slot", "date"], name="allocation_wish_unique"
            ),
            models.CheckConstraint(condition=Q(preference__gte=1), name="allocation_wish_pref"),
        ]

    def __str__(self):
        return f"{self.child} – {self.slot} – {self.date:%d/%m/%Y}"
