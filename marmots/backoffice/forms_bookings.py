"""Back-office forms about bookings: which day or month to show, excuses, child search."""

from django import forms

from marmots.activities.forms import date_input
from marmots.activities.models import Activity
from marmots.bookings.rules import FIRST_YEAR, LAST_YEAR, plausible
from marmots.portal import frdates
from marmots.portal.frdates import month_bounds

MONTH_ERROR = "Indiquez un mois sous la forme 2026-12."


def parse_month(value):
    """'2026-12' -> date(2026, 12, 1); ValidationError in French otherwise."""
    first = frdates.parse_month(value)
    if first is None:
        raise forms.ValidationError(MONTH_ERROR)
    return first


class DayForm(forms.Form):
    """`?date=YYYY-MM-DD` (today when absent) and optionally one activity."""

    date = forms.DateField(label="Jour", required=False, widget=date_input())
    activite = forms.ModelChoiceField(
        label="Activité", queryset=Activity.objects.none(), required=False, empty_label="Toutes"
    )

    def __init__(self, *args, activities, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activite"].queryset = activities
        self.today = today

    def clean_date(self):
        day = self.cleaned_data.get("date") or self.today
        if not plausible(day):
            raise forms.ValidationError(f"Choisissez un jour entre {FIRST_YEAR} et {LAST_YEAR}.")
        return day


class MonthForm(forms.Form):
    """`?mois=YYYY-MM` (this month when absent)."""

    mois = forms.CharField(label="Mois (AAAA-MM)", required=False, max_length=20)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_mois(self):
        value = (self.cleaned_data.get("mois") or "").strip()
        return parse_month(value) if value else self.today.replace(day=1)

    def bounds(self):
        return month_bounds(self.cleaned_data["mois"])


class FillForm(MonthForm):
    """The fill-rate page: a month and one activity (the first one when absent)."""

    activite = forms.ModelChoiceField(label="Activité", queryset=None, required=False)

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activite"].queryset = activities
        self.fields["activite"].empty_label = None

    def clean_activite(self):
        chosen = self.cleaned_data.get("activite")
        if chosen is None:
            chosen = self.fields["activite"].queryset.first()
        if chosen is None:
            raise forms.ValidationError("Aucune activité avec des tranches horaires.")
        return chosen


class ExcuseForm(forms.Form):
    reason = forms.CharField(
        label="Motif de l'excuse",
        max_length=300,
        error_messages={"required": "Indiquez le motif de l'excuse."},
    )


class ChildSearchForm(forms.Form):
    q = forms.CharField(label="Rechercher un enfant (prénom ou nom)", max_length=100)


class DayCapacityForm(forms.Form):
    """The places of one slot on one day (empty: the slot's own figure)."""

    slot = forms.ModelChoiceField(
        label="Tranche horaire",
        queryset=None,
        error_messages={"invalid_choice": "Choisissez une tranche de l'activité."},
    )
    date = forms.DateField(
        label="Jour", widget=date_input(), error_messages={"invalid": "Date invalide."}
    )
    places = forms.IntegerField(
        label="Places ce jour-là",
        required=False,
        min_value=0,
        max_value=10000,
        help_text="Laissez vide pour revenir aux places de la tranche.",
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not plausible(day):
            raise forms.ValidationError(f"Choisissez un jour entre {FIRST_YEAR} et {LAST_YEAR}.")
        return day
