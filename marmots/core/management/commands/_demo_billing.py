"""The demo's billing: the structure's billing settings, the demo tariffs, a CAF holiday aid for
the Martin family, and the Martin family's invoice for the last complete month, made by the real
engine (start_run, review, issue_run) from that month's bookings and attendance, written as
`_demo_checkin` writes the current month's (two missed check-ins for Léa, under the threshold).

Running it again adds nothing: the month already invoiced is left alone. No e-mail is sent.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from marmots.activities.models import Activity
from marmots.billing import actions, drafting
from marmots.billing.balances import settings_for
from marmots.billing.demo import create_demo_tariffs
from marmots.billing.models import Aid, InvoicingRun
from marmots.checkin.models import Kiosk
from marmots.families.models import Family
from marmots.portal.frdates import previous_month

from ._demo_checkin import KIOSK_NAME, _attendance, _past_bookings
from ._demo_families import END_OF_YEAR

LEGAL_MENTIONS = (
    "Association loi 1901 – SIRET 123 456 789 00012 (valeur de démonstration)\n"
    "Règlement par chèque à l'ordre des Petits Montagnards, en espèces, CESU, chèques-vacances "
    "ANCV ou en ligne sur le Portail Famille.\n"
    "Pas d'escompte pour paiement anticipé. Pénalités de retard : aucune (association)."
)


def load_billing(structure, manager, staff, guardian_user):
    """Returns the run of the last complete month, or None when there is nothing to bill."""
    billing = settings_for(structure)
    if not billing.resident_cities and not billing.legal_mentions:
        billing.resident_cities = "Mieussy"
        billing.legal_mentions = LEGAL_MENTIONS
        billing.save()
    create_demo_tariffs(structure)
    family = Family.objects.filter(guardians__user=guardian_user).first()
    if family is None:
        return None
    _caf_aid(structure, family)
    return _last_month(structure, family, manager, staff, guardian_user)


def _caf_aid(structure, family):
    """The CAF's holiday aid: 5,00 € per day of holiday camp, deducted from the invoice."""
    holiday = Activity.objects.filter(structure=structure, kind=Activity.HOLIDAY).first()
    if holiday is None:
        return
    aid, created = Aid.objects.get_or_create(
        structure=structure,
        family=family,
        label="Aide aux temps libres",
        defaults={
            "payer": "CAF de la Haute-Savoie",
            "reference": "Allocataire 1234567",
            "method": Aid.PER_UNIT,
            "amount": Decimal("5.00"),
            "valid_from": datetime.date(2026, 9, 1),
            "valid_until": END_OF_YEAR,
        },
    )
    if created:
        aid.activities.add(holiday)


def _last_month(structure, family, manager, staff, guardian_user):
    today = timezone.localdate()
    first, last = previous_month(today)
    done = InvoicingRun.objects.filter(
        structure=structure, month=first, status__in=[InvoicingRun.ISSUED, *InvoicingRun.LIVE]
    )
    if done.exists() or family.invoices.filter(period_start=first).exists():
        return None
    kiosk = Kiosk.objects.filter(structure=structure, name=KIOSK_NAME).first()
    _past_bookings(structure, family, first, last, guardian_user)
    if kiosk is not None:
        _attendance(family, kiosk, staff, first, last)
    if not family.children.filter(bookings__date__range=(first, last)).exists():
        return None
    run = actions.start_run(structure, first, manager)
    if run.status == InvoicingRun.QUEUED:  # a worker would draft it later: do it now
        drafting.draft(run.pk)
        run.refresh_from_db()
    if not run.invoices.exists():
        return actions.discard_run(run, manager)
    for anomaly in run.anomalies.all():
        actions.review_anomaly(anomaly, manager, note="Vérifié (démonstration)")
    return actions.issue_run(run, manager, notify=False)


def billing_line(structure):
    """What `load_demo` prints about the demo's invoice (empty when nothing was billed)."""
    from marmots.billing.models import Invoice
    from marmots.billing.money import fr_money

    invoice = (
        Invoice.objects.filter(structure=structure, status=Invoice.ISSUED, kind=Invoice.INVOICE)
        .select_related("family")
        .order_by("-period_start", "-number")
        .first()
    )
    if invoice is None:
        return ""
    return (
        f"Facture de démonstration : {invoice.reference} (famille {invoice.family.name}, "
        f"{invoice.period_start:%m/%Y}, {fr_money(invoice.total)}) : Gestion > Facturation, "
        "Portail > Mon compte"
    )
