"""Back-office forms of the waiting lists: which lines to show, and the reason of a removal."""

from django import forms

from marmots.activities.forms import date_input
from marmots.activities.models import Activity, TimeSlot
from marmots.bookings.rules import FIRST_YEAR, LAST_YEAR, plausible


def _slot_label(slot):
    return f"{slot.activity.name} – {slot.label}"


class WaitlistFilterForm(forms.Form):
    """`?du=` (today when absent), `?au=` (no end when absent), `?activite=`, `?tranche=`."""

    du = forms.DateField(
        label="Du",
        required=False,
        widget=date_input(),
        error_messages={"invalid": "Date invalide."},
    )
    au = forms.DateField(
        label="Au",
        required=False,
        widget=date_input(),
        error_messages={"invalid": "Date invalide."},
    )
    activite = forms.ModelChoiceField(
        label="Activité",
        queryset=Activity.objects.none(),
        required=False,
        empty_label="Toutes",
        error_messages={"invalid_choice": "Choisissez une activité de la liste."},
    )
    tranche = forms.ModelChoiceField(
        label="Tranche horaire",
        queryset=TimeSlot.objects.none(),
        required=False,
        empty_label="Toutes",
        error_messages={"invalid_choice": "Choisissez une tranche de la liste."},
    )

    def __init__(self, *args, activities, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["activite"].queryset = activities
        slots = TimeSlot.objects.filter(activity__in=activities).select_related("activity")
        self.fields["tranche"].queryset = slots.order_by(
            "activity__order", "activity__name", "start_time", "pk"
        )
        self.fields["tranche"].label_from_instance = _slot_label

    def _day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not plausible(day):
            raise forms.ValidationError(f"Choisissez un jour entre {FIRST_YEAR} et {LAST_YEAR}.")
        return day

    def clean_du(self):
        return self._day("du") or self.today

    def clean_au(self):
        return self._day("au")

    def clean(self):
        data = super().clean()
        first, last = data.get("du"), data.get("au")
        if first and last and last < first:
            self.add_error("au", "La date de fin doit suivre la date de début.")
        return data

    def filter(self, entries):
        data = self.cleaned_data
        entries = entries.filter(date__gte=data["du"])
        if data["au"]:
            entries = entries.filter(date__lte=data["au"])
        if data["activite"]:
            entries = entries.filter(slot__activity=data["activite"])
        if data["tranche"]:
            entries = entries.filter(slot=data["tranche"])
        return entries


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label="Motif du retrait",
        max_length=300,
        error_messages={
            "required": "Indiquez le motif du retrait.",
            "max_length": "Le motif ne doit pas dépasser 300 caractères.",
        },
    )
