"""Mes documents: what the file needs, its state, uploads and downloads of own files."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from marmots.activities.models import DocumentType
from marmots.core.access import get_or_404, guardian_required
from marmots.enrollments.models import Enrollment
from marmots.families import actions, rules
from marmots.families.files import file_response
from marmots.families.forms import DocumentUploadForm
from marmots.families.models import Child, FamilyDocument

from .helpers import add_errors


@guardian_required
def documents(request):
    family = request.family
    form = DocumentUploadForm(family, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.upload_document(
                family, data["doc_type"], data["file"], request.user, child=data["child"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Pièce envoyée : le gestionnaire va la vérifier.")
            return redirect("portal:documents")
    today = timezone.localdate()
    uploaded = list(FamilyDocument.objects.for_family(family).select_related("doc_type", "child"))
    doc_types = DocumentType.objects.filter(structure__in=family.structures_in_use())
    required = set(
        Enrollment.objects.for_family(family)
        .filter(status__in=[Enrollment.PENDING, Enrollment.VALIDATED])
        .exclude(activity__required_documents=None)
        .values_list("activity__required_documents", "child_id")
    )
    children = Child.objects.for_family(family)
    rows = rules.document_rows(doc_types, children, uploaded, today, required)
    return render(
        request,
        "portal/documents.html",
        {
            "form": form,
            "rows": rows,
            "uploaded": [(d, rules.document_state(d, today)) for d in uploaded],
        },
    )


@guardian_required
def document_download(request, pk):
    document = get_or_404(FamilyDocument.objects.for_family(request.family), pk=pk)
    return file_response(document.file, document.original_name, document.content_type)
