"""What waits for the manager about bookings: late cancellations and absences to excuse,
certificates to approve, and families' booking requests to accept or refuse."""

from pathlib import PurePosixPath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from marmots.activities.models import TimeSlot
from marmots.bookings import absences, capacity, rules
from marmots.bookings.models import Booking, BookingRequest
from marmots.bookings.requests import decide_request
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.families.files import file_response

from .forms import ChangeRequestDecisionForm
from .forms_bookings import DayCapacityForm, ExcuseForm
from .views_requests import _decide

LIST_LIMIT = 200


def bookings(request):
    """Bookings of the user's structures."""
    return Booking.objects.filter(slot__activity__structure__in=request.structures)


def to_excuse(request):
    """Late cancellations and absences not excused yet."""
    return bookings(request).filter(
        status__in=[Booking.LATE_CANCELLED, Booking.ABSENT], excused=False
    )


def certificates_to_approve(request):
    return to_excuse(request).filter(status=Booking.ABSENT).exclude(certificate="")


def pending_requests(request):
    return BookingRequest.objects.filter(
        slot__activity__structure__in=request.structures, status=BookingRequest.PENDING
    )


def _render_excuses(request, forms=None, status=200):
    related = ("child__family", "slot__activity")
    certificates = certificates_to_approve(request).select_related(*related)
    others = (
        to_excuse(request)
        .exclude(pk__in=certificates.values("pk"))
        .select_related(*related)
        .order_by("-date", "slot__start_time")
    )
    forms = forms or {}

    def rows(queryset):
        return [
            (b, forms.get(b.pk) or ExcuseForm(prefix=f"e{b.pk}")) for b in queryset[:LIST_LIMIT]
        ]

    context = {
        "certificates": rows(certificates.order_by("date")),
        "others": rows(others),
        "limit": LIST_LIMIT,
    }
    return render(request, "backoffice/bookings/excuses.html", context, status=status)


@staff_required
@require_GET
def excuses(request):
    return _render_excuses(request)


@manager_required
@require_GET
def certificate_file(request, pk):
    booking = get_or_404(bookings(request).exclude(certificate=""), pk=pk)
    suffix = PurePosixPath(booking.certificate.name).suffix
    return file_response(booking.certificate, f"certificat-{booking.pk}{suffix}", inline=True)


def _what(booking):
    return f"{booking.child.first_name} {booking.child.last_name}, {rules.fr_day(booking.date)}"


@require_POST
@manager_required
def excuse(request, pk):
    booking = get_or_404(to_excuse(request).select_related("child"), pk=pk)
    form = ExcuseForm(request.POST, prefix=f"e{pk}")
    if form.is_valid():
        try:
            absences.excuse(request.user, booking, form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, f"{_what(booking)} : excusé, ne sera pas facturé.")
            return redirect("backoffice:booking_excuses")
    messages.error(request, "Rien n'a été excusé : corrigez le formulaire.")
    return _render_excuses(request, {pk: form}, status=400)


@require_POST
@manager_required
def approve_certificate(request, pk):
    booking = get_or_404(certificates_to_approve(request).select_related("child"), pk=pk)
    try:
        absences.approve_certificate(request.user, booking)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{_what(booking)} : certificat approuvé, absence excusée.")
    return redirect("backoffice:booking_excuses")


# Booking requests ------------------------------------------------------------------------------


def _render_requests(request, forms=None, status=200):
    pending = pending_requests(request).select_related(
        "child__family", "slot__activity", "created_by"
    )
    rows = [
        (r, (forms or {}).get(r.pk) or ChangeRequestDecisionForm(prefix=f"r{r.pk}"))
        for r in pending.order_by("date", "created_at")[:LIST_LIMIT]
    ]
    context = {"rows": rows, "limit": LIST_LIMIT}
    return render(request, "backoffice/bookings/requests.html", context, status=status)


@staff_required
@require_GET
def booking_requests(request):
    return _render_requests(request)


@require_POST
@manager_required
def booking_request_decide(request, pk):
    booking_request = get_or_404(pending_requests(request).select_related("child"), pk=pk)
    form = ChangeRequestDecisionForm(request.POST, prefix=f"r{pk}")
    child = booking_request.child
    return _decide(
        request,
        form,
        lambda form: decide_request(
            request.user, booking_request, accept=form.accept, reason=form.cleaned_data["note"]
        ),
        lambda form: (
            f"Demande pour {child.first_name} {child.last_name} "
            f"({rules.fr_day(booking_request.date)}) {'acceptée' if form.accept else 'refusée'}."
        ),
        "backoffice:booking_requests",
        lambda status: _render_requests(request, {pk: form}, status=status),
        "La demande n'a pas été traitée.",
    )


@require_POST
@manager_required
def day_capacity(request):
    """The fill-rate page's form: the places of one slot on one day."""
    slots = TimeSlot.objects.filter(activity__structure__in=request.structures).select_related(
        "activity__structure"
    )
    form = DayCapacityForm(request.POST, slots=slots)
    back = redirect("backoffice:booking_fill")
    if form.is_valid():
        slot, day = form.cleaned_data["slot"], form.cleaned_data["date"]
        back["Location"] += f"?mois={day:%Y-%m}&activite={slot.activity_id}"
        try:
            capacity.set_day_capacity(request.user, slot, day, form.cleaned_data["places"])
        except ValidationError as error:
            messages.error(request, f"Places inchangées : {error.messages[0]}")
        else:
            messages.success(request, f"{slot} le {rules.fr_day(day)} : places enregistrées.")
        return back
    errors = "; ".join(e for field in form.errors.values() for e in field)
    messages.error(request, f"Places inchangées : {errors}")
    return back
