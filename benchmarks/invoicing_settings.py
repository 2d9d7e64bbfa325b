"""The production settings, with the invoicing run done in the benchmark's own process (the
immediate tasks backend) so that its time is measured from start to drafted."""

from config.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
