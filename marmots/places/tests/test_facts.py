"""The criteria facts read from the database, in a fixed number of queries."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marmots.billing.models import BillingSettings
from marmots.enrollments.models import Enrollment
from marmots.places import actions, common, facts
from marmots.places.models import AllocationRequest
from tests import factories as f
from tests.house import enroll

from . import scenario as sc
from .scenario import D21


@pytest.fixture
def period(house, manager):
    actions.configure(
        manager, house.christmas, mode="allocation", requests_close_at=sc.CLOSE, now=sc.OPENS
    )
    BillingSettings.objects.create(structure=house.structure, resident_cities="Saint-Jean, Mieussy")
    house.christmas.refresh_from_db()
    return house.christmas


NAMES = itertools.count()


def family(house, *children, city=""):
    return sc.make_family(house, f"Famille{next(NAMES)}", children, city)


def ask(house, period, fam, children=None, **declared):
    kids = children or fam.children
    wishes = [actions.WishInput(c, house.camp_slot, D21) for c in kids]
    return actions.save_request(fam.user, period, wishes, now=sc.ASKING, **declared)


def met(period, *requests):
    loaded = list(common.active_requests(requests[0].allocation))
    result = facts.criteria(period, loaded)
    return {r.pk: set(result[r.pk]) for r in requests}


BORN = datetime.date(2019, 5, 14)


def test_each_criterion(house, period):
    alone = family(house, ("Ana", BORN, False))
    enrolled = family(house, ("Ben", BORN, False))
    enroll(house, enrolled.children[0], house.evening)
    sibling = family(house, ("Cam", BORN, False))
    brother = f.ChildFactory(family=sibling.family, first_name="Dan")
    enroll(house, brother, house.morning)
    pair = family(house, ("Eva", BORN, False), ("Fil", BORN, False))
    pai = family(house, ("Gus", BORN, True), city="saint  jean")
    requests = [
        ask(house, period, alone),
        ask(house, period, enrolled, declares_working=True),
        ask(house, period, sibling, declares_special_needs=True),
        ask(house, period, pair),
        ask(house, period, pai),
    ]
    assert list(met(period, *requests).values()) == [
        set(),
        {"enrolled", "working"},
        {"siblings", "special_needs"},
        {"siblings"},
        {"special_needs", "resident"},
    ]


def test_this_periods_enrollment_and_another_years_do_not_count(house, period):
    fam = family(house, ("Ana", BORN, False))
    child = fam.children[0]
    # Last school year's Wednesdays: another year.
    f.EnrollmentFactory(
        child=child,
        activity=house.evening,
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2026, 7, 3),
        status=Enrollment.VALIDATED,
    )
    request = ask(house, period, fam)
    assert met(period, request)[request.pk] == set()
    # An enrollment without a period, this school year: it counts.
    f.EnrollmentFactory(
        child=child,
        activity=house.morning,
        start_date=datetime.date(2026, 11, 2),
        end_date=datetime.date(2027, 7, 2),
        status=Enrollment.VALIDATED,
    )
    assert met(period, request)[request.pk] == {"enrolled"}


def test_criteria_and_proposal_in_a_fixed_number_of_queries(house, period, manager):
    def queries():
        allocation = AllocationRequest.objects.first().allocation
        loaded = list(common.active_requests(allocation))
        with CaptureQueriesContext(connection) as criteria:
            facts.criteria(period, loaded)
        with CaptureQueriesContext(connection) as proposing:
            actions.propose(manager, allocation, now=sc.AFTER_CLOSE)
        with CaptureQueriesContext(connection) as viewing:
            actions.proposal(allocation)
        return len(criteria), len(proposing), len(viewing)

    for n in range(2):
        ask(house, period, family(house, (f"A{n}", BORN, False)))
    few = queries()
    for n in range(6):
        fam = family(house, (f"B{n}", BORN, n % 2 == 0), (f"C{n}", BORN, False))
        enroll(house, fam.children[0], house.evening)
        ask(house, period, fam)
    assert queries() == few
    assert few[0] == 3
