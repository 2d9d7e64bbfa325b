from pathlib import PurePosixPath

from django.shortcuts import render
from django.utils import timezone

from marmots.activities.models import Period, PublishedDocument
from marmots.core.access import get_or_404, guardian_required
from marmots.core.context_processors import current_structure
from marmots.families import rules
from marmots.families.models import Child, Quotient

from .helpers import file_response


def public_home(request):
    structure = current_structure()
    documents = PublishedDocument.objects.filter(structure=structure, is_public=True)
    return render(
        request,
        "portal/public_home.html",
        {"documents": documents if structure else [], "public": True},
    )


def published_document(request, pk):
    document = get_or_404(PublishedDocument.objects.filter(is_public=True), pk=pk)
    suffix = PurePosixPath(document.file.name).suffix
    return file_response(document.file, f"{document.title}{suffix}")


def registration_calendar(request):
    """Holiday periods with their registration opening, generated from the periods."""
    structure = current_structure()
    periods = Period.objects.filter(
        structure=structure, kind=Period.HOLIDAYS, end_date__gte=timezone.localdate()
    ).order_by("start_date")
    return render(
        request, "portal/calendar.html", {"periods": periods if structure else [], "public": True}
    )


@guardian_required
def home(request):
    family = request.family
    today = timezone.localdate()
    children = list(Child.objects.for_family(family))
    quotient = Quotient.objects.for_family(family).first()
    return render(
        request,
        "portal/home.html",
        {
            "family": family,
            "children": children,
            "to_check": [c for c in children if c.info_checked_at is None],
            "quotient": quotient,
            "quotient_state": rules.quotient_state(quotient, today),
        },
    )
