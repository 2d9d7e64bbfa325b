"""Allocation of places on request: what every channel (portal, back-office, API) calls.

A period in allocation mode takes the families' requests until a closing date; the manager then
ranks them by priority points, computes a proposal (never over the places or an age group's),
adjusts it by hand and confirms it: granted days become bookings, the others join the waiting
lists. Each action owns its transaction, checks who acts, enforces every rule on the server,
writes its audit entry ("allocation.*") and raises ValidationError with a French message
(PermissionDenied for the wrong person) changing nothing. The work is done in `configuring`,
`requesting`, `proposing` and `confirming`; the rules themselves are pure (`ranking`, `proposal`).
"""

from dataclasses import dataclass, field

from . import common, configuring, proposing, requesting
from .proposal import fill_rate


@dataclass(frozen=True)
class WishInput:
    """One day asked for one child: `child`, `slot` (a TimeSlot), `date`, `preference` (1 = most
    wanted; the same number for days equally wanted)."""

    child: object
    slot: object
    date: object
    preference: int = 1


@dataclass
class DayFill:
    """One slot-day of the proposal: places, already taken, granted, asked, fill rate (0..1)."""

    slot: object
    date: object
    places: int | None
    taken: int
    granted: int
    asked: int

    @property
    def rate(self):
        return fill_rate(self.places, self.taken, self.granted)


@dataclass
class ProposalView:
    """What the allocation screen shows: requests in rank order (each with `.wishes` loaded
    and its stored `score`, `rank`, `criteria`), and the fill of each slot-day."""

    allocation: object
    requests: list = field(default_factory=list)
    days: list = field(default_factory=list)  # [DayFill], by date then slot


def configure(actor, period, *, mode, requests_close_at=None, points=None, now=None):
    """The manager sets a period's places mode ("first_come" or "allocation"), the closing date
    of requests and the points per criterion ({"enrolled": 3, "siblings": 2, "working": 2,
    "resident": 2, "special_needs": 3}); creates the period's Allocation when needed.
    Refused once the allocation is confirmed, or when leaving allocation mode with requests.

    Returns the period's Allocation (None when the period never used allocation). Missing
    points keep their current value (the defaults for a new allocation). Changing anything
    after a proposal sends the allocation back to collecting: the proposal is to compute
    again."""
    return configuring.configure(
        actor, period, mode=mode, requests_close_at=requests_close_at, points=points, now=now
    )


def save_request(
    actor,
    period,
    wishes,
    *,
    declares_working=False,
    declares_special_needs=False,
    note="",
    now=None,
):
    """Create or replace the family's active request for `period` (allocation mode, before its
    closing date): `wishes` is a list of WishInput for the actor's own children (a manager may
    act for a family: then every child must be of one family). Each child needs a validated
    enrollment for the slot's activity covering the day, and an age group of the slot taking
    children of its age that day (when the slot has groups); each day must be one the activity
    runs in that period. Returns the AllocationRequest.

    Replacing keeps the request's `created_at` (its first sending): the date of the request is
    the last tie-break of the ranking."""
    return requesting.save_request(
        actor,
        period,
        wishes,
        declares_working=declares_working,
        declares_special_needs=declares_special_needs,
        note=note,
        now=now,
    )


def withdraw_request(actor, request, *, now=None):
    """The family (or the manager) withdraws a request before the allocation is confirmed."""
    return requesting.withdraw_request(actor, request, now=now)


def propose(actor, allocation, *, now=None):
    """Rank the active requests (criteria facts gathered now, stored on each request: score,
    rank, criteria) and compute the proposal (`AllocationWish.proposed`), never over capacity.
    Allowed after the requests' closing date, while not confirmed; recomputing discards hand
    adjustments. A wish no age group of its slot takes (groups edited after the request) is
    refused at once (`outcome` "refused", with its reason), out of the proposal. Returns a
    ProposalView."""
    return proposing.propose(actor, allocation, now=now)


def adjust(actor, wish, granted, *, now=None):
    """The manager grants (True) or withholds (False) one wish by hand, for all the children of
    the same request asking that slot-day together. Refused in French when granting would exceed
    the places (age groups included). Returns the ProposalView."""
    return proposing.adjust(actor, wish, granted, now=now)


def proposal(allocation):
    """The ProposalView of the allocation as it stands (read only)."""
    return proposing.view(allocation)


def confirm(actor, allocation, *, now=None):
    """Apply the proposal in one transaction: bookings for granted wishes, waiting-list entries
    (bookings.WaitlistEntry, source "allocation") for the others in rank order, except the
    children no age group of the slot takes that day (refused, never waitlisted), outcomes and
    reasons stored on each wish, the period's `allocated_at` set (from then families book the
    remaining places first come, first served), and every family e-mailed its result after
    commit. Returns the allocation.

    Refused (nothing changed) when the proposal no longer fits the places counted now, or
    leaves out a request that would fit in a place left free."""
    from . import confirming

    return confirming.confirm(actor, allocation, now=now)


def points_of(allocation):
    """{criterion code: points} of the allocation."""
    return common.points_of(allocation)
