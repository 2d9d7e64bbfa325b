"""Families: list and search, record, creation, guardians, e-mails, quotients."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from marmots.accounts.actions import change_email
from marmots.accounts.links import INIT
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.enrollments.models import Enrollment
from marmots.families.actions import add_child
from marmots.families.models import Family, Guardian
from marmots.families.rules import document_state

from . import actions, scope
from .forms import (
    ChildForm,
    EmailChangeForm,
    FamilyForm,
    FamilySearchForm,
    GuardianForm,
    QuotientForm,
    check_distinct_emails,
)

PAGE_SIZE = 25
AUDIT_ENTRIES = 15


def search(query):
    """Families whose name, a guardian's name or e-mail, or a child's name contains `query`."""
    match = Q(name__icontains=query)
    for field in ("guardians__first_name", "guardians__last_name", "guardians__user__email"):
        match |= Q(**{f"{field}__icontains": query})
    for field in ("children__first_name", "children__last_name"):
        match |= Q(**{f"{field}__icontains": query})
    return Family.objects.filter(match).values("pk")


def record_url(family):
    return reverse("backoffice:family_detail", args=[family.pk])


@staff_required
def family_list(request):
    form = FamilySearchForm(request.GET)
    query = form.query()
    families = scope.families(request) if form.is_valid() else Family.objects.none()
    if query:
        families = families.filter(pk__in=search(query))
    families = families.prefetch_related("guardians__user", "children").order_by("name", "id")
    page = Paginator(families, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "form": form}
    return render(request, "backoffice/families/list.html", context)


@staff_required
def family_detail(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    today = timezone.localdate()
    children = scope.children(request, family)
    documents = family.documents.filter(doc_type__structure__in=request.structures).filter(
        Q(child__isnull=True) | Q(child__in=children)
    )
    change_requests = family.change_requests.filter(Q(child__isnull=True) | Q(child__in=children))
    history = scope.audit_entries(request, family, children).select_related("actor")
    context = {
        "family": family,
        "guardians": family.guardians.select_related("user"),
        "children": children.prefetch_related("authorized_people"),
        "quotients": family.quotients.all(),
        "documents": [
            (doc, document_state(doc, today))
            for doc in documents.select_related("doc_type", "child")
        ],
        "change_requests": change_requests.select_related("child", "guardian")[:20],
        "enrollments": Enrollment.objects.for_family(family)
        .filter(activity__structure__in=request.structures)
        .select_related("child", "activity"),
        "audit_entries": history[:AUDIT_ENTRIES],
    }
    return render(request, "backoffice/families/detail.html", context)


def _validation_messages(error):
    return error.messages if hasattr(error, "messages") else [str(error)]


@manager_required
def family_create(request):
    data = request.POST if request.method == "POST" else None
    family_form = FamilyForm(data, structures=request.structures)
    first = GuardianForm(data, prefix="r1")
    second = GuardianForm(data, prefix="r2", optional=True)
    if data is not None:
        valid = all([family_form.is_valid(), first.is_valid(), second.is_valid()])
        if valid and check_distinct_emails(first, second):
            guardians = [first.details()] + ([second.details()] if second.is_filled else [])
            try:
                family = actions.create_family_with_guardians(
                    family_form.cleaned_data["structure"],
                    name=family_form.cleaned_data["name"],
                    guardians=guardians,
                    actor=request.user,
                )
            except ValidationError as error:
                for message in _validation_messages(error):
                    family_form.add_error(None, message)
            else:
                messages.success(
                    request, "Famille créée : le lien d'initialisation a été envoyé par e-mail."
                )
                return redirect(record_url(family))
    context = {"family_form": family_form, "first": first, "second": second}
    return render(request, "backoffice/families/create.html", context)


def _family_form(request, family, form, template, write, success, **context):
    """A form about one family: on a valid POST, `write(cleaned_data)` (an action); its
    ValidationError goes back to the form, its result gives the `success(result)` message."""
    if request.method == "POST" and form.is_valid():
        try:
            result = write(form.cleaned_data)
        except ValidationError as error:
            for message in _validation_messages(error):
                form.add_error(None, message)
        else:
            messages.success(request, success(result))
            return redirect(record_url(family))
    context = {"family": family, "form": form, **context}
    return render(request, f"backoffice/families/{template}.html", context)


def _posted(request):
    return request.POST if request.method == "POST" else None


@manager_required
def guardian_add(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    form = GuardianForm(_posted(request))
    return _family_form(
        request,
        family,
        form,
        "guardian_add",
        lambda data: actions.invite_guardian(family, form.details(), actor=request.user),
        lambda _: "Responsable ajouté : le lien d'initialisation est envoyé.",
    )


def _guardian(request, pk, guardian_pk):
    family = get_or_404(scope.families(request), pk=pk)
    guardians = Guardian.objects.for_family(family).filter(user__isnull=False)
    return family, get_or_404(guardians.select_related("user"), pk=guardian_pk)


@require_POST
@manager_required
def guardian_send_link(request, pk, guardian_pk):
    family, guardian = _guardian(request, pk, guardian_pk)
    purpose = actions.resend_account_link(guardian, actor=request.user)
    kind = "d'initialisation" if purpose == INIT else "de réinitialisation du mot de passe"
    messages.success(request, f"Le lien {kind} a été envoyé à {guardian.email}.")
    return redirect(record_url(family))


@manager_required
def guardian_email(request, pk, guardian_pk):
    family, guardian = _guardian(request, pk, guardian_pk)
    return _family_form(
        request,
        family,
        EmailChangeForm(_posted(request)),
        "guardian_email",
        lambda data: change_email(guardian.user, data["email"], request.user),
        lambda _: "Adresse changée : l'ancienne et la nouvelle adresse sont prévenues.",
        guardian=guardian,
    )


@manager_required
def quotient_add(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    return _family_form(
        request,
        family,
        QuotientForm(_posted(request)),
        "quotient_add",
        lambda data: actions.add_quotient(family, actor=request.user, **data),
        lambda _: "Quotient familial enregistré.",
    )


@manager_required
def child_add(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    return _family_form(
        request,
        family,
        ChildForm(_posted(request)),
        "child_add",
        lambda data: add_child(family, actor=request.user, **data),
        lambda child: (
            f"{child.first_name} est ajouté(e) : la famille complète sa fiche sur le portail."
        ),
    )
