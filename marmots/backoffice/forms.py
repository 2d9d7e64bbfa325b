"""Back-office forms about families: creation, guardians, e-mails, quotients, decisions."""

from django import forms

from marmots.accounts.models import User
from marmots.activities.forms import check_order, date_input
from marmots.families.models import Child, Guardian, Quotient

EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte."
EMAIL_ERRORS = {"invalid": "Saisissez une adresse e-mail valide (exemple : nom@exemple.fr)."}
GUARDIAN_FIELDS = ["first_name", "last_name", "email", "relationship", "phone_mobile"]


class FamilySearchForm(forms.Form):
    """The family list's search box (`?q=`). CharField refuses NUL characters, which
    PostgreSQL cannot store or compare."""

    q = forms.CharField(
        label="Rechercher (famille, responsable, e-mail, enfant)", max_length=100, required=False
    )

    def query(self):
        """The cleaned search text, or "" when the form is invalid."""
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""


class GuardianForm(forms.Form):
    """One guardian and their login e-mail. `optional=True` for the second guardian."""

    first_name = forms.CharField(label="Prénom", max_length=100)
    last_name = forms.CharField(label="Nom", max_length=100)
    email = forms.EmailField(
        label="Adresse e-mail (identifiant de connexion)", error_messages=EMAIL_ERRORS
    )
    relationship = forms.ChoiceField(label="Lien", choices=Guardian.RELATIONSHIPS)
    phone_mobile = forms.CharField(label="Téléphone portable", max_length=30, required=False)

    def __init__(self, *args, optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional
        if optional:
            for field in self.fields.values():
                field.required = False

    @property
    def is_filled(self):
        return any(self.cleaned_data.get(name) for name in ("first_name", "last_name", "email"))

    def clean_first_name(self):
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self):
        return self.cleaned_data["last_name"].strip()

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email and User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def clean(self):
        cleaned = super().clean()
        if self.optional and self.is_filled:
            for name in ("first_name", "last_name", "email"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "Ce champ est obligatoire pour ajouter ce responsable.")
        if self.optional and self.is_filled and not cleaned.get("relationship"):
            cleaned["relationship"] = "autre"
        return cleaned

    def details(self):
        """The keyword arguments of families.actions.add_guardian."""
        return {name: self.cleaned_data[name] for name in GUARDIAN_FIELDS}


class FamilyForm(forms.Form):
    name = forms.CharField(label="Nom de la famille", max_length=150)
    structure = forms.ModelChoiceField(label="Structure", queryset=None, empty_label=None)

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
        if len(structures) == 1:
            # Nothing to choose: the family uses the manager's only structure.
            self.fields["structure"].required = False
            self.fields["structure"].widget = forms.HiddenInput()
            self.only_structure = structures[0]

    def clean_structure(self):
        return self.cleaned_data.get("structure") or getattr(self, "only_structure", None)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Indiquez le nom de la famille.")
        return name


def check_distinct_emails(first, second):
    """Two guardians of one family cannot share a login."""
    email = first.cleaned_data.get("email")
    if second.is_valid() and second.is_filled and email == second.cleaned_data.get("email"):
        second.add_error("email", "Chaque responsable a sa propre adresse e-mail.")
        return False
    return True


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="Nouvelle adresse e-mail", error_messages=EMAIL_ERRORS)


class QuotientForm(forms.ModelForm):
    class Meta:
        model = Quotient
        fields = ["value", "annual_income", "valid_from", "valid_until", "source"]
        widgets = {"valid_from": date_input(), "valid_until": date_input()}

    def clean(self):
        cleaned = super().clean()
        check_order(
            self,
            "valid_from",
            "valid_until",
            "La fin de validité doit être le même jour que le début ou après.",
        )
        return cleaned


DECISIONS = [("accept", "Accepter"), ("refuse", "Refuser")]


class ChangeRequestDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS)
    note = forms.CharField(label="Note pour la famille", max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not cleaned.get("note", "").strip():
            self.add_error("note", "Expliquez à la famille pourquoi la demande est refusée.")
        return cleaned

    @property
    def accept(self):
        return self.cleaned_data["decision"] == "accept"


class DocumentDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS)
    valid_until = forms.DateField(label="Valable jusqu'au", required=False, widget=date_input())
    reason = forms.CharField(label="Motif du refus", max_length=300, required=False)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        valid_until = cleaned.get("valid_until")
        if decision == "refuse" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Indiquez le motif du refus : la famille le verra.")
        if decision == "accept" and valid_until and valid_until < self.today:
            self.add_error("valid_until", "La date de fin de validité est déjà passée.")
        return cleaned

    @property
    def accept(self):
        return self.cleaned_data["decision"] == "accept"


class ChildForm(forms.ModelForm):
    """The manager records a child; the family completes health and pick-up details."""

    class Meta:
        model = Child
        fields = ["first_name", "last_name", "birth_date", "sex", "school", "school_class"]
        widgets = {"birth_date": date_input()}
