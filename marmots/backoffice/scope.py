"""What a back-office user reaches: the families and rows of their own structures.

Reads use every structure the user works for; writes (under `manager_required`) see only the
structures they manage, because that decorator narrows `request.structures`.
"""

from django.db.models import Exists, OuterRef, Q

from marmots.activities.models import StaffMembership
from marmots.core.access import get_or_404
from marmots.enrollments.models import Enrollment
from marmots.families.models import ChangeRequest, Child, Family, FamilyDocument


def families(request):
    """Families using one of `request.structures`, or asking to (a pending request there)."""
    using = Family.objects.using(request.structures).values("pk")
    return Family.objects.for_staff(request.user).filter(pk__in=using)


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


def children(request, family):
    """The family's children that use the user's structures: an enrollment there (any status
    but cancelled), or none in any other structure (a child the manager has just added)."""
    live = Enrollment.objects.exclude(status=Enrollment.CANCELLED).filter(child=OuterRef("pk"))
    ours = live.filter(activity__structure__in=request.structures)
    theirs = live.exclude(activity__structure__in=request.structures)
    return Child.objects.for_family(family).filter(Exists(ours) | ~Exists(theirs))


def _ids(queryset):
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]


def audit_entries(request, family, children):
    """The family's audit entries, without those about another structure's enrollments,
    structures and documents, or about children the user does not see."""
    hidden_children = Child.objects.for_family(family).exclude(pk__in=children.values("pk"))
    foreign_documents = FamilyDocument.objects.for_family(family).filter(
        ~Q(doc_type__structure__in=request.structures) | Q(child__in=hidden_children)
    )
    hidden = (
        Q(object_type="child", object_id__in=_ids(hidden_children))
        | Q(
            object_type="enrollment",
            object_id__in=_ids(
                Enrollment.objects.for_family(family).exclude(
                    activity__structure__in=request.structures
                )
            ),
        )
        | Q(
            object_type="changerequest",
            object_id__in=_ids(ChangeRequest.objects.filter(child__in=hidden_children)),
        )
        | Q(object_type="familydocument", object_id__in=_ids(foreign_documents))
        | (Q(object_type="structure") & ~Q(object_id__in=_ids(request.structures)))
    )
    return family.audit_entries.exclude(hidden)


def chosen_structure(request, chosen=None):
    """The user's structure a settings page is about: the one named (`?structure=` unless
    told), 404 when it is not theirs; else the first by name."""
    chosen = request.GET.get("structure") if chosen is None else chosen
    structures = request.structures.order_by("name")
    return get_or_404(structures, pk=chosen) if chosen else structures.first()


def manages(request, structure_id):
    """Whether the user is a manager (not only staff) of that structure."""
    return request.staff_roles.get(structure_id) == StaffMembership.MANAGER
