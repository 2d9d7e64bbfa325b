"""Family portal: "Mes inscriptions" – list, request, withdraw, certificate."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from marmots.core.access import get_or_404, guardian_required
from marmots.core.downloads import attachment
from marmots.enrollments.actions import cancel_enrollment_request, request_enrollment
from marmots.enrollments.forms import EnrollmentRequestForm
from marmots.enrollments.models import Enrollment
from marmots.enrollments.pdf import certificate_filename, certificate_pdf
from marmots.families.models import Child


def _family_enrollments(family):
    return Enrollment.objects.for_family(family).select_related(
        "child", "activity__structure", "period"
    )


@guardian_required
@require_GET
def enrollment_list(request):
    enrollments = list(_family_enrollments(request.family).order_by("-start_date", "-id"))
    children = [
        (child, [e for e in enrollments if e.child_id == child.pk])
        for child in Child.objects.for_family(request.family)
    ]
    return render(request, "portal/enrollments/list.html", {"children": children})


@guardian_required
def enrollment_request(request):
    form = EnrollmentRequestForm(request.family, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enrollment = request_enrollment(
                data["child"],
                data["activity"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                period=data["period"],
                comment=data["comment"],
                actor=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                f"Demande d'inscription de {enrollment.child.first_name} envoyée : "
                "elle reste marquée « ? » jusqu'à sa validation par le gestionnaire.",
            )
            return redirect("portal:enrollments")
    return render(request, "portal/enrollments/request.html", {"form": form})


@guardian_required
@require_POST
def enrollment_withdraw(request, pk):
    enrollment = get_or_404(_family_enrollments(request.family), pk=pk)
    try:
        cancel_enrollment_request(enrollment, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Votre demande d'inscription a été retirée.")
    return redirect("portal:enrollments")


@guardian_required
@require_GET
def enrollment_certificate(request, pk):
    enrollment = get_or_404(_family_enrollments(request.family), pk=pk)
    if enrollment.status != Enrollment.VALIDATED:
        messages.error(request, "L'attestation est disponible une fois l'inscription validée.")
        return redirect("portal:enrollments")
    return attachment(certificate_pdf(enrollment), certificate_filename(enrollment))
