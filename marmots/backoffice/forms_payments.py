"""Back-office forms of payments: a payment received and its allocation to invoices (the rows
to fill: `allocation_groups`), a deposit slip, the filters of the payments journal."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import capfirst

from marmots.activities.forms import date_input
from marmots.billing.allocating import spread
from marmots.billing.deposits import DEPOSIT_METHODS
from marmots.billing.models import Payment
from marmots.billing.settling import payable_invoices

from .forms_billing import StructureForm, amount_field

ALLOCATION = re.compile(r"^facture_(\d+)$")
MANUAL_METHODS = [(k, capfirst(v)) for k, v in Payment.METHODS if k not in ("card", "debit")]
DATE_ERRORS = {"required": "Indiquez la date.", "invalid": "Indiquez une date valide."}


def allocation_name(invoice):
    return f"facture_{invoice.pk}"


def allocation_groups(family, structures, *, chosen=None, posted=None, amount=None):
    """[(structure, [(invoice, field name, value)])]: the invoices a payment may settle, oldest
    due first, per structure with some; only the `chosen` structure's once it is chosen (a
    payment settles invoices of its own structure). The values are those `posted`, or `amount`
    spread over the chosen structure's invoices (empty: automatic allocation)."""
    groups = []
    for structure in [chosen] if chosen is not None else structures:
        invoices = list(payable_invoices(family, structure))
        if posted is not None:
            values = {i.pk: posted.get(allocation_name(i), "") for i in invoices}
        elif amount and structure == chosen:
            values = dict(spread(amount, [(i.pk, i.outstanding) for i in invoices]))
        else:
            values = {}
        rows = [(i, allocation_name(i), values.get(i.pk, "")) for i in invoices]
        if rows:
            groups.append((structure, rows))
    return groups


class PaymentForm(StructureForm):
    """A payment received by the structure and, in `facture_<id>` fields, its allocation.

    Every allocation field left empty: the payment settles the oldest due first; one filled
    (0 included): exactly what is typed, the rest staying a credit of the family."""

    moyen = forms.ChoiceField(
        label="Moyen de paiement",
        choices=MANUAL_METHODS,
        error_messages={"required": "Choisissez le moyen de paiement."},
    )
    montant = amount_field("Montant (€)")
    recu_le = forms.DateField(label="Reçu le", widget=date_input(), error_messages=DATE_ERRORS)
    reference = forms.CharField(
        label="Référence (n° et banque du chèque, nombre et n° des titres…)",
        max_length=100,
        required=False,
        error_messages={"max_length": "La référence ne doit pas dépasser 100 caractères."},
    )
    payeur = forms.CharField(
        label="Payeur (tireur du chèque, s'il n'est pas un responsable de la famille)",
        max_length=200,
        required=False,
        error_messages={"max_length": "Le nom du payeur ne doit pas dépasser 200 caractères."},
    )

    def __init__(self, *args, allocation_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        if allocation_url:  # htmx: the allocation is shown again as the amount is typed
            self._refresh("montant", allocation_url, "input changed delay:500ms, change")
            self._refresh("structure", allocation_url, "change")

    def _refresh(self, name, url, trigger):
        if name in self.fields:
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": trigger,
                    "hx-target": "#affectation",
                    "hx-swap": "outerHTML",
                    "hx-include": "[name=structure], [name=montant]",
                }
            )

    def clean(self):
        cleaned = super().clean()
        parse = forms.DecimalField(
            required=False, max_digits=10, decimal_places=2, localize=True
        ).clean
        chosen = {}
        for key in self.data:
            found = ALLOCATION.match(key)
            if not found:
                continue
            try:
                chosen[int(found[1])] = parse((self.data.get(key) or "").strip())
            except ValidationError:
                self.add_error(None, "Montant affecté illisible : indiquez par exemple 12,50.")
        given = any(value is not None for value in chosen.values())
        cleaned["affectation"] = chosen if given else None
        return cleaned


class DepositSlipForm(StructureForm):
    """A deposit slip: the payments ticked (`reglements`) and the date they go to the bank."""

    moyen = forms.ChoiceField(
        label="Moyen de paiement",
        choices=[(k, capfirst(v)) for k, v in Payment.METHODS if k in DEPOSIT_METHODS],
        error_messages={"required": "Choisissez le moyen de paiement."},
    )
    remis_le = forms.DateField(
        label="Date de remise à la banque", widget=date_input(), error_messages=DATE_ERRORS
    )

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["reglements"] = [int(pk) for pk in self.data.getlist("reglements")]
        except ValueError:
            self.add_error(None, "Règlement inconnu.")
        return cleaned


class JournalFilterForm(forms.Form):
    """`?moyen=cheque&du=2026-12-01&au=2026-12-31&non_remis=1&q=Martin`: all optional."""

    moyen = forms.ChoiceField(
        label="Moyen",
        choices=[("", "Tous")] + [(k, capfirst(v)) for k, v in Payment.METHODS],
        required=False,
    )
    du = forms.DateField(label="Reçus du", widget=date_input(), required=False)
    au = forms.DateField(label="au", widget=date_input(), required=False)
    q = forms.CharField(label="Famille ou payeur", max_length=100, required=False)
    non_remis = forms.BooleanField(label="Pas encore remis en banque", required=False)

    def filter(self, payments):
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("moyen"):
            payments = payments.filter(method=data["moyen"])
        if data.get("du"):
            payments = payments.filter(received_on__gte=data["du"])
        if data.get("au"):
            payments = payments.filter(received_on__lte=data["au"])
        if data.get("q", "").strip():
            words = data["q"].strip()
            payments = payments.filter(Q(family__name__icontains=words) | Q(payer__icontains=words))
        if data.get("non_remis"):
            payments = payments.filter(deposit_slip__isnull=True)
        return payments
