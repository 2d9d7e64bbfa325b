"""Ma famille: the children, their details, their changes and the first-login guided check."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render

from marmots.core.access import get_or_404, guardian_required
from marmots.families import actions
from marmots.families.fields import CHILD_FIELD_LABELS
from marmots.families.forms import ChildForm, child_data, people_formset
from marmots.families.models import ChangeRequest, Child

from .helpers import add_errors


def _children(family):
    return Child.objects.for_family(family)


def _pending(child):
    """[(French label of the field, date asked)] for the child's changes awaiting the manager."""
    requests = ChangeRequest.objects.filter(child=child, status=ChangeRequest.PENDING)
    return [
        (CHILD_FIELD_LABELS.get(name, name).capitalize(), request.created_at)
        for request in requests
        for name in request.changes
    ]


@guardian_required
def family(request):
    children = (
        _children(request.family)
        .prefetch_related("authorized_people")
        .annotate(
            pending_count=Count(
                "change_requests", filter=Q(change_requests__status=ChangeRequest.PENDING)
            )
        )
    )
    return render(request, "portal/family/list.html", {"children": children})


@guardian_required
def child_detail(request, pk):
    child = get_or_404(_children(request.family).prefetch_related("authorized_people"), pk=pk)
    return render(
        request,
        "portal/family/child_detail.html",
        {"child": child, "pending": _pending(child)},
    )


def _handle_form(request, child, action):
    """Parse the child form and its people; call `action`. Returns (form, formset, result)."""
    if request.method != "POST":
        return ChildForm(instance=child), people_formset(child), None
    form = ChildForm(request.POST, instance=child)
    formset = people_formset(child, request.POST)
    if not (form.is_valid() and formset.is_valid()):
        return form, formset, None
    try:
        result = action(child, child_data(form, formset), request.user)
    except ValidationError as error:
        add_errors(form, error)
        return form, formset, None
    return form, formset, result or "unchanged"


def _say_saved(request, result):
    if result == "unchanged":
        messages.info(request, "Aucune modification à enregistrer.")
    elif result.status == ChangeRequest.PENDING:
        labels = ", ".join(CHILD_FIELD_LABELS[name] for name in result.changes)
        messages.warning(
            request,
            "Modifications transmises au gestionnaire. Elles s'appliqueront après sa "
            f"validation : {labels}. Les autres changements sont enregistrés.",
        )
    else:
        messages.success(request, "Modifications enregistrées.")


@guardian_required
def child_edit(request, pk):
    child = get_or_404(_children(request.family), pk=pk)
    form, formset, result = _handle_form(request, child, actions.update_child)
    if result:
        _say_saved(request, result)
        return redirect("portal:child", pk=child.pk)
    return render(
        request,
        "portal/family/child_edit.html",
        {"child": child, "form": form, "formset": formset, "pending": _pending(child)},
    )


@guardian_required
def check_start(request):
    """The guided check: the next child whose information was never checked."""
    child = _children(request.family).filter(info_checked_at__isnull=True).first()
    if child is None:
        messages.success(request, "Merci : les informations de tous vos enfants sont vérifiées.")
        return redirect("portal:family")
    return redirect("portal:check_child", pk=child.pk)


@guardian_required
def check_child(request, pk):
    children = list(_children(request.family))
    child = next((c for c in children if c.pk == pk), None)
    if child is None:
        raise Http404
    form, formset, result = _handle_form(request, child, actions.check_child)
    if result:
        _say_saved(request, result)
        return redirect("portal:check")
    step = [c.pk for c in children].index(child.pk) + 1
    return render(
        request,
        "portal/family/check.html",
        {
            "child": child,
            "form": form,
            "formset": formset,
            "step": step,
            "total": len(children),
            "pending": _pending(child),
        },
    )
