"""What waits for the manager: change requests and uploaded documents."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.families.actions import decide_change_request, review_document
from marmots.families.fields import CHILD_FIELD_LABELS, GUARDIAN_FIELD_LABELS
from marmots.families.files import file_response
from marmots.families.models import ChangeRequest, FamilyDocument

from . import scope
from .forms import ChangeRequestDecisionForm, DocumentDecisionForm


def change_rows(change_request):
    """(French label, before, after) for each changed field."""
    labels = CHILD_FIELD_LABELS if change_request.child_id else GUARDIAN_FIELD_LABELS
    return [
        (capfirst(labels.get(name, name)), change.get("old"), change.get("new"))
        for name, change in change_request.changes.items()
    ]


def _pending_requests(request):
    pending = scope.change_requests(request).filter(status=ChangeRequest.PENDING)
    return pending.select_related("family", "child", "guardian", "created_by").order_by(
        "created_at"
    )


def _render_change_requests(request, forms=None, status=200):
    rows = [
        (
            cr,
            change_rows(cr),
            (forms or {}).get(cr.pk) or ChangeRequestDecisionForm(prefix=f"c{cr.pk}"),
        )
        for cr in _pending_requests(request)
    ]
    context = {"rows": rows}
    return render(request, "backoffice/requests/change_requests.html", context, status=status)


@staff_required
def change_requests(request):
    return _render_change_requests(request)


def _decide(request, form, decide, success, redirect_to, rerender, failure):
    """A manager's accept/refuse POST: on a valid form, `decide(form)` (an action) and redirect
    with `success(form)`; otherwise show the list again with this form's errors (400)."""
    if form.is_valid():
        try:
            decide(form)
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, success(form))
            return redirect(redirect_to)
    messages.error(request, failure)
    return rerender(status=400)


@require_POST
@manager_required
def change_request_decide(request, pk):
    change_request = get_or_404(scope.change_requests(request), pk=pk)
    form = ChangeRequestDecisionForm(request.POST, prefix=f"c{pk}")
    return _decide(
        request,
        form,
        lambda form: decide_change_request(
            change_request, accept=form.accept, actor=request.user, note=form.cleaned_data["note"]
        ),
        lambda form: (
            f"Demande de la famille {change_request.family} "
            f"{'appliquée' if form.accept else 'refusée'}."
        ),
        "backoffice:change_requests",
        lambda status: _render_change_requests(request, {pk: form}, status=status),
        "La demande n'a pas été traitée : corrigez le formulaire.",
    )


def _pending_documents(request):
    pending = scope.documents(request).filter(status=FamilyDocument.PENDING)
    return pending.select_related("family", "child", "doc_type").order_by("uploaded_at")


def _render_documents(request, forms=None, status=200):
    today = timezone.localdate()
    rows = [
        (doc, (forms or {}).get(doc.pk) or DocumentDecisionForm(today=today, prefix=f"d{doc.pk}"))
        for doc in _pending_documents(request)
    ]
    context = {"rows": rows}
    return render(request, "backoffice/requests/documents.html", context, status=status)


@staff_required
def documents(request):
    return _render_documents(request)


@staff_required
def document_file(request, pk):
    document = get_or_404(scope.documents(request), pk=pk)
    return file_response(
        document.file, f"document-{document.pk}", document.content_type, inline=True
    )


@require_POST
@manager_required
def document_decide(request, pk):
    document = get_or_404(scope.documents(request), pk=pk)
    form = DocumentDecisionForm(request.POST, today=timezone.localdate(), prefix=f"d{pk}")
    return _decide(
        request,
        form,
        lambda form: review_document(
            document,
            accept=form.accept,
            actor=request.user,
            valid_until=form.cleaned_data["valid_until"],
            reason=form.cleaned_data["reason"],
        ),
        lambda form: (
            f"Pièce « {document.doc_type} » de {document.family} "
            f"{'acceptée' if form.accept else 'refusée'}."
        ),
        "backoffice:documents",
        lambda status: _render_documents(request, {pk: form}, status=status),
        "La pièce n'a pas été traitée : corrigez le formulaire.",
    )
