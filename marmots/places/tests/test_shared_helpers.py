"""One fill rate for the proposal and its view, one French ordinal for the calendar and the
dashboard."""

import pytest

from marmots.bookings import month
from marmots.core.french import ordinal
from marmots.places import proposal
from marmots.places.actions import DayFill
from marmots.portal import dashboard


@pytest.mark.parametrize(
    "places, taken, granted, rate",
    [(None, 2, 1, None), (0, 0, 0, None), (4, 1, 1, 0.5), (3, 1, 2, 1.0)],
)
def test_one_fill_rate(places, taken, granted, rate):
    assert proposal.fill_rate(places, taken, granted) == rate
    assert proposal.Fill(places, taken, granted, 5).rate == rate
    assert DayFill(None, None, places, taken, granted, 5).rate == rate


def test_one_french_ordinal():
    assert [ordinal(n, feminine=True) for n in (1, 2, 11)] == ["1re", "2e", "11e"]
    assert ordinal(1) == "1er"
    assert month.ordinal is ordinal and dashboard.ordinal is ordinal
