import pytest

from marmots.accounts.links import send_account_link
from tests import factories as f

from .helpers import link_in, path_of


@pytest.fixture
def newcomer(family_a):
    """A guardian the manager just created: no password yet."""
    guardian = f.GuardianFactory(
        family=family_a, user__email="ines.martin@example.org", user__first_name="Inès"
    )
    guardian.user.set_unusable_password()
    guardian.user.save()
    return guardian.user


@pytest.fixture
def init_link(smtp_server, newcomer, manager):
    """The path of the initialisation link the newcomer received by e-mail."""
    send_account_link(newcomer, "init", actor=manager)
    assert len(smtp_server) == 1
    return path_of(link_in(smtp_server[0]))
