"""The kiosk persona: a paired tablet of the structure, and a client that sends its token.

Other test folders may import these fixtures and helpers:
`from marmots.checkin.tests.conftest import kiosk, kiosk_client  # noqa: F401`.
"""

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.checkin import devices
from tests.house import MONDAY, at


def paired_kiosk(manager, structure, name="Entrée principale"):
    """A kiosk created by the manager and paired; its device token is in `kiosk.token`."""
    _, code = devices.create_kiosk(manager, structure, name)
    kiosk, token = devices.pair(code, timezone.now())
    kiosk.token = token
    return kiosk


def kiosk_client_for(kiosk):
    return Client(enforce_csrf_checks=True, headers={"authorization": f"Bearer {kiosk.token}"})


@pytest.fixture
def kiosk(manager, structure):
    return paired_kiosk(manager, structure)


@pytest.fixture
def kiosk_client(kiosk):
    return kiosk_client_for(kiosk)


def book(manager, child, slots, day):
    """Book `slots` for `child` on `day`, as the manager on the family's behalf (any time)."""
    outcomes = actions.book(manager, [Change(child, slot, day) for slot in slots], now=at(day, 6))
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    return [o.booking for o in outcomes]


def forged(kiosk, family, genuine):
    """Grants for `family` a kiosk could craft: another grant's signature on its payload, and
    a payload signed with another salt."""
    payload = devices.grant_for(kiosk, family, MONDAY).rsplit(":", 1)[0]
    return [
        payload + ":" + genuine.rsplit(":", 1)[1],
        signing.dumps({"k": kiosk.pk, "f": family.pk, "d": MONDAY.isoformat()}, salt="other"),
    ]
