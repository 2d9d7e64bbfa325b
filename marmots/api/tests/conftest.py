"""Fixtures for the API tests: activities, enrollments and bearer-token clients.

The clock is fixed on Monday 15 June 2026, before the 2026-2027 school year.
"""

import datetime

import pytest
import time_machine
from django.test import Client

from marmots.accounts.models import ApiToken
from marmots.enrollments.models import Enrollment
from tests import factories as f

TODAY = datetime.date(2026, 6, 15)
START = datetime.date(2026, 9, 1)
END = datetime.date(2027, 7, 3)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def activity(structure):
    return f.ActivityFactory(structure=structure, name="Périscolaire soir")


@pytest.fixture
def other_activity(other_structure):
    return f.ActivityFactory(structure=other_structure, name="Périscolaire soir (Taninges)")


@pytest.fixture
def enrollment_a(child_a, activity):
    return f.EnrollmentFactory(child=child_a, activity=activity, start_date=START, end_date=END)


@pytest.fixture
def enrollment_b(child_b, activity):
    return f.EnrollmentFactory(child=child_b, activity=activity, start_date=START, end_date=END)


@pytest.fixture
def enrollment_elsewhere(child_a, other_activity):
    """A pending request of family A at another structure."""
    return f.EnrollmentFactory(
        child=child_a, activity=other_activity, start_date=START, end_date=END
    )


def bearer_client(user):
    """A client that authenticates with a fresh token and enforces CSRF like a real one."""
    _, key = ApiToken.issue(user, name="tests")
    return Client(enforce_csrf_checks=True, headers={"authorization": f"Bearer {key}"})


@pytest.fixture
def api_a(guardian_a):
    return bearer_client(guardian_a.user)


@pytest.fixture
def api_b(guardian_b):
    return bearer_client(guardian_b.user)


@pytest.fixture
def api_manager(manager):
    return bearer_client(manager)


@pytest.fixture
def api_staff(staff):
    return bearer_client(staff)


@pytest.fixture
def api_other_manager(other_manager):
    return bearer_client(other_manager)


def enrollment_count():
    return Enrollment.objects.count()
