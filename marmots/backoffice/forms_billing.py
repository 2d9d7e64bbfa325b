"""Back-office forms of invoicing: start a month's run, review an anomaly, filter invoices,
write a credit note (a payment: forms_payments)."""

from decimal import Decimal

from django import forms

from marmots.activities.models import Structure
from marmots.billing.models import Invoice
from marmots.portal.frdates import month_bounds, previous_month

from .forms_bookings import MONTH_ERROR, parse_month

AMOUNT_ERRORS = {
    "required": "Indiquez le montant.",
    "invalid": "Indiquez un montant, par exemple 12,50.",
    "min_value": "Le montant doit être positif.",
    "max_digits": "Ce montant est trop grand.",
    "max_decimal_places": "Indiquez le montant au centime près.",
}


def month_input(**attrs):
    return forms.TextInput(attrs={"type": "month", "placeholder": "2026-11", **attrs})


def amount_field(label, required=True):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        localize=True,
        error_messages=AMOUNT_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class MonthField(forms.CharField):
    """'2026-11' -> date(2026, 11, 1)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": MONTH_ERROR})
        super().__init__(max_length=20, widget=month_input(), **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        return parse_month(value) if value else None


class StructureForm(forms.Form):
    """A form about one of `structures`: the field only shows when there are several."""

    structure = forms.ModelChoiceField(
        label="Structure",
        queryset=Structure.objects.none(),
        error_messages={"required": "Choisissez la structure."},
    )

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        structures = list(structures)
        self.only = structures[0] if len(structures) == 1 else None
        if self.only:
            del self.fields["structure"]
        else:
            chosen = Structure.objects.filter(pk__in=[s.pk for s in structures])
            self.fields["structure"].queryset = chosen.order_by("name")

    def clean(self):
        cleaned = super().clean()
        cleaned["structure"] = cleaned.get("structure") or self.only
        return cleaned


class StartRunForm(StructureForm):
    """The month to invoice (the previous month by default)."""

    mois = MonthField(label="Mois à facturer")

    def __init__(self, *args, today, **kwargs):
        initial = {"mois": f"{previous_month(today)[0]:%Y-%m}"}
        super().__init__(*args, initial=initial, **kwargs)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Remarque (facultative)",
        max_length=300,
        required=False,
        error_messages={"max_length": "La remarque ne doit pas dépasser 300 caractères."},
    )


class InvoiceFilterForm(forms.Form):
    """`?mois=2026-11&statut=issued&q=Martin&impayees=1`: every field is optional."""

    STATUSES = [
        ("", "Toutes"),
        (Invoice.DRAFT, "Brouillons"),
        (Invoice.ISSUED, "Factures émises"),
        (Invoice.CREDIT_NOTE, "Avoirs"),
    ]

    mois = MonthField(label="Mois", required=False)
    statut = forms.ChoiceField(label="État", choices=STATUSES, required=False)
    q = forms.CharField(label="Famille", max_length=100, required=False)
    impayees = forms.BooleanField(label="Impayées seulement", required=False)

    def filter(self, invoices, unpaid):
        """`invoices` narrowed by the valid fields; `unpaid` is the queryset of the unpaid
        ones among them (`balances.with_outstanding`)."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("mois"):
            first, last = month_bounds(data["mois"])
            invoices = invoices.filter(period_start__lte=last, period_end__gte=first)
        status = data.get("statut")
        if status == Invoice.CREDIT_NOTE:
            invoices = invoices.filter(kind=Invoice.CREDIT_NOTE)
        elif status:
            invoices = invoices.filter(kind=Invoice.INVOICE, status=status)
        if data.get("q", "").strip():
            invoices = invoices.filter(family__name__icontains=data["q"].strip())
        if data.get("impayees"):
            invoices = invoices.filter(pk__in=unpaid(invoices).values("pk"))
        return invoices


class CreditNoteForm(forms.Form):
    WHOLE = "whole"
    AMOUNT = "amount"

    portee = forms.ChoiceField(
        label="Avoir",
        choices=[(WHOLE, "Sur toute la facture"), (AMOUNT, "D'un montant")],
        initial=WHOLE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez : toute la facture ou un montant."},
    )
    montant = amount_field("Montant de l'avoir (€)", required=False)
    motif = forms.CharField(
        label="Motif",
        max_length=300,
        help_text="Il figure sur l'avoir envoyé à la famille.",
        error_messages={
            "required": "Indiquez le motif de l'avoir.",
            "max_length": "Le motif ne doit pas dépasser 300 caractères.",
        },
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("portee") == self.WHOLE:
            cleaned["montant"] = None
        elif cleaned.get("portee") == self.AMOUNT and not cleaned.get("montant"):
            if "montant" not in self.errors:
                self.add_error("montant", "Indiquez le montant de l'avoir.")
        return cleaned
