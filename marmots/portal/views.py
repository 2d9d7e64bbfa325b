from pathlib import PurePosixPath

from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone

from marmots.activities.models import Period, PublishedDocument, Structure
from marmots.billing.balances import balance
from marmots.core.access import get_or_404, guardian_required
from marmots.families import rules
from marmots.families.files import file_response
from marmots.families.models import Child, Quotient

from .views_billing import quotient_words
from .views_checkin import checkin_alerts


def _public_structures():
    public_documents = PublishedDocument.objects.filter(is_public=True)
    return Structure.objects.order_by("name").prefetch_related(
        Prefetch("documents", queryset=public_documents, to_attr="public_documents")
    )


def public_home(request):
    """R2: each structure's identity, house rules and documents, and the way to log in."""
    return render(
        request, "portal/public_home.html", {"structures": _public_structures(), "public": True}
    )


def structure_logo(request, slug):
    structure = get_or_404(Structure.objects.exclude(logo=""), slug=slug)
    return file_response(structure.logo, inline=True)


def published_document(request, pk):
    document = get_or_404(PublishedDocument.objects.filter(is_public=True), pk=pk)
    suffix = PurePosixPath(document.file.name).suffix
    return file_response(document.file, f"{document.title}{suffix}")


def registration_calendar(request):
    """Holiday periods with their registration opening, generated from the periods."""
    periods = Period.objects.filter(kind=Period.HOLIDAYS, end_date__gte=timezone.localdate())
    structures = Structure.objects.order_by("name").prefetch_related(
        Prefetch("periods", queryset=periods.order_by("start_date"), to_attr="coming_holidays")
    )
    return render(request, "portal/calendar.html", {"structures": structures, "public": True})


@guardian_required
def home(request):
    family = request.family
    today = timezone.localdate()
    children = list(Child.objects.for_family(family))
    quotient = Quotient.objects.for_family(family).first()
    state = rules.quotient_state(quotient, today)
    return render(
        request,
        "portal/home.html",
        {
            "family": family,
            "children": children,
            "to_check": [c for c in children if c.info_checked_at is None],
            "quotient": quotient,
            "quotient_state": state,
            "quotient_words": quotient_words(family, quotient, state),
            "checkin_alerts": checkin_alerts(family, children),
            "balance": balance(family),
        },
    )
