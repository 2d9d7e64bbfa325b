"""Simultaneous wrong PINs on one kiosk: the lock counts every one of them, in turn."""

import pytest

from marmots.bookings.tests.test_concurrency import race
from marmots.checkin import devices
from marmots.checkin.tests.conftest import paired_kiosk

GUESSES = 30


@pytest.mark.django_db(transaction=True)
def test_thirty_simultaneous_guesses_get_five_answers_and_a_lock(postgres, manager, structure):
    kiosk = paired_kiosk(manager, structure)

    def guess(pin):
        def attempt():
            try:
                devices.identify(kiosk, pin=pin)
            except devices.Refusal as refusal:
                return refusal.code
            return "identified"

        return attempt

    results = race([guess(f"{130000 + n:06d}") for n in range(GUESSES)])

    # Without the row lock, most of them passed the check before any failure was counted.
    assert results.count("code_incorrect") == devices.FAILURES
    assert results.count("saisie_bloquee") == GUESSES - devices.FAILURES
    assert devices.locked(kiosk)
