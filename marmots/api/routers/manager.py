"""Manager endpoints: enrollments of the structures the user works for.

Staff (read only) may list; only managers validate or refuse. An enrollment of a structure the
user does not manage answers 404.
"""

from typing import Literal

from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from marmots.activities.models import StaffMembership
from marmots.core.access import get_or_404, staff_roles
from marmots.enrollments.actions import (
    file_status,
    opening_error,
    refuse_enrollment,
    validate_enrollment,
)
from marmots.enrollments.models import Enrollment

from ..schemas import ErrorOut, ManagerEnrollmentDetailOut, ManagerEnrollmentOut, RefusalIn

router = Router(tags=["Gestion"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
StatusFilter = Literal["pending", "validated", "refused", "cancelled"]


def _enrollments(structure_ids):
    return Enrollment.objects.filter(activity__structure_id__in=structure_ids).select_related(
        "child__family", "activity__structure", "period"
    )


def _roles(request):
    """{structure id: role} of the caller, in one query (403 if they work for none)."""
    roles = staff_roles(request.auth)
    if not roles:
        raise HttpError(403, "Cet espace est réservé à l'équipe.")
    return roles


def _staff_structures(request):
    """Ids of the structures the caller works for."""
    return list(_roles(request))


def _managed_structures(request):
    """Ids of the structures the caller manages (403 for staff)."""
    managed = [pk for pk, role in _roles(request).items() if role == StaffMembership.MANAGER]
    if not managed:
        raise HttpError(403, "Action réservée au gestionnaire.")
    return managed


@router.get(
    "/enrollments",
    response={200: list[ManagerEnrollmentOut], **ERRORS},
    summary="Inscriptions des structures",
)
@paginate(LimitOffsetPagination)
def enrollments_list(request, status: StatusFilter | None = None):
    """Enrollments of the user's structures, oldest request first; filter with `status`.

    Paginated: `items` and `count`, with `limit` (100 by default) and `offset`.
    """
    enrollments = _enrollments(_staff_structures(request)).order_by("requested_at", "id")
    if status:
        enrollments = enrollments.filter(status=status)
    return enrollments


@router.get(
    "/enrollments/{enrollment_id}",
    response={200: ManagerEnrollmentDetailOut, **ERRORS},
    summary="Une inscription et ce qui manque au dossier",
)
def enrollment_detail(request, enrollment_id: int):
    enrollment = get_or_404(_enrollments(_staff_structures(request)), pk=enrollment_id)
    enrollment.file_problems = file_status(
        enrollment.child.family,
        enrollment.activity,
        max(enrollment.start_date, timezone.localdate()),
        child=enrollment.child,
    )
    enrollment.opening_error = opening_error(enrollment.period, timezone.now())
    return enrollment


@router.post(
    "/enrollments/{enrollment_id}/validate",
    response={200: ManagerEnrollmentOut, **ERRORS, 422: ErrorOut},
    summary="Valider une inscription",
)
def enrollment_validate(request, enrollment_id: int):
    managed = _managed_structures(request)
    enrollment = get_or_404(_enrollments(managed), pk=enrollment_id)
    validate_enrollment(enrollment, request.auth)
    return _enrollments(managed).get(pk=enrollment.pk)


@router.post(
    "/enrollments/{enrollment_id}/refuse",
    response={200: ManagerEnrollmentOut, **ERRORS, 422: ErrorOut},
    summary="Refuser une inscription",
)
def enrollment_refuse(request, enrollment_id: int, data: RefusalIn):
    managed = _managed_structures(request)
    enrollment = get_or_404(_enrollments(managed), pk=enrollment_id)
    refuse_enrollment(enrollment, request.auth, data.reason)
    return _enrollments(managed).get(pk=enrollment.pk)
