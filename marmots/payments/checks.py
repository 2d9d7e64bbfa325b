"""System checks: the simulated bank accepts any payment, so it never runs in production."""

from django.conf import settings
from django.core.checks import Error, register


@register()
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
