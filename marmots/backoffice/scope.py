"""What a back-office user reaches: the families and rows of their own structures.

Reads use every structure the user works for; writes (under `manager_required`) see only the
structures they manage, because that decorator narrows `request.structures`.
"""

from marmots.enrollments.models import Enrollment
from marmots.families.models import ChangeRequest, Family, FamilyDocument


def families(request):
    """Families using one of `request.structures`."""
    managed = Family.objects.filter(structures__in=request.structures).values("pk")
    return Family.objects.for_staff(request.user).filter(pk__in=managed)


def change_requests(request):
    return ChangeRequest.objects.filter(family__in=families(request))


def documents(request):
    """Family documents of a type defined by one of the user's structures."""
    return FamilyDocument.objects.filter(
        doc_type__structure__in=request.structures, family__in=families(request)
    )


def enrollments(request):
    return Enrollment.objects.filter(activity__structure__in=request.structures)


def owned(request, model):
    """Rows of a structure-owned model (periods, activities...) in the user's structures."""
    return model.objects.filter(structure__in=request.structures)
