"""Tableau de bord: one timeline of every request the family sent."""

from django.shortcuts import render

from marmots.core.access import guardian_required
from marmots.enrollments.models import Enrollment
from marmots.families.models import ChangeRequest

from .dashboard import timeline


@guardian_required
def dashboard(request):
    family = request.family
    changes = ChangeRequest.objects.for_family(family).select_related("child", "guardian")
    enrollments = Enrollment.objects.for_family(family).select_related("child", "activity")
    entries = timeline(changes, enrollments)
    return render(
        request,
        "portal/dashboard.html",
        {"entries": entries, "waiting": sum(1 for e in entries if e.waiting)},
    )
