import pytest

from . import builders as b


@pytest.fixture
def frozen(time_machine):
    b.freeze(time_machine)
    return time_machine


@pytest.fixture
def activity(structure):
    return b.evening(structure)


@pytest.fixture
def holidays(structure):
    return b.holiday_activity(structure), b.toussaint(structure)
