"""The portal's allocation request form: the family's declarations, and the ticked days read
back into (child id, slot id, day, preference) tuples."""

import datetime

from django import forms
from django.core.exceptions import ValidationError

from marmots.bookings.rules import plausible

from .allocation_days import KEY_RE

MAX_WISHES = 500
MAX_PREFERENCE = 99
BAD_DAY = "Un jour envoyé n'est pas valide : rechargez la page. Rien n'a été enregistré."


class DeclarationsForm(forms.Form):
    declares_working = forms.BooleanField(
        label="Les parents travaillent",
        required=False,
        help_text="Les deux parents, ou le parent seul, exercent une activité professionnelle.",
    )
    declares_special_needs = forms.BooleanField(
        label="Mon enfant a des besoins particuliers",
        required=False,
        help_text="Handicap, suivi médical, situation familiale… précisez ci-dessous si vous "
        "le souhaitez.",
    )
    note = forms.CharField(
        label="Précisions (facultatif)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": "500 caractères au plus (vous en avez écrit %(show_value)d)."
        },
    )


def _preference(value):
    if value in (None, ""):
        return 1
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PREFERENCE:
        raise ValidationError(
            f"Ordre de préférence invalide : « {value[:10]} ». Indiquez un nombre de 1 "
            f"(le plus souhaité) à {MAX_PREFERENCE}. Rien n'a été enregistré."
        )
    return number


def read_wishes(data):
    """[(child id, slot id, day, preference)] from the POSTed `jour` values and their
    `pref-<value>` fields; French ValidationError when one is malformed or none is ticked."""
    values = data.getlist("jour")
    if not values:
        raise ValidationError(
            "Cochez au moins un jour. Pour ne plus rien demander, retirez votre demande."
        )
    if len(values) > MAX_WISHES:
        raise ValidationError("Trop de jours à la fois : demandez-en moins.")
    wishes = []
    for value in dict.fromkeys(values):
        match = KEY_RE.match(value)
        if match is None:
            raise ValidationError(BAD_DAY)
        try:
            day = datetime.date.fromisoformat(match[3])
        except ValueError:
            raise ValidationError(BAD_DAY) from None
        if not plausible(day):
            raise ValidationError(BAD_DAY)
        preference = _preference(data.get(f"pref-{value}"))
        wishes.append((int(match[1]), int(match[2]), day, preference))
    return wishes
