"""Back-office: enrollment requests, what the family's file lacks, validation and refusal."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.billing.balances import unpaid_invoices
from marmots.core.access import get_or_404, is_manager, manager_required, staff_required
from marmots.enrollments.actions import (
    file_status,
    opening_error,
    refuse_enrollment,
    validate_enrollment,
)
from marmots.enrollments.forms import EnrollmentFilterForm, RefusalForm
from marmots.enrollments.models import Enrollment

from . import scope

LIST_LIMIT = 200


def _scoped(request):
    return scope.enrollments(request).select_related(
        "child__family", "activity__structure", "period"
    )


@staff_required
@require_GET
def enrollment_list(request):
    data = request.GET if request.GET else {"status": Enrollment.PENDING}
    form = EnrollmentFilterForm(request.structures, data)
    enrollments = _scoped(request).order_by("start_date", "requested_at")
    if form.is_valid():
        if form.cleaned_data["status"]:
            enrollments = enrollments.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["activity"]:
            enrollments = enrollments.filter(activity=form.cleaned_data["activity"])
    else:
        enrollments = enrollments.none()
    context = {"form": form, "enrollments": enrollments[:LIST_LIMIT], "limit": LIST_LIMIT}
    return render(request, "backoffice/enrollments/list.html", context)


def _render_detail(request, enrollment, refusal_form=None, status=200):
    context = {
        "enrollment": enrollment,
        "problems": file_status(
            enrollment.child.family,
            enrollment.activity,
            max(enrollment.start_date, timezone.localdate()),
            child=enrollment.child,
        ),
        "opening_error": opening_error(enrollment.period, timezone.now()),
        "unpaid": list(unpaid_invoices(enrollment.child.family, enrollment.activity.structure)),
        "today": timezone.localdate(),
        "refusal_form": refusal_form or RefusalForm(),
        "can_decide": is_manager(request.user, enrollment.activity.structure),
    }
    return render(request, "backoffice/enrollments/detail.html", context, status=status)


@staff_required
@require_GET
def enrollment_detail(request, pk):
    return _render_detail(request, get_or_404(_scoped(request), pk=pk))


@manager_required
@require_POST
def enrollment_validate(request, pk):
    enrollment = get_or_404(_scoped(request), pk=pk)
    try:
        validate_enrollment(enrollment, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Inscription de {enrollment.child.first_name} validée.")
    return redirect("backoffice:enrollment_detail", pk=enrollment.pk)


@manager_required
@require_POST
def enrollment_refuse(request, pk):
    enrollment = get_or_404(_scoped(request), pk=pk)
    form = RefusalForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, enrollment, form, status=400)
    try:
        refuse_enrollment(enrollment, request.user, form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Demande de {enrollment.child.first_name} refusée.")
    return redirect("backoffice:enrollment_detail", pk=enrollment.pk)
