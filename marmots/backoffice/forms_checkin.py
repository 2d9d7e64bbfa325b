"""Back-office forms of the check-in register and the kiosks."""

import datetime

from django import forms
from django.utils import timezone

from marmots.checkin.models import CheckinEvent

from .forms_bookings import DayForm

TIME_ERROR = "Indiquez l'heure sous la forme 07:45."
ID_ERRORS = {
    "required": "Choisissez un enfant et une séance.",
    "invalid": "Enfant ou séance inconnus.",
}
DATE_ERRORS = {"required": "Indiquez le jour.", "invalid": "Indiquez un jour valide."}


def time_field(label, required=True):
    return forms.TimeField(
        label=label,
        required=required,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Indiquez l'heure.", "invalid": TIME_ERROR},
    )


def reason_field():
    return forms.CharField(
        label="Motif",
        max_length=300,
        help_text="Obligatoire : il reste dans l'historique du pointage.",
        error_messages={
            "required": "Indiquez le motif.",
            "max_length": "Le motif ne doit pas dépasser 300 caractères.",
        },
    )


def on_day(day, moment):
    """The aware datetime of local time `moment` on `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, moment))


class RegisterDayForm(DayForm):
    """`?date=` (today when absent); the session comes as `activite` in the URL, checked by
    the view against the user's structures."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, activities=None, **kwargs)
        del self.fields["activite"]


class SessionForm(forms.Form):
    """A child in a session: posted as hidden fields by the register's buttons."""

    enfant = forms.IntegerField(min_value=1, error_messages=ID_ERRORS)
    activite = forms.IntegerField(min_value=1, error_messages=ID_ERRORS)
    date = forms.DateField(widget=forms.HiddenInput, error_messages=DATE_ERRORS)


class MarkForm(SessionForm):
    present = forms.TypedChoiceField(
        choices=[("1", "présent"), ("0", "absent")],
        coerce=lambda value: value == "1",
        error_messages={
            "required": "Indiquez présent ou non.",
            "invalid_choice": "Indiquez présent ou non.",
        },
    )


class CorrectionForm(forms.Form):
    heure = time_field("Nouvelle heure", required=False)
    annuler = forms.BooleanField(
        label="Annuler ce pointage",
        required=False,
        help_text="Par exemple, un pointage fait pour un autre enfant.",
    )
    motif = reason_field()

    def clean(self):
        cleaned = super().clean()
        at, void = cleaned.get("heure"), cleaned.get("annuler")
        if "heure" in self.errors:
            return cleaned
        if at and void:
            raise forms.ValidationError(
                "Choisissez : une nouvelle heure ou l'annulation du pointage, pas les deux."
            )
        if not at and not void:
            self.add_error(
                "heure", "Indiquez la nouvelle heure, ou cochez « Annuler ce pointage »."
            )
        return cleaned


class StaffEventForm(SessionForm):
    type = forms.ChoiceField(
        choices=CheckinEvent.KINDS,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Choisissez une arrivée ou un départ."},
    )
    heure = time_field("Heure")
    motif = reason_field()
    dispense = forms.BooleanField(
        label="La famille n'y est pour rien (tablette en panne…) : ne pas compter d'oubli",
        required=False,
    )

    def __init__(self, *args, manager=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("enfant", "activite"):
            self.fields[name].widget = forms.HiddenInput()
        if not manager:
            del self.fields["dispense"]


class KioskForm(forms.Form):
    structure = forms.ModelChoiceField(label="Structure", queryset=None)
    name = forms.CharField(
        label="Nom de la tablette",
        max_length=80,
        help_text="Par exemple : Entrée de l'école.",
        error_messages={"required": "Donnez un nom à la tablette."},
    )

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
        if len(structures) == 1:
            del self.fields["structure"]
            self.only = structures[0]

    def clean(self):
        cleaned = super().clean()
        structure = cleaned.get("structure") or getattr(self, "only", None)
        name = cleaned.get("name")
        cleaned["structure"] = structure
        if structure and name and structure.kiosks.filter(name__iexact=name).exists():
            self.add_error("name", "Une tablette porte déjà ce nom.")
        return cleaned
