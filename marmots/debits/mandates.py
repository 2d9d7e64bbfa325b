"""Direct debit actions on the creditor settings and the families' mandates (re-exported by
`actions`, with the batch actions).

Each checks that a manager of the structure acts, owns its transaction, writes its audit entry
and says in French why it refuses. A family has one active mandate per structure (the database
says so too): recording a new one revokes the old in the same transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.billing.actions import check_manager
from marmots.billing.settling import lock_family
from marmots.core.audit import record
from marmots.families.models import Family

from . import queries, rules
from .models import DebitSettings, Mandate

# Creditor settings --------------------------------------------------------------------------


def save_settings(structure, actor, *, enabled, creditor_name, creditor_id, iban, bic, day):
    """Save the structure's creditor identity. What is filled in must be valid; everything
    is required once direct debit is offered (`enabled`)."""
    check_manager(actor, structure)
    values = {
        "enabled": bool(enabled),
        "creditor_name": (creditor_name or "").strip(),
        "creditor_id": rules.compact(creditor_id),
        "iban": rules.compact(iban),
        "bic": rules.compact(bic),
        "collection_day": day,
    }
    errors = {}
    if len(values["creditor_name"]) > 70:
        errors["creditor_name"] = "Le nom du créancier ne doit pas dépasser 70 caractères."
    elif enabled and not values["creditor_name"]:
        errors["creditor_name"] = "Indiquez le nom du créancier."
    for field, check in [
        ("creditor_id", rules.creditor_id_error),
        ("iban", rules.iban_error),
        ("bic", rules.bic_error),
    ]:
        if values[field] or enabled:
            errors[field] = check(values[field])
    if not isinstance(day, int) or not 1 <= day <= 28:
        errors["collection_day"] = "Choisissez un jour de prélèvement entre le 1er et le 28."
    errors = {field: message for field, message in errors.items() if message}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        queries.settings_for(structure)
        settings = DebitSettings.objects.select_for_update().get(structure=structure)
        before = {field: getattr(settings, field) for field in values}
        for field, value in values.items():
            setattr(settings, field, value)
        settings.save()
        record(actor, "debit_settings.update", settings, before=before, after=values)
    return settings


# Mandates -----------------------------------------------------------------------------------


def _mandate_errors(holder, iban, bic, signed_on):
    errors = {
        "iban": rules.iban_error(iban),
        "bic": rules.bic_error(bic),
    }
    if not holder:
        errors["holder"] = "Indiquez le titulaire du compte."
    elif len(holder) > 70:
        errors["holder"] = "Le titulaire ne doit pas dépasser 70 caractères."
    if signed_on is None:
        errors["signed_on"] = "Indiquez la date de signature du mandat."
    elif signed_on > timezone.localdate():
        errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
    return {field: message for field, message in errors.items() if message}


def _revoke(mandate, actor, today):
    mandate.status, mandate.revoked_on = Mandate.REVOKED, today
    mandate.save(update_fields=["status", "revoked_on"])
    record(
        actor,
        "mandate.revoke",
        mandate,
        family_id=mandate.family_id,
        after={"reference": mandate.reference, "revoked_on": today.isoformat()},
    )


def create_mandate(structure, family, actor, *, holder, iban, bic, signed_on):
    """The family's new mandate (RUM "PM-<family>-<n>"); the one it replaces is revoked."""
    check_manager(actor, structure)
    holder = (holder or "").strip()
    errors = _mandate_errors(holder, iban, bic, signed_on)
    if errors:
        raise ValidationError(errors)
    if not Family.objects.using([structure]).filter(pk=family.pk).exists():
        raise ValidationError("Cette famille n'est pas accueillie par la structure.")
    today = timezone.localdate()
    with transaction.atomic():
        lock_family(family)
        mine = Mandate.objects.filter(structure=structure, family=family)
        for old in mine.select_for_update().filter(status=Mandate.ACTIVE):
            _revoke(old, actor, today)
        count = mine.count()
        reference = f"PM-{family.pk}-{count + 1}"
        while Mandate.objects.filter(structure=structure, reference=reference).exists():
            count += 1
            reference = f"PM-{family.pk}-{count + 1}"
        mandate = Mandate.objects.create(
            structure=structure,
            family=family,
            reference=reference,
            holder=holder,
            iban=rules.compact(iban),
            bic=rules.compact(bic),
            signed_on=signed_on,
            created_by=actor,
        )
        record(
            actor,
            "mandate.create",
            mandate,
            family=family,
            after={
                "reference": reference,
                "holder": holder,
                "iban": rules.mask_iban(iban),
                "signed_on": signed_on.isoformat(),
            },
        )
    return mandate


def revoke_mandate(mandate, actor):
    """End a mandate (the family withdrew it): no new batch collects under it."""
    check_manager(actor, mandate.structure)
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if locked.status != Mandate.ACTIVE:
            raise ValidationError("Ce mandat est déjà révoqué.")
        _revoke(locked, actor, timezone.localdate())
    mandate.refresh_from_db()
    return mandate
