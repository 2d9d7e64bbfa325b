"""Uniqueness under concurrency is decided by the database, on PostgreSQL with real threads."""

import datetime
import itertools
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from marmots.accounts.models import User
from marmots.enrollments.actions import request_enrollment
from marmots.enrollments.models import Enrollment
from marmots.families.actions import add_guardian
from tests import factories as f

ATTEMPTS = 8


def race(action):
    """Run `action` in ATTEMPTS threads released together; return 'ok' / 'refused' per thread."""
    barrier = threading.Barrier(ATTEMPTS)
    results = []

    def attempt():
        try:
            barrier.wait()
            action()
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_one_login_per_email_when_managers_add_it_at_once(postgres, family_a, manager):
    def add():
        add_guardian(
            family_a, first_name="Zoé", last_name="Martin", email="zoe@example.org", actor=manager
        )

    assert race(add) == ["ok"] + ["refused"] * (ATTEMPTS - 1)
    assert User.objects.filter(email="zoe@example.org").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_request_when_a_family_double_submits(postgres, structure, child_a, guardian_a):
    activity = f.ActivityFactory(structure=structure)
    start = datetime.date.today() + datetime.timedelta(days=10)

    def ask():
        request_enrollment(
            child_a,
            activity,
            start_date=start,
            end_date=start + datetime.timedelta(days=30),
            actor=guardian_a.user,
        )

    assert race(ask) == ["ok"] + ["refused"] * (ATTEMPTS - 1)
    assert Enrollment.objects.filter(child=child_a).count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_requests_with_different_starts_are_serialised(
    postgres, structure, child_a, guardian_a
):
    # Each thread asks from another day: the unique (child, activity, start) index cannot
    # decide, the lock on the child row makes the overlap check see the winner.
    activity = f.ActivityFactory(structure=structure)
    first = datetime.date.today() + datetime.timedelta(days=10)
    offsets = itertools.count()

    def ask():
        start = first + datetime.timedelta(days=next(offsets))
        request_enrollment(
            child_a,
            activity,
            start_date=start,
            end_date=first + datetime.timedelta(days=60),
            actor=guardian_a.user,
        )

    assert race(ask) == ["ok"] + ["refused"] * (ATTEMPTS - 1)
    assert Enrollment.objects.filter(child=child_a).count() == 1
