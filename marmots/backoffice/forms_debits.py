"""Back-office forms of direct debit (/gestion/prelevements/). They parse; the actions check
the rules (IBAN, BIC, ICS...) and their French messages land on the fields named in `FIELDS`."""

from django import forms

from marmots.activities.forms import date_input
from marmots.backoffice.forms_billing import MonthField, StructureForm
from marmots.families.models import Family

# Action error keys -> form field names.
FIELDS = {
    "enabled": "actif",
    "creditor_name": "nom",
    "creditor_id": "ics",
    "collection_day": "jour",
    "holder": "titulaire",
    "signed_on": "signe_le",
}


def add_action_error(form, error):
    """Put an action's ValidationError on the form: per field when it names fields."""
    if hasattr(error, "error_dict"):
        for key, errors in error.message_dict.items():
            field = FIELDS.get(key, key)
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _text(label, max_length, required=False, **attrs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        error_messages={
            "required": f"Indiquez : {label.lower()}.",
            "max_length": f"{label} : {max_length} caractères au plus.",
        },
        widget=forms.TextInput(attrs=attrs),
    )


class SettingsForm(forms.Form):
    actif = forms.BooleanField(
        label="Proposer le prélèvement automatique aux familles", required=False
    )
    nom = _text("Nom du créancier", 70)
    ics = _text("Identifiant créancier SEPA (ICS)", 40, placeholder="FR72ZZZ123456")
    iban = _text("IBAN du compte crédité", 50, autocomplete="off")
    bic = _text("BIC", 20, autocomplete="off")
    jour = forms.TypedChoiceField(
        label="Jour de prélèvement (le mois qui suit celui des factures)",
        choices=[(day, str(day)) for day in range(1, 29)],
        coerce=int,
        initial=10,
        help_text="Un samedi, un dimanche ou un jour férié bancaire : le jour ouvré suivant.",
        error_messages={"invalid_choice": "Choisissez un jour entre le 1er et le 28."},
    )

    @classmethod
    def of(cls, settings):
        return cls(
            initial={
                "actif": settings.enabled,
                "nom": settings.creditor_name,
                "ics": settings.creditor_id,
                "iban": settings.iban,
                "bic": settings.bic,
                "jour": settings.collection_day,
            }
        )

    def values(self):
        data = self.cleaned_data
        return {
            "enabled": data["actif"],
            "creditor_name": data["nom"],
            "creditor_id": data["ics"],
            "iban": data["iban"],
            "bic": data["bic"],
            "day": data["jour"],
        }


class MandateForm(StructureForm):
    """A mandate signed by a family (`families`: those the user may choose)."""

    famille = forms.ModelChoiceField(
        label="Famille",
        queryset=Family.objects.none(),
        error_messages={
            "required": "Choisissez la famille.",
            "invalid_choice": "Choisissez une famille de la structure.",
        },
    )
    titulaire = _text("Titulaire du compte", 70, required=True, autocomplete="off")
    iban = _text("IBAN", 50, required=True, autocomplete="off")
    bic = _text("BIC", 20, required=True, autocomplete="off")
    signe_le = forms.DateField(
        label="Mandat signé le",
        widget=date_input(),
        error_messages={"required": "Indiquez la date.", "invalid": "Indiquez une date valide."},
    )

    def __init__(self, *args, families, family=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["famille"].queryset = families.order_by("name")
        if family is not None:
            self.fields["famille"].initial = family.pk
            self.fields["famille"].widget = forms.HiddenInput()


class PrepareForm(StructureForm):
    mois = MonthField(label="Mois des factures")


class RejectForm(forms.Form):
    motif = forms.CharField(
        label="Motif du rejet (donné par la banque)",
        max_length=200,
        error_messages={
            "required": "Indiquez le motif du rejet donné par la banque.",
            "max_length": "Le motif ne doit pas dépasser 200 caractères.",
        },
        widget=forms.TextInput(attrs={"list": "motifs-rejet"}),
    )
