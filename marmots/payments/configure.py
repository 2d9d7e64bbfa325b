"""The manager's choice of online payment provider for the structure (audited)."""

from django.db import transaction

from marmots.billing.actions import check_manager
from marmots.core.audit import record

from .models import ProviderSettings


def provider_of(structure):
    """The structure's provider settings (an unsaved empty one when none was chosen yet)."""
    found = ProviderSettings.objects.filter(structure=structure).first()
    return found or ProviderSettings(structure=structure)


def save_provider_settings(structure, actor, form):
    """Save a valid `ProviderSettingsForm` as the structure's provider settings."""
    check_manager(actor, structure)
    data = form.cleaned_data
    with transaction.atomic():
        provider, _ = ProviderSettings.objects.select_for_update().get_or_create(
            structure=structure
        )
        before = {"kind": provider.kind, "options": provider.options, "env": provider.secret_env}
        provider.kind = data["kind"]
        provider.options = form.options()
        provider.secret_env = (
            data["secret_env"] if data["kind"] == ProviderSettings.SYSTEMPAY else ""
        )
        provider.minimum_amount = data["minimum_amount"]
        provider.save()
        after = {"kind": provider.kind, "options": provider.options, "env": provider.secret_env}
        after["minimum_amount"] = str(provider.minimum_amount)
        record(actor, "provider_settings.update", provider, before=before, after=after)
    return provider
