import pytest

from tests import factories as f


@pytest.fixture
def activity(structure):
    return f.ActivityFactory(structure=structure, name="Périscolaire soir")


@pytest.fixture
def period(structure):
    return f.PeriodFactory(structure=structure)
