from django.shortcuts import render
from django.utils import timezone

from marmots.core.access import staff_required
from marmots.enrollments.models import Enrollment
from marmots.families.models import ChangeRequest, FamilyDocument

from . import scope
from .views_booking_decisions import certificates_to_approve, pending_requests
from .views_waitlist import live_count


@staff_required
def home(request):
    counters = {
        "enrollments": scope.enrollments(request).filter(status=Enrollment.PENDING).count(),
        "change_requests": scope.change_requests(request)
        .filter(status=ChangeRequest.PENDING)
        .count(),
        "documents": scope.documents(request).filter(status=FamilyDocument.PENDING).count(),
        "booking_requests": pending_requests(request).count(),
        "certificates": certificates_to_approve(request).count(),
        "waitlist": live_count(request, timezone.localdate()),
    }
    return render(request, "backoffice/home.html", {"counters": counters})
