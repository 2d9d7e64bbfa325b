"""Who may see what. Views use these decorators; they never test roles themselves."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from marmots.activities.models import StaffMembership, Structure


def family_of(user):
    """The family a logged-in guardian belongs to, or None."""
    guardian = getattr(user, "guardian", None) if user.is_authenticated else None
    return guardian.family if guardian else None


def structures_of(user, roles=(StaffMembership.MANAGER, StaffMembership.STAFF)):
    """Structures the user works for, with one of `roles`."""
    if not user.is_authenticated:
        return Structure.objects.none()
    if user.is_superuser:
        return Structure.objects.all()
    return Structure.objects.filter(memberships__user=user, memberships__role__in=roles)


def is_manager(user, structure=None):
    qs = structures_of(user, roles=(StaffMembership.MANAGER,))
    return qs.filter(pk=structure.pk).exists() if structure else qs.exists()


def guardian_required(view):
    """The view receives `request.family`, the logged-in guardian's family."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        family = family_of(request.user)
        if family is None:
            raise PermissionDenied("Cet espace est réservé aux familles.")
        request.family = family
        request.guardian = request.user.guardian
        return view(request, *args, **kwargs)

    return wrapper


def staff_roles(user):
    """{structure id: role} of the user's memberships, in one query (a superuser manages all)."""
    if user.is_superuser:
        return dict.fromkeys(
            Structure.objects.values_list("pk", flat=True), StaffMembership.MANAGER
        )
    return dict(StaffMembership.objects.filter(user=user).values_list("structure_id", "role"))


def staff_required(view):
    """Manager or staff of at least one structure; sets `request.structures` (a queryset of
    the structures the user works for) and `request.is_manager`."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        roles = staff_roles(request.user)
        if not roles:
            raise PermissionDenied("Cet espace est réservé à l'équipe.")
        request.staff_roles = roles
        request.structures = Structure.objects.filter(pk__in=list(roles))
        request.is_manager = StaffMembership.MANAGER in roles.values()
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Manager of at least one structure (staff are read only); `request.structures` narrows
    to the structures the user manages."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.is_manager:
            raise PermissionDenied("Action réservée au gestionnaire.")
        managed = [
            pk for pk, role in request.staff_roles.items() if role == StaffMembership.MANAGER
        ]
        request.structures = Structure.objects.filter(pk__in=managed)
        return view(request, *args, **kwargs)

    return wrapper


def get_or_404(queryset, **lookup):
    """Like get_object_or_404, on an already scoped queryset."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404 from None
