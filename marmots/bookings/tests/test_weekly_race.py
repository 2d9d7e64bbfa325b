"""Saving a weekly template twice at once (a double click): one save waits for the other."""

import threading

import pytest
from django.db import connection

from marmots.activities.models import TimeSlot
from marmots.bookings import weekly
from marmots.bookings.models import TemplateEntry
from tests.house import enroll

SAVES = 8


@pytest.mark.django_db(transaction=True)
def test_parallel_saves_keep_one_template(postgres, house, child_a, guardian_a):
    enroll(house, child_a, house.evening)
    slot = TimeSlot.objects.select_related("activity__structure").get(pk=house.snack_slot.pk)
    weekly.save_template(guardian_a.user, child_a, [weekly.Entry(slot, 0)])
    barrier, errors = threading.Barrier(SAVES), []

    def save():
        try:
            barrier.wait(timeout=30)
            entries = [weekly.Entry(slot, 0), weekly.Entry(slot, 1)]
            weekly.save_template(guardian_a.user, child_a, entries)
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save) for _ in range(SAVES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Without the lock on the child, the saves delete then insert together: IntegrityError.
    assert not errors, errors
    assert TemplateEntry.objects.filter(child=child_a).count() == 2
