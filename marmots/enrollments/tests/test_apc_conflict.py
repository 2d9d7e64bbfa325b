"""R9 on the enrollment side: no annual activity at the time the child is collected from APC."""

import datetime
import html

import pytest
from django.core.exceptions import ValidationError

from marmots.activities.models import Activity
from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.enrollments.actions import request_enrollment
from marmots.enrollments.models import Enrollment
from tests import factories as f
from tests.house import MONDAY, at, enroll

TUESDAY = MONDAY + datetime.timedelta(days=8)  # 08/12/2026, deadline Friday 04/12 8:30
END = datetime.date(2027, 7, 2)
CONFLICT = (
    "Léa est récupéré(e) à la fin des APC le mardi 08/12/2026 : l'activité « Cirque » a lieu "
    "au même moment. Retirez d'abord la récupération APC."
)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(at(MONDAY, 10), tick=False)


@pytest.fixture
def with_apc(house, child_a, guardian_a, frozen):
    """Léa is booked on Tuesday 08/12 at 17:30 with APC pick-up."""
    enroll(house, child_a, house.evening)
    (outcome,) = actions.book(
        guardian_a.user,
        [Change(child_a, house.apc_slot, TUESDAY, with_apc=True)],
        now=at(MONDAY, 9),
    )
    assert outcome.ok
    return outcome.booking


def ask(child, activity, actor, start=MONDAY):
    return request_enrollment(child, activity, start_date=start, end_date=END, actor=actor)


def test_tuesday_circus_refused_while_booked_with_apc(with_apc, house, child_a, guardian_a):
    with pytest.raises(ValidationError) as error:
        ask(child_a, house.circus, guardian_a.user)
    assert error.value.messages == [CONFLICT]
    assert not Enrollment.objects.filter(activity=house.circus).exists()


def test_the_manager_is_refused_too(with_apc, house, child_a, manager):
    with pytest.raises(ValidationError, match="récupéré"):
        ask(child_a, house.circus, manager)


def test_allowed_once_the_apc_pickup_is_cancelled(with_apc, house, child_a, guardian_a):
    actions.cancel(guardian_a.user, [actions.change_for(with_apc)], now=at(MONDAY, 9, 30))
    assert ask(child_a, house.circus, guardian_a.user).status == Enrollment.PENDING


def test_allowed_when_the_activity_starts_after_the_apc_day(with_apc, house, child_a, guardian_a):
    later = TUESDAY + datetime.timedelta(days=1)
    assert ask(child_a, house.circus, guardian_a.user, start=later).status == Enrollment.PENDING


def test_a_booking_without_apc_does_not_conflict(house, child_a, guardian_a, frozen):
    enroll(house, child_a, house.evening)
    actions.book(guardian_a.user, [Change(child_a, house.apc_slot, TUESDAY)], now=at(MONDAY, 9))
    assert ask(child_a, house.circus, guardian_a.user).status == Enrollment.PENDING


def test_past_apc_days_do_not_conflict(with_apc, house, child_a, guardian_a, time_machine):
    time_machine.move_to(at(TUESDAY + datetime.timedelta(days=1), 9), tick=False)
    later = TUESDAY + datetime.timedelta(days=1)
    assert ask(child_a, house.circus, guardian_a.user, start=later).status == Enrollment.PENDING


def test_other_days_and_other_times_do_not_conflict(with_apc, house, child_a, guardian_a):
    dance = f.ActivityFactory(
        structure=house.structure, name="Danse", kind=Activity.ANNUAL, weekdays=[3]
    )
    late_theatre = f.ActivityFactory(
        structure=house.structure, name="Théâtre", kind=Activity.ANNUAL, weekdays=[1]
    )
    f.TimeSlotFactory(
        activity=late_theatre,
        label="Théâtre",
        start_time=datetime.time(18, 30),
        end_time=datetime.time(19, 30),
    )
    assert ask(child_a, dance, guardian_a.user).status == Enrollment.PENDING
    assert ask(child_a, late_theatre, guardian_a.user).status == Enrollment.PENDING


def test_another_childs_apc_does_not_conflict(with_apc, house, child_b, guardian_b):
    assert ask(child_b, house.circus, guardian_b.user).status == Enrollment.PENDING


def test_the_portal_form_shows_why(with_apc, house, child_a, client_a):
    data = {
        "child": child_a.pk,
        "activity": house.circus.pk,
        "period": "",
        "start_date": MONDAY.isoformat(),
        "end_date": END.isoformat(),
        "comment": "",
    }
    response = client_a.post("/portail/inscriptions/demander/", data)
    assert response.status_code == 200
    assert CONFLICT in html.unescape(response.content.decode())
    assert not Enrollment.objects.filter(activity=house.circus).exists()


def test_validation_refused_when_apc_was_booked_after_the_request(
    house, child_a, guardian_a, manager, frozen
):
    from marmots.enrollments.actions import validate_enrollment

    enroll(house, child_a, house.evening)
    pending = ask(child_a, house.circus, guardian_a.user)
    (outcome,) = actions.book(
        guardian_a.user,
        [Change(child_a, house.apc_slot, TUESDAY, with_apc=True)],
        now=at(MONDAY, 9),
    )
    assert outcome.ok  # the circus is only requested: nothing forbids APC yet
    with pytest.raises(ValidationError) as error:
        validate_enrollment(pending, manager)
    assert error.value.messages == [CONFLICT]
    pending.refresh_from_db()
    assert pending.status == Enrollment.PENDING
