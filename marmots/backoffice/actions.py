"""Back-office writes that span several family actions, in one transaction each."""

from django.db import transaction

from marmots.accounts.links import INIT, RESET, send_account_link
from marmots.core.audit import record, snapshot
from marmots.families.actions import add_guardian, create_family
from marmots.families.models import Quotient


def invite_guardian(family, details, *, actor):
    """Add a guardian with their own login and e-mail them the initialisation link."""
    with transaction.atomic():
        guardian = add_guardian(family, actor=actor, **details)
        send_account_link(guardian.user, INIT, actor=actor)
    return guardian


def create_family_with_guardians(structure, *, name, guardians, actor):
    """Create a family and its guardians (one login each); each gets the initialisation link.

    `guardians` is a list of add_guardian keyword dicts (first_name, last_name, email...).
    Nothing is created, and no e-mail leaves, if any guardian is refused.
    """
    with transaction.atomic():
        family = create_family(structure, name, actor)
        for details in guardians:
            invite_guardian(family, details, actor=actor)
    return family


def resend_account_link(guardian, *, actor):
    """Send the guardian a new link: initialisation until they set a password, then reset."""
    user = guardian.user
    purpose = RESET if user.has_usable_password() else INIT
    send_account_link(user, purpose, actor=actor)
    return purpose


def add_quotient(family, *, actor, **values):
    """Record a family quotient (value, income, validity dates, source)."""
    with transaction.atomic():
        quotient = Quotient.objects.create(family=family, **values)
        record(actor, "quotient.create", quotient, family=family, after=snapshot(quotient))
    return quotient
