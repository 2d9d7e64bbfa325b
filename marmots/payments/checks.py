"""System checks: the simulated bank accepts any payment, so it never runs in production.

`manage.py check` runs them, but gunicorn never does: `config/wsgi.py` calls
`refuse_to_serve_on_errors()` so a server started with a payments error does not start."""

from django.conf import settings
from django.core.checks import Error, register, run_checks
from django.core.exceptions import ImproperlyConfigured

TAG = "payments"


@register(TAG)
def demo_bank_only_in_debug(app_configs, **kwargs):
    if getattr(settings, "MARMOTS_DEMO_BANK", False) and not settings.DEBUG:
        return [
            Error(
                "MARMOTS_DEMO_BANK est activé alors que DEBUG est désactivé : la banque simulée "
                "accepte n'importe quel paiement.",
                hint="Retirez MARMOTS_DEMO_BANK de l'environnement de production.",
                id="payments.E001",
            )
        ]
    return []


def refuse_to_serve_on_errors():
    """Raise ImproperlyConfigured when a payments check finds an error (the web server's
    startup)."""
    errors = [e for e in run_checks(tags=[TAG]) if e.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(f"{e.id}: {e.msg} {e.hint or ''}" for e in errors))
