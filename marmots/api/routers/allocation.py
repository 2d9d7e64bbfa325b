"""Allocation of places on request: a family's periods and request; the manager's proposal,
its hand adjustments and its confirmation.

Every rule is `places.actions`'s, as for the portal and the back-office. A family reaches only
the periods of its structures and its own request (another family's child answers 404); a
manager the periods of the structures they manage (staff read the proposal).
"""

from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from marmots.activities.models import Period, TimeSlot
from marmots.bookings import waitlist
from marmots.families.models import Child
from marmots.places import actions
from marmots.places.models import Allocation, AllocationRequest, AllocationWish
from marmots.portal.allocation_days import family_periods, state_of

from ..schemas import ErrorOut
from ..schemas_allocation import AdjustIn, PeriodOut, ProposalOut, RequestIn, RequestOut
from .bookings import _family, _find
from .manager import _managed_structures, _staff_structures

router = Router(tags=["Attribution des places"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
NO_PERIOD = "Période introuvable ou sans attribution sur demande."

# Serialization


def _wish(wish, positions, reveal=True):
    shown = {
        "proposed": wish.proposed,
        "outcome": wish.outcome,
        "reason": wish.reason,
        "booking_id": wish.booking_id,
        "waitlist_position": positions.get(wish.waitlist_entry_id),
    }
    if not reveal:
        shown = {**shown, "proposed": None, "outcome": "", "reason": ""}
    return {
        "id": wish.pk,
        "child_id": wish.child_id,
        "child": wish.child.first_name,
        "slot_id": wish.slot_id,
        "slot": wish.slot.label,
        "date": wish.date,
        "preference": wish.preference,
        **shown,
    }


def _request(req, wishes, reveal=True):
    """A request and its wishes; `reveal` False (a family before the manager confirms) leaves
    out the draft: proposal, score, rank, criteria, outcomes and reasons."""
    entries = [w.waitlist_entry for w in wishes if w.waitlist_entry_id]
    positions = waitlist.positions(entries) if entries else {}
    return {
        "id": req.pk,
        "period_id": req.allocation.period_id,
        "status": req.status,
        "declares_working": req.declares_working,
        "declares_special_needs": req.declares_special_needs,
        "note": req.note,
        "created_at": req.created_at,
        "score": req.score if reveal else None,
        "rank": req.rank if reveal else None,
        "criteria": (req.criteria or []) if reveal else [],
        "wishes": [_wish(w, positions, reveal) for w in wishes],
    }


def _wishes_of(req):
    return list(
        req.wishes.select_related("child", "slot", "waitlist_entry").order_by(
            "date", "slot__start_time", "child_id"
        )
    )


def _proposal(view):
    allocation = view.allocation
    requests = [
        {**_request(r, list(r.wishes.all())), "family_id": r.family_id, "family": r.family.name}
        for r in view.requests
    ]
    days = [
        {
            "slot_id": d.slot.pk,
            "slot": d.slot.label,
            "date": d.date,
            "places": d.places,
            "taken": d.taken,
            "granted": d.granted,
            "asked": d.asked,
            "rate": d.rate,
        }
        for d in view.days
    ]
    return {
        "period_id": allocation.period_id,
        "status": allocation.status,
        "proposed_at": allocation.proposed_at,
        "confirmed_at": allocation.confirmed_at,
        "requests": requests,
        "days": days,
    }


# Family


def _period_allocation(periods, period_id):
    """(period, allocation) of the period `period_id` among `periods`, in allocation mode, or
    404."""
    period = _find(periods, [period_id], NO_PERIOD)[period_id]
    try:
        return period, period.allocation
    except Allocation.DoesNotExist:
        raise HttpError(404, NO_PERIOD) from None


def _family_period(family, period_id):
    """(period, allocation) of one of the family's periods in allocation mode, or 404."""
    return _period_allocation(family_periods(family), period_id)


def _family_view(req):
    """What a family may read of its request: the result only once the allocation is confirmed
    (as on the portal), never the manager's draft."""
    reveal = req.allocation.status == Allocation.CONFIRMED
    return _request(req, _wishes_of(req), reveal)


def _active(family, allocation):
    """The family's active request for the allocation, or 404."""
    mine = (
        AllocationRequest.objects.for_family(family)
        .filter(allocation=allocation, status=AllocationRequest.ACTIVE)
        .select_related("allocation")
        .first()
    )
    if mine is None:
        raise HttpError(404, "Aucune demande pour cette période.")
    return mine


@router.get(
    "/allocation/periods",
    response={200: list[PeriodOut], **ERRORS},
    summary="Périodes attribuées sur demande",
)
def allocation_periods(request):
    """Periods of the family's structures whose places are allocated on request, not ended."""
    family, now = _family(request), timezone.now()
    periods = family_periods(family).filter(end_date__gte=timezone.localdate())
    periods = periods.exclude(allocation=None).order_by("start_date")
    mine = set(
        AllocationRequest.objects.for_family(family)
        .filter(status=AllocationRequest.ACTIVE)
        .values_list("allocation_id", flat=True)
    )
    return [
        {
            "id": p.pk,
            "name": p.name,
            "structure": p.structure.name,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "requests_close_at": p.requests_close_at,
            "state": state_of(p, p.allocation, now),
            "has_request": p.allocation.pk in mine,
        }
        for p in periods
    ]


@router.get(
    "/allocation/periods/{period_id}/request",
    response={200: RequestOut, **ERRORS},
    summary="Ma demande de places pour une période (et son résultat)",
)
def request_get(request, period_id: int):
    family = _family(request)
    _period, allocation = _family_period(family, period_id)
    mine = _active(family, allocation)
    return _family_view(mine)


@router.put(
    "/allocation/periods/{period_id}/request",
    response={200: RequestOut, **ERRORS},
    summary="Envoyer ou remplacer ma demande de places",
)
def request_put(request, period_id: int, data: RequestIn):
    """Replaces the family's request (its days and declarations) until the closing date."""
    family = _family(request)
    period, _allocation = _family_period(family, period_id)
    children = _find(
        Child.objects.for_family(family), [w.child_id for w in data.wishes], "Enfant introuvable."
    )
    slots = _find(
        TimeSlot.objects.filter(activity__structure_id=period.structure_id),
        [w.slot_id for w in data.wishes],
        "Tranche horaire introuvable.",
    )
    wishes = [
        actions.WishInput(children[w.child_id], slots[w.slot_id], w.date, w.preference)
        for w in data.wishes
    ]
    saved = actions.save_request(
        request.auth,
        period,
        wishes,
        declares_working=data.declares_working,
        declares_special_needs=data.declares_special_needs,
        note=data.note,
    )
    return _family_view(saved)


@router.delete(
    "/allocation/periods/{period_id}/request",
    response={204: None, **ERRORS},
    summary="Retirer ma demande de places",
)
def request_delete(request, period_id: int):
    family = _family(request)
    _period, allocation = _family_period(family, period_id)
    mine = _active(family, allocation)
    actions.withdraw_request(request.auth, mine)
    return Status(204, None)


# Manager

MANAGER = "/manager/allocation"


def _manager_period(structure_ids, period_id):
    periods = Period.objects.filter(structure_id__in=structure_ids).select_related("allocation")
    return _period_allocation(periods, period_id)


@router.get(
    MANAGER + "/{period_id}",
    response={200: ProposalOut, **ERRORS},
    summary="Demandes classées, proposition et remplissage d'une période",
)
def proposal_get(request, period_id: int):
    _period, allocation = _manager_period(_staff_structures(request), period_id)
    return _proposal(actions.proposal(allocation))


@router.post(
    MANAGER + "/{period_id}/propose",
    response={200: ProposalOut, **ERRORS},
    summary="Calculer (ou recalculer) la proposition",
)
def proposal_compute(request, period_id: int):
    _period, allocation = _manager_period(_managed_structures(request), period_id)
    return _proposal(actions.propose(request.auth, allocation))


@router.post(
    MANAGER + "/wishes/{wish_id}/adjust",
    response={200: ProposalOut, **ERRORS},
    summary="Attribuer ou mettre en attente un jour demandé",
)
def wish_adjust(request, wish_id: int, data: AdjustIn):
    managed = _managed_structures(request)
    wishes = AllocationWish.objects.filter(
        request__allocation__period__structure_id__in=managed
    ).select_related("request__allocation__period__structure", "slot", "child")
    wish = _find(wishes, [wish_id], "Jour demandé introuvable.")[wish_id]
    return _proposal(actions.adjust(request.auth, wish, data.granted))


@router.post(
    MANAGER + "/{period_id}/confirm",
    response={200: ProposalOut, **ERRORS},
    summary="Confirmer l'attribution (réservations, listes d'attente, e-mails)",
)
def proposal_confirm(request, period_id: int):
    _period, allocation = _manager_period(_managed_structures(request), period_id)
    return _proposal(actions.proposal(actions.confirm(request.auth, allocation)))
