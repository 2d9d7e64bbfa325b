"""Creditor settings and mandates: checked, one active per family, audited; bad input writes
nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.core.models import AuditEntry
from marmots.debits import actions
from marmots.debits.models import DebitSettings, Mandate
from tests import factories as f

from .conftest import CREDITOR_IBAN, CREDITOR_ICS, IBAN_A, IBAN_B

pytestmark = pytest.mark.django_db


def settings_values(**changes):
    values = {
        "enabled": True,
        "creditor_name": "Les Petits Montagnards",
        "creditor_id": "fr72 zzz 123456",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "agrifrpp881",
        "day": 5,
    }
    return {**values, **changes}


def test_the_settings_are_saved_compact_and_audited(structure, manager):
    settings = actions.save_settings(structure, manager, **settings_values())

    assert (settings.creditor_id, settings.iban, settings.bic) == (
        CREDITOR_ICS,
        CREDITOR_IBAN,
        "AGRIFRPP881",
    )
    assert settings.collection_day == 5 and settings.enabled
    entry = AuditEntry.objects.get(action="debit_settings.update")
    assert entry.after["iban"] == CREDITOR_IBAN and entry.before["enabled"] is False


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"creditor_id": "FR73ZZZ123456"}, "creditor_id", "clé de contrôle"),
        ({"iban": "FR7630006000011234567890188"}, "iban", "clé de contrôle"),
        ({"bic": "AGRIFR"}, "bic", "8 ou 11 caractères"),
        ({"creditor_name": ""}, "creditor_name", "Indiquez le nom du créancier."),
        ({"day": 29}, "collection_day", "entre le 1er et le 28"),
    ],
)
def test_bad_settings_are_refused(structure, manager, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        actions.save_settings(structure, manager, **settings_values(**changes))

    assert message in refused.value.message_dict[field][0]
    assert not DebitSettings.objects.exists() and not AuditEntry.objects.exists()


def test_settings_may_stay_incomplete_while_debit_is_off(structure, manager):
    values = settings_values(enabled=False, creditor_id="", iban="", bic="")
    settings = actions.save_settings(structure, manager, **values)
    assert not settings.enabled and settings.iban == ""
    with pytest.raises(ValidationError, match="clé de contrôle"):
        actions.save_settings(structure, manager, **{**values, "iban": IBAN_A[:-1] + "7"})


def test_only_the_structures_manager_saves_settings(structure, staff, other_manager):
    for user in (staff, other_manager):
        with pytest.raises(PermissionDenied):
            actions.save_settings(structure, user, **settings_values())
    assert not DebitSettings.objects.exists()


def test_a_mandate_gets_its_reference(mandate_a, family_a, manager):
    assert mandate_a.reference == f"PM-{family_a.pk}-1"
    assert mandate_a.iban == IBAN_A and mandate_a.bic == "PSSTFRPPLYO"
    assert mandate_a.status == Mandate.ACTIVE and mandate_a.created_by == manager
    entry = AuditEntry.objects.get(action="mandate.create")
    assert entry.family_id == family_a.pk
    assert entry.after["iban"] == "FR14 **** **** **** **** ***2 606"  # never the full number


def test_a_new_mandate_revokes_the_active_one(structure, family_a, mandate_a, manager, today):
    new = actions.create_mandate(
        structure,
        family_a,
        manager,
        holder="Claire et Marc Martin",
        iban=IBAN_B,
        bic="COBADEFFXXX",
        signed_on=today,
    )

    mandate_a.refresh_from_db()
    assert new.reference == f"PM-{family_a.pk}-2" and new.status == Mandate.ACTIVE
    assert mandate_a.status == Mandate.REVOKED and mandate_a.revoked_on == today
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("pk")) == [
        "mandate.create",
        "mandate.revoke",
        "mandate.create",
    ]


def test_revoke(mandate_a, manager, today):
    actions.revoke_mandate(mandate_a, manager)
    assert mandate_a.status == Mandate.REVOKED and mandate_a.revoked_on == today
    with pytest.raises(ValidationError, match="déjà révoqué"):
        actions.revoke_mandate(mandate_a, manager)
    assert AuditEntry.objects.filter(action="mandate.revoke").count() == 1


def mandate_values(**changes):
    values = {
        "holder": "Claire Martin",
        "iban": IBAN_A,
        "bic": "PSSTFRPPLYO",
        "signed_on": datetime.date(2026, 9, 1),
    }
    return {**values, **changes}


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"iban": "FR1420041010050500013M02607"}, "iban", "clé de contrôle"),
        ({"iban": "US64SVBKUS6S3300958879"}, "iban", "zone SEPA"),
        ({"bic": "PSST"}, "bic", "8 ou 11 caractères"),
        ({"holder": "  "}, "holder", "Indiquez le titulaire"),
        ({"holder": "x" * 71}, "holder", "70 caractères"),
        ({"signed_on": None}, "signed_on", "Indiquez la date"),
        ({"signed_on": datetime.date(2026, 12, 3)}, "signed_on", "dans le futur"),
    ],
)
def test_bad_mandates_are_refused(structure, family_a, manager, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        actions.create_mandate(structure, family_a, manager, **mandate_values(**changes))
    assert message in refused.value.message_dict[field][0]
    assert not Mandate.objects.exists() and not AuditEntry.objects.exists()


def test_a_family_of_another_structure_gets_no_mandate(structure, manager, other_structure):
    stranger = f.FamilyFactory(name="Dupuis", structures=[other_structure])
    with pytest.raises(ValidationError, match="pas accueillie par la structure"):
        actions.create_mandate(structure, stranger, manager, **mandate_values())
    assert not Mandate.objects.exists()


def test_another_structures_manager_cannot_touch_mandates(
    structure, family_a, mandate_a, other_manager
):
    with pytest.raises(PermissionDenied):
        actions.create_mandate(structure, family_a, other_manager, **mandate_values())
    with pytest.raises(PermissionDenied):
        actions.revoke_mandate(mandate_a, other_manager)
    assert Mandate.objects.get().status == Mandate.ACTIVE
