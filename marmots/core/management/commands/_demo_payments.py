"""The demo's payments: online card payment through the simulated bank (the "dummy" provider,
served by the app itself in demo mode), reminders 10 and 30 days after the due date, direct
debit offered with a test creditor identity, and the Durand family on direct debit (an active
mandate). The ICS and IBANs pass their check digits but are test values that belong to nobody.

Written through the same actions as the back-office (audited as the manager). Running it again
adds nothing: each setting is written only while it is still empty, the mandate only when the
family has no active one.
"""

from django.utils import timezone

from marmots.billing.balances import settings_for
from marmots.billing.reminders import save_thresholds
from marmots.debits import actions as debits
from marmots.debits.models import DebitSettings, Mandate
from marmots.families.models import Family
from marmots.payments.models import ProviderSettings

REMINDER_DAYS = "10, 30"
CREDITOR = {
    "creditor_name": "Les Petits Montagnards",
    "creditor_id": "FR72ZZZ123456",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "day": 10,
}
DEBTOR = {"holder": "Julien Durand", "iban": "FR7610107001011234567890129", "bic": "BREDFRPP"}


def load_payments(structure, manager, debtor_user):
    """`debtor_user`: a guardian of the family paying by direct debit."""
    ProviderSettings.objects.get_or_create(
        structure=structure, defaults={"kind": ProviderSettings.DUMMY}
    )
    if not settings_for(structure).reminder_days:
        save_thresholds(structure, REMINDER_DAYS, manager)
    creditor = DebitSettings.objects.filter(structure=structure).first()
    if creditor is None or not creditor.creditor_id:
        debits.save_settings(structure, manager, enabled=True, **CREDITOR)
    family = Family.objects.filter(guardians__user=debtor_user).first()
    active = Mandate.objects.filter(structure=structure, family=family, status=Mandate.ACTIVE)
    if family is not None and not active.exists():
        debits.create_mandate(structure, family, manager, signed_on=timezone.localdate(), **DEBTOR)
