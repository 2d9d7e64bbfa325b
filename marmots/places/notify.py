"""The e-mail each family receives once the allocation is confirmed: what it got, what waits on
a waiting list (with its position), why, and its score with the criteria met."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_tasks import task

from marmots.bookings import waitlist
from marmots.bookings.models import WaitlistEntry
from marmots.bookings.tasks import OFFER_PATH
from marmots.portal.frdates import long_date, long_datetime

from .models import AllocationRequest, AllocationWish

TEMPLATE = "places/emails/allocation_result.txt"


def _portal_url(period):
    try:
        path = reverse("portal:allocation_period", args=[period.pk])
    except NoReverseMatch:
        path = "/portail/attribution/"
    return settings.SITE_URL.rstrip("/") + path


def _line(wish, positions):
    line = {
        "child": wish.child.first_name,
        "day": long_date(wish.date),
        "slot": wish.slot.label,
        "activity": wish.slot.activity.name,
        "reason": wish.reason,
    }
    entry = wish.waitlist_entry
    if wish.outcome == AllocationWish.BOOKED:
        return "booked", line
    if wish.outcome == AllocationWish.REFUSED or entry is None:
        return "refused", line
    if entry.status == WaitlistEntry.BOOKED:
        return "booked", line
    if entry.status == WaitlistEntry.OFFERED:
        line["expires"] = long_datetime(entry.offer_expires_at)
        line["url"] = settings.SITE_URL.rstrip("/") + OFFER_PATH.format(token=entry.token)
        return "offered", line
    if entry.status == WaitlistEntry.WAITING:
        line["position"] = positions.get(entry.pk)
        return "waiting", line
    line["reason"] = f"liste d'attente : {entry.get_status_display().lower()}"
    return "refused", line


def result_context(request):
    """What the result e-mail says about `request` (also usable by a page)."""
    period = request.allocation.period
    wishes = list(
        request.wishes.select_related("child", "slot__activity", "waitlist_entry").order_by(
            "date", "slot__start_time", "child__first_name"
        )
    )
    positions = waitlist.positions([w.waitlist_entry for w in wishes if w.waitlist_entry])
    groups = {"booked": [], "offered": [], "waiting": [], "refused": []}
    for wish in wishes:
        kind, line = _line(wish, positions)
        groups[kind].append(line)
    total = AllocationRequest.objects.filter(
        allocation_id=request.allocation_id, status=AllocationRequest.ACTIVE
    ).count()
    return {
        "request": request,
        "period": period,
        "structure": period.structure,
        "total": total,
        "criteria": request.criteria,
        "portal_url": _portal_url(period),
        **groups,
    }


@task()
def send_allocation_result(request_id):
    """E-mail the family's guardians (one message each) the result of its request."""
    request = AllocationRequest.objects.select_related(
        "allocation__period__structure", "family"
    ).get(pk=request_id)
    context = result_context(request)
    body = render_to_string(TEMPLATE, context)
    period = context["period"]
    subject = f"Attribution des places : {period.name} – {period.structure.name}"
    guardians = request.family.guardians.filter(
        user__isnull=False, user__is_active=True
    ).select_related("user")
    messages = [EmailMessage(subject, body, to=[g.user.email]) for g in guardians if g.user.email]
    sent = get_connection().send_messages(messages) or 0
    AllocationRequest.objects.filter(pk=request.pk).update(notified_at=timezone.now())
    return sent
