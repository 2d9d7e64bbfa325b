"""Forms for enrollment requests (portal) and decisions (back-office)."""

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from marmots.activities.models import Activity, Period
from marmots.families.models import Child

from .models import Enrollment

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def offered_activities(family):
    """Active activities a family may ask for: its own structures' first, then the others."""
    own = family.structures.values("pk")
    return (
        Activity.objects.filter(is_active=True)
        .select_related("structure")
        .annotate(
            foreign=Case(
                When(structure__in=own, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("foreign", "structure__name", "order", "name")
    )


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} – {obj.structure.name}"


class PeriodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (du {obj.start_date:%d/%m/%Y} au {obj.end_date:%d/%m/%Y})"


class EnrollmentRequestForm(forms.Form):
    child = forms.ModelChoiceField(
        label="Enfant", queryset=Child.objects.none(), empty_label="Choisissez un enfant"
    )
    activity = ActivityChoiceField(
        label="Activité", queryset=Activity.objects.none(), empty_label="Choisissez une activité"
    )
    period = PeriodChoiceField(
        label="Période",
        queryset=Period.objects.none(),
        required=False,
        empty_label="Aucune (dates libres)",
        help_text="Obligatoire pour l'accueil de loisirs pendant les vacances.",
    )
    start_date = forms.DateField(label="Du", widget=DATE_INPUT)
    end_date = forms.DateField(label="Au", widget=DATE_INPUT)
    comment = forms.CharField(
        label="Commentaire (facultatif)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = Child.objects.for_family(family)
        activities = offered_activities(family)
        self.fields["activity"].queryset = activities
        self.fields["period"].queryset = Period.objects.filter(
            structure__in=activities.values("structure"),
            end_date__gte=timezone.localdate(),
        ).order_by("start_date", "name")


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label="Motif du refus",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="La famille recevra ce motif par e-mail.",
        error_messages={"required": "Indiquez le motif du refus : la famille le lira."},
    )


class EnrollmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[("", "Tous les statuts"), *Enrollment.STATUSES],
    )
    activity = forms.ModelChoiceField(
        label="Activité",
        required=False,
        queryset=Activity.objects.none(),
        empty_label="Toutes les activités",
    )

    def __init__(self, structures, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = Activity.objects.filter(structure__in=structures)
