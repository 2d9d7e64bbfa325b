"""Fixed personas for every test: a guardian of family A, a guardian of family B, a manager and
a staff member of the structure, and a manager of another structure.

Set MARMOTS_REQUIRE_ALL=1 (CI does) to turn any skipped test into a failure.
"""

import os

import pytest

from tests import factories as f

REQUIRE_ALL = os.environ.get("MARMOTS_REQUIRE_ALL") == "1"


def skip_or_fail(reason):
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (MARMOTS_REQUIRE_ALL=1: nothing may be skipped)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 (the production hasher, see test_production_hasher) costs most of a second per
    hash here; the tests check the flows, not the hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Production queues tasks in the database for the worker (tested in core's
    test_task_worker); elsewhere they run at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def file_storage(settings, tmp_path):
    """Files the tests store go to a temporary folder, through the same storage API."""
    location = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    settings.MEDIA_ROOT = location
    return location


@pytest.fixture
def structure(db):
    return f.StructureFactory(name="Les Petits Montagnards", slug="petits-montagnards")


@pytest.fixture
def other_structure(db):
    return f.StructureFactory(name="Accueil de Taninges", slug="taninges", city="Taninges")


@pytest.fixture
def manager(structure):
    return f.MembershipFactory(
        structure=structure,
        role="manager",
        user__email="gestion@example.org",
        user__first_name="Sophie",
        user__last_name="Gestion",
    ).user


@pytest.fixture
def staff(structure):
    return f.MembershipFactory(
        structure=structure,
        role="staff",
        user__email="animation@example.org",
        user__first_name="Nadia",
        user__last_name="Animation",
    ).user


@pytest.fixture
def other_manager(other_structure):
    return f.MembershipFactory(
        structure=other_structure,
        role="manager",
        user__email="gestion@taninges.example.org",
        user__first_name="Marc",
        user__last_name="Taninges",
    ).user


@pytest.fixture
def family_a(structure):
    family = f.FamilyFactory(name="Martin", structures=[structure])
    f.QuotientFactory(family=family, value=540)
    return family


@pytest.fixture
def guardian_a(family_a):
    return f.GuardianFactory(
        family=family_a,
        user__email="claire.martin@example.org",
        user__first_name="Claire",
        user__last_name="Martin",
    )


@pytest.fixture
def child_a(family_a):
    return f.ChildFactory(family=family_a, first_name="Léa")


@pytest.fixture
def family_b(structure):
    return f.FamilyFactory(name="Bernard", structures=[structure])


@pytest.fixture
def guardian_b(family_b):
    return f.GuardianFactory(
        family=family_b,
        user__email="paul.bernard@example.org",
        user__first_name="Paul",
        user__last_name="Bernard",
    )


@pytest.fixture
def child_b(family_b):
    return f.ChildFactory(family=family_b, first_name="Hugo")


def _logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def client_a(client, guardian_a):
    return _logged_in(client, guardian_a.user)


@pytest.fixture
def client_b(client, guardian_b):
    return _logged_in(client, guardian_b.user)


@pytest.fixture
def client_manager(client, manager):
    return _logged_in(client, manager)


@pytest.fixture
def client_staff(client, staff):
    return _logged_in(client, staff)


@pytest.fixture
def postgres(db, settings):
    """Mark a test as needing PostgreSQL (concurrency, locks)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


def pytest_collection_modifyitems(items):
    """Tests using the `postgres` fixture carry the marker, so CI's SQLite pass deselects
    them instead of skipping them."""
    for item in items:
        if "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} TESTS SKIPPED", red=True, bold=True)
        reasons = sorted({str(r.longrepr[-1]) for r in skipped if r.longrepr})
        for reason in reasons:
            terminalreporter.write_line(f"  skipped: {reason}", red=True)
        terminalreporter.write_line(
            "  Install Chromium (apt-get install chromium) and run with "
            "DATABASE_URL=postgres://... to run everything.",
            red=True,
        )


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on loopback; Django sends to it through its SMTP backend.

    Yields the list of received `email.message.EmailMessage` objects.
    """
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            received.append(message)
            return "250 OK"

    # aiosmtpd cannot start on port 0 (it connects to its own port to check it is up).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield received
    controller.stop()


@pytest.fixture
def house(structure):
    """The house rules of Les Petits Montagnards: periods, deadlines, activities."""
    from tests import house as h

    return h.build(structure)


@pytest.fixture
def tariffs(house):
    """The demo prices of the shared demo settings, valid from 1 September 2026."""
    from marmots.billing.demo import create_demo_tariffs

    return create_demo_tariffs(house.structure)
