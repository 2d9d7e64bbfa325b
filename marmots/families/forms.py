"""Forms for what a family edits: a child, the people allowed to pick it up, own details,
and document uploads. They parse and validate; the actions write."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from marmots.activities.models import DocumentType

from . import fields, rules
from .models import Child, Guardian

PHONE_RE = re.compile(r"^\+?[0-9 .\-()]{6,30}$")


def validate_phone(value):
    if value and (not PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 6):
        raise ValidationError("Saisissez un numéro de téléphone valide (chiffres, espaces, +).")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ChildForm(forms.ModelForm):
    class Meta:
        model = Child
        fields = [name for name in fields.CHILD_FIELDS if name != fields.AUTHORIZED_PEOPLE]
        widgets = {
            "birth_date": DateInput(),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "pai_details": forms.Textarea(attrs={"rows": 2}),
            "health_notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "allergies": "Laissez vide s'il n'y en a pas.",
            "image_rights": "J'autorise la structure à photographier ou filmer mon enfant.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor_phone"].validators.append(validate_phone)

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        problem = rules.birth_date_problem(birth_date, timezone.localdate())
        if problem:
            raise ValidationError(problem)
        return birth_date


class AuthorizedPersonForm(forms.Form):
    name = forms.CharField(label="Nom et prénom", max_length=150)
    relationship = forms.CharField(label="Lien avec l'enfant", max_length=100, required=False)
    phone = forms.CharField(label="Téléphone", max_length=30, validators=[validate_phone])
    emergency_contact = forms.BooleanField(label="À appeler en cas d'urgence", required=False)


AuthorizedPeopleFormSet = forms.formset_factory(
    AuthorizedPersonForm, extra=1, can_delete=True, max_num=20, validate_max=True
)


def people_formset(child, data=None):
    initial = fields.people_of(child)
    return AuthorizedPeopleFormSet(data, initial=initial, prefix="personnes")


def people_from(formset):
    """The list of people a valid formset describes (deleted and blank rows left out)."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def child_data(form, formset):
    """What to hand to `actions.update_child`."""
    data = {name: form.cleaned_data[name] for name in form.Meta.fields}
    data[fields.AUTHORIZED_PEOPLE] = [
        {key: person[key] for key in fields.PERSON_KEYS} for person in people_from(formset)
    ]
    return data


class GuardianDetailsForm(forms.ModelForm):
    class Meta:
        model = Guardian
        fields = fields.GUARDIAN_FIELDS
        widgets = {
            "phone_mobile": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "phone_home": forms.TextInput(attrs={"type": "tel"}),
            "phone_work": forms.TextInput(attrs={"type": "tel"}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phone_mobile", "phone_home", "phone_work"):
            self.fields[name].validators.append(validate_phone)

    def clean_postcode(self):
        postcode = self.cleaned_data["postcode"].strip()
        if postcode and not re.fullmatch(r"[0-9]{5}", postcode):
            raise ValidationError("Le code postal compte 5 chiffres.")
        return postcode


class DocumentUploadForm(forms.Form):
    doc_type = forms.ModelChoiceField(
        label="Type de pièce", queryset=DocumentType.objects.none(), empty_label="Choisir…"
    )
    child = forms.ModelChoiceField(
        label="Enfant concerné (si la pièce concerne un enfant)",
        queryset=Child.objects.none(),
        required=False,
        empty_label="Toute la famille",
    )
    file = forms.FileField(
        label="Fichier",
        help_text="PDF, JPEG ou PNG, 10 Mo au plus.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doc_type"].queryset = DocumentType.objects.filter(
            structure__in=family.structures_in_use()
        ).order_by("name")
        self.fields["child"].queryset = Child.objects.for_family(family)
        self.fields["child"].label_from_instance = lambda child: child.first_name
