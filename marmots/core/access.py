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


def staff_required(view):
    """Manager or staff of at least one structure; sets `request.structures`."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        structures = structures_of(request.user)
        if not structures.exists():
            raise PermissionDenied("Cet espace est réservé à l'équipe.")
        request.structures = structures
        request.is_manager = is_manager(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Manager of at least one structure (staff are read only)."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.is_manager:
            raise PermissionDenied("Action réservée au gestionnaire.")
        request.structures = structures_of(request.user, roles=(StaffMembership.MANAGER,))
        return view(request, *args, **kwargs)

    return wrapper


def get_or_404(queryset, **lookup):
    """Like get_object_or_404, on an already scoped queryset."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404 from None
