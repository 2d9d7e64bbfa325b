"""Tableau de bord: one timeline of every request the family sent."""

from django.shortcuts import render
from django.utils import timezone

from marmots.bookings import waitlist
from marmots.bookings.absences import certificate_due
from marmots.bookings.batch import absences_awaiting
from marmots.bookings.models import BookingRequest, WaitlistEntry
from marmots.core.access import guardian_required
from marmots.enrollments.models import Enrollment
from marmots.families.models import ChangeRequest

from .dashboard import timeline


@guardian_required
def dashboard(request):
    family = request.family
    changes = ChangeRequest.objects.for_family(family).select_related("child", "guardian")
    enrollments = Enrollment.objects.for_family(family).select_related("child", "activity")
    booking_requests = BookingRequest.objects.for_family(family).select_related(
        "child", "slot__activity"
    )
    lists = list(WaitlistEntry.objects.for_family(family).select_related("child", "slot__activity"))
    places = waitlist.positions(lists)
    entries = timeline(
        changes, enrollments, booking_requests, [(e, places.get(e.pk)) for e in lists]
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "entries": entries,
            "waiting": sum(1 for e in entries if e.waiting),
            "absences": [(b, certificate_due(b)) for b in absences_awaiting(family)],
            "offers": [
                e
                for e in lists
                if e.status == WaitlistEntry.OFFERED and e.offer_expires_at > timezone.now()
            ],
        },
    )
