"""Back-office forms of the allocation of places: a period's mode, closing date and points."""

import datetime

from django import forms
from django.utils import timezone

from marmots.activities.models import Period
from marmots.places import checks, ranking
from marmots.places.models import Allocation

# (criterion code, label): the keys of the action's `points`, in the order shown.
CRITERIA = ranking.CRITERIA
MAX_POINTS = checks.MAX_POINTS


def _points_field(label):
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_POINTS,
        error_messages={
            "required": "Indiquez un nombre de points (0 si le critère ne compte pas).",
            "invalid": "Indiquez un nombre entier de points.",
            "min_value": "Le nombre de points ne peut pas être négatif.",
            "max_value": f"{MAX_POINTS} points au plus par critère.",
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_POINTS, "inputmode": "numeric"}),
    )


class AllocationSettingsForm(forms.Form):
    """The settings page of one period; `points()` gives the action's points dictionary."""

    mode = forms.ChoiceField(
        label="Attribution des places",
        choices=Period.PLACES_MODES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez comment les places sont attribuées."},
    )
    requests_close_at = forms.DateTimeField(
        label="Clôture des demandes",
        required=False,
        help_text="Date et heure jusqu'auxquelles les familles envoient leurs demandes.",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Date et heure invalides (forme attendue : 14/12/2026 20:00)."},
    )

    def __init__(self, *args, period, allocation=None, **kwargs):
        self.period = period
        initial = {"mode": period.places_mode, "requests_close_at": period.requests_close_at}
        for code, _label in CRITERIA:
            field = f"points_{code}"
            if allocation is not None:
                initial[field] = getattr(allocation, field)
            else:
                initial[field] = _model_default(field)
        super().__init__(*args, initial=initial, **kwargs)
        for code, label in CRITERIA:
            self.fields[f"points_{code}"] = _points_field(label)

    def clean(self):
        cleaned = super().clean()
        closes = cleaned.get("requests_close_at")
        if cleaned.get("mode") != Period.ALLOCATION or "requests_close_at" in self.errors:
            return cleaned
        period = self.period
        if closes is None:
            self.add_error(
                "requests_close_at",
                "En mode attribution, indiquez la date de clôture des demandes.",
            )
        elif period.registration_opens_at and closes <= period.registration_opens_at:
            opens = timezone.localtime(period.registration_opens_at)
            self.add_error(
                "requests_close_at",
                "La clôture des demandes doit être après l'ouverture des inscriptions "
                f"({opens:%d/%m/%Y à %H:%M}).",
            )
        elif closes >= _first_moment(period.start_date):
            self.add_error(
                "requests_close_at",
                "La clôture des demandes doit être avant le premier jour de la période "
                f"({period.start_date:%d/%m/%Y}).",
            )
        return cleaned

    def points(self):
        return {code: self.cleaned_data[f"points_{code}"] for code, _label in CRITERIA}

    def points_fields(self):
        return [self[f"points_{code}"] for code, _label in CRITERIA]


def _first_moment(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _model_default(field):
    return Allocation._meta.get_field(field).default
