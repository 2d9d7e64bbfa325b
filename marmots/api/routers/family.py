"""Guardian endpoints: everything goes through the family scoping helpers."""

from django.http import Http404
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from marmots.activities.models import Activity, Period
from marmots.core.access import family_of, get_or_404
from marmots.enrollments.actions import request_enrollment
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child, Guardian, Quotient
from marmots.families.rules import quotient_state

from ..schemas import ChildOut, EnrollmentIn, EnrollmentOut, ErrorOut, FamilyOut, TimelineItemOut
from ..timeline import family_requests

router = Router(tags=["Famille"])

ERRORS = {401: ErrorOut, 403: ErrorOut}
NOT_FOUND = {**ERRORS, 404: ErrorOut}


def _family(request):
    family = family_of(request.auth)
    if family is None:
        raise HttpError(403, "Cet espace est réservé aux familles.")
    return family


def _quotient_summary(family):
    latest = Quotient.objects.for_family(family).order_by("-valid_from", "-id").first()
    summary = {"state": quotient_state(latest, timezone.localdate())}
    if latest is not None:
        summary.update(
            value=latest.value,
            annual_income=latest.annual_income,
            valid_from=latest.valid_from,
            valid_until=latest.valid_until,
        )
    return summary


def _children(family):
    return Child.objects.for_family(family).prefetch_related("authorized_people")


def _enrollments(family):
    return Enrollment.objects.for_family(family).select_related("child", "activity", "period")


@router.get("/family", response={200: FamilyOut, **ERRORS}, summary="Ma famille")
def family_detail(request):
    family = _family(request)
    return {
        "id": family.pk,
        "name": family.name,
        "dependent_children": family.dependent_children,
        "structures": list(family.structures.all()),
        "guardians": list(Guardian.objects.for_family(family).select_related("user")),
        "quotient": _quotient_summary(family),
    }


@router.get("/children", response={200: list[ChildOut], **ERRORS}, summary="Mes enfants")
def children_list(request):
    return list(_children(_family(request)))


@router.get("/children/{child_id}", response={200: ChildOut, **NOT_FOUND}, summary="Un enfant")
def child_detail(request, child_id: int):
    return get_or_404(_children(_family(request)), pk=child_id)


@router.get(
    "/enrollments", response={200: list[EnrollmentOut], **ERRORS}, summary="Mes inscriptions"
)
def enrollments_list(request):
    return list(_enrollments(_family(request)))


@router.get(
    "/enrollments/{enrollment_id}",
    response={200: EnrollmentOut, **NOT_FOUND},
    summary="Une inscription",
)
def enrollment_detail(request, enrollment_id: int):
    return get_or_404(_enrollments(_family(request)), pk=enrollment_id)


def _get(queryset, pk, message):
    """get_or_404 with the French `message`; None when no id was given."""
    if pk is None:
        return None
    try:
        return get_or_404(queryset, pk=pk)
    except Http404:
        raise HttpError(404, message) from None


@router.post(
    "/enrollments",
    response={201: EnrollmentOut, **NOT_FOUND, 422: ErrorOut},
    summary="Demander une inscription",
)
def enrollment_create(request, data: EnrollmentIn):
    """Ask to enroll a child for chosen dates; the request waits (`?`) for the manager."""
    family = _family(request)
    child = _get(Child.objects.for_family(family), data.child_id, "Enfant introuvable.")
    activity = _get(Activity.objects.all(), data.activity_id, "Activité introuvable.")
    period = _get(Period.objects.all(), data.period_id, "Période introuvable.")
    enrollment = request_enrollment(
        child,
        activity,
        start_date=data.start_date,
        end_date=data.end_date,
        actor=request.auth,
        period=period,
        comment=data.comment,
    )
    return Status(201, _enrollments(family).get(pk=enrollment.pk))


@router.get(
    "/requests",
    response={200: list[TimelineItemOut], **ERRORS},
    summary="Tableau de bord : mes demandes",
)
def requests_timeline(request):
    return family_requests(_family(request))
