"""Production sends e-mails through the database task backend and `manage.py db_worker`:
nothing is sent until the worker runs, and the worker sends it."""

import pytest
from django.core.management import call_command

from marmots.accounts.links import send_account_link
from tests import factories as f


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_sends_the_queued_link(settings, smtp_server, family_a, manager):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    user = f.GuardianFactory(family=family_a, user__email="nouvelle@example.org").user

    send_account_link(user, "init", actor=manager)
    assert smtp_server == []  # queued in the database, not sent

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert [m["To"] for m in smtp_server] == ["nouvelle@example.org"]
