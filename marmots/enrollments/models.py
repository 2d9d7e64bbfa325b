"""Enrollments: a child in an activity for a span of dates, pending (?) until validated (V)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from marmots.families.models import ChildScopedQuerySet


class Enrollment(models.Model):
    PENDING = "pending"
    VALIDATED = "validated"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    STATUSES = [
        (PENDING, "En attente"),
        (VALIDATED, "Validée"),
        (REFUSED, "Refusée"),
        (CANCELLED, "Annulée"),
    ]
    MARKS = {PENDING: "?", VALIDATED: "V", REFUSED: "✗", CANCELLED: "–"}

    child = models.ForeignKey("families.Child", models.PROTECT, related_name="enrollments")
    activity = models.ForeignKey("activities.Activity", models.PROTECT, related_name="enrollments")
    period = models.ForeignKey(
        "activities.Period", models.PROTECT, null=True, blank=True, related_name="enrollments"
    )
    start_date = models.DateField("du")
    end_date = models.DateField("au")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    comment = models.CharField("commentaire de la famille", max_length=500, blank=True)
    refusal_reason = models.CharField("motif du refus", max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "inscription"
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="enrollment_dates_order"
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="enrollment_refusal_has_reason",
            ),
            # One open request or enrollment per child, activity and start date.
            models.UniqueConstraint(
                fields=["child", "activity", "start_date"],
                condition=Q(status__in=["pending", "validated"]),
                name="enrollment_active_unique",
            ),
        ]

    def __str__(self):
        return f"{self.child} – {self.activity}"

    @property
    def mark(self):
        return self.MARKS[self.status]
