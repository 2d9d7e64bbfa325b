"""The manager's settings forms: periods, activities, slots, closures, documents, identity.

Every form that creates a row of a structure takes `structures` (the manager's structures) and
offers only those; an edit keeps the row in its structure.
"""

from django import forms
from django.core.files.uploadedfile import UploadedFile

from marmots.bookings.models import DeadlinePolicy
from marmots.families.fields import child_field_choices
from marmots.families.files import check_upload

from .models import (
    Activity,
    AgeGroupCapacity,
    Closure,
    DocumentType,
    Period,
    PublishedDocument,
    Structure,
    TimeSlot,
)

WEEKDAYS = [
    (0, "Lundi"),
    (1, "Mardi"),
    (2, "Mercredi"),
    (3, "Jeudi"),
    (4, "Vendredi"),
    (5, "Samedi"),
    (6, "Dimanche"),
]


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def time_input():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def check_order(form, start, end, message):
    """Add `message` to `end` when both dates are given and end comes before start."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and last < first:
        form.add_error(end, message)


def checked_file(uploaded, allowed, what):
    """The uploaded file if its content is one of `allowed` MIME types and small enough."""
    if not isinstance(uploaded, UploadedFile):
        return uploaded  # no new file: the current one stays
    check_upload(uploaded, allowed, what)
    return uploaded


def reject_duplicate(form, field, message, *keys):
    """Add `message` to `field` when another row of the model has the same `keys` values."""
    values = {key: form.cleaned_data.get(key, getattr(form.instance, key, None)) for key in keys}
    if any(value in (None, "") for value in values.values()):
        return
    others = form._meta.model.objects.filter(**values).exclude(pk=form.instance.pk)
    if others.exists():
        form.add_error(field, message)


def check_max_span(form):
    """The missed check-in rule's maximum span: both times or none, the end after the start."""
    start, end = form.cleaned_data.get("max_span_start"), form.cleaned_data.get("max_span_end")
    if "max_span_start" in form.errors or "max_span_end" in form.errors:
        return
    if (start is None) != (end is None):
        form.add_error(
            "max_span_end" if end is None else "max_span_start",
            "Indiquez le début et la fin de l'amplitude maximale, ou aucun des deux.",
        )
    elif start and end <= start:
        form.add_error("max_span_end", "La fin de l'amplitude maximale doit être après le début.")


class StructureScopedForm(forms.ModelForm):
    """A form for a row that belongs to one of the manager's structures.

    The structure is chosen only at creation by a manager of several structures; otherwise the
    row stays in (or goes to) its only possible structure.
    """

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk or len(structures) == 1:
            del self.fields["structure"]
            if not self.instance.pk:
                self.instance.structure = structures[0]
        else:
            self.fields["structure"].queryset = structures
            self.fields["structure"].label = "Structure"

    def chosen_structure(self):
        if "structure" in self.fields:
            return self.cleaned_data.get("structure")
        return self.instance.structure


class PeriodForm(StructureScopedForm):
    class Meta:
        model = Period
        fields = [
            "structure",
            "kind",
            "name",
            "school_year",
            "start_date",
            "end_date",
            "registration_opens_at",
        ]
        widgets = {
            "start_date": date_input(),
            "end_date": date_input(),
            "registration_opens_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {"registration_opens_at": "Date et heure d'ouverture aux familles."}

    def clean_school_year(self):
        value = self.cleaned_data["school_year"].strip()
        parts = value.split("-")
        valid = (
            len(parts) == 2
            and all(p.isdigit() and len(p) == 4 for p in parts)
            and int(parts[1]) == int(parts[0]) + 1
        )
        if not valid:
            raise forms.ValidationError("Écrivez l'année scolaire sous la forme 2026-2027.")
        return value

    def clean(self):
        cleaned = super().clean()
        check_order(
            self,
            "start_date",
            "end_date",
            "Le dernier jour doit être le même que le premier jour ou après.",
        )
        reject_duplicate(
            self,
            "start_date",
            "Une période de ce type commence déjà à cette date.",
            "structure",
            "kind",
            "start_date",
        )
        return cleaned


class ActivityForm(StructureScopedForm):
    weekdays = forms.TypedMultipleChoiceField(
        label="Jours",
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Activity
        fields = [
            "structure",
            "name",
            "kind",
            "description",
            "weekdays",
            "in_holidays",
            "required_documents",
            "is_active",
            "order",
            "families_may_add",
            "families_may_cancel",
            "auto_validate_at_opening",
            "kiosk_events",
            "max_span_start",
            "max_span_end",
        ]
        widgets = {
            "required_documents": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "max_span_start": time_input(),
            "max_span_end": time_input(),
        }

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, structures=structures, **kwargs)
        owners = [self.instance.structure_id] if self.instance.pk else structures
        self.fields["required_documents"].queryset = DocumentType.objects.filter(
            structure__in=owners
        )
        self.fields["kiosk_events"].required = False  # a form posted without it keeps it

    def clean_kiosk_events(self):
        return self.cleaned_data.get("kiosk_events") or self.instance.kiosk_events

    def clean(self):
        cleaned = super().clean()
        check_max_span(self)
        structure = self.chosen_structure()
        documents = cleaned.get("required_documents") or []
        if structure and any(d.structure_id != structure.pk for d in documents):
            self.add_error("required_documents", "Ces pièces appartiennent à une autre structure.")
        reject_duplicate(self, "name", "Une activité porte déjà ce nom.", "structure", "name")
        return cleaned


class TimeSlotForm(forms.ModelForm):
    class Meta:
        model = TimeSlot
        fields = [
            "label",
            "start_time",
            "end_time",
            "capacity",
            "with_snack",
            "apc_pickup",
            "order",
        ]
        widgets = {"start_time": time_input(), "end_time": time_input()}
        help_texts = {"capacity": "Laissez vide si le nombre de places n'est pas limité."}

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.activity = activity

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "La fin doit être après le début.")
        clash = TimeSlot.objects.filter(activity=self.instance.activity, start_time=start)
        if start and clash.exclude(pk=self.instance.pk).exists():
            self.add_error(
                "start_time", "Une tranche de cette activité commence déjà à cette heure."
            )
        return cleaned


class ClosureForm(StructureScopedForm):
    class Meta:
        model = Closure
        fields = ["structure", "start_date", "end_date", "reason"]
        widgets = {"start_date": date_input(), "end_date": date_input()}

    def clean(self):
        cleaned = super().clean()
        check_order(
            self, "start_date", "end_date", "La fin doit être le même jour que le début ou après."
        )
        return cleaned


class DocumentTypeForm(StructureScopedForm):
    class Meta:
        model = DocumentType
        fields = ["structure", "code", "name", "per_child", "validity_months"]
        labels = {"code": "Code (lettres, chiffres, tirets)"}

    def clean(self):
        cleaned = super().clean()
        reject_duplicate(self, "code", "Une pièce porte déjà ce code.", "structure", "code")
        return cleaned


class PublishedDocumentForm(StructureScopedForm):
    class Meta:
        model = PublishedDocument
        fields = ["structure", "title", "description", "file", "order"]

    def clean_file(self):
        allowed = {"application/pdf", "image/jpeg", "image/png"}
        return checked_file(self.cleaned_data.get("file"), allowed, "un PDF, un JPEG ou un PNG")


class StructureForm(forms.ModelForm):
    website = forms.URLField(label="Site web", required=False, assume_scheme="https")
    certificate_days = forms.IntegerField(
        label="Délai pour fournir le certificat médical (jours)",
        help_text="Jours laissés après le jour d'absence pour joindre le certificat.",
        required=False,
        min_value=0,
        max_value=60,
        error_messages={
            "min_value": "Indiquez un nombre de jours positif ou nul.",
            "max_value": "Indiquez un délai de 60 jours au plus.",
        },
    )
    missed_checkin_threshold = forms.IntegerField(
        label="Oublis de pointage tolérés par mois",
        help_text="Par enfant et par mois : au-delà, chaque séance sans pointage de la famille "
        "est facturée à l'amplitude maximale.",
        required=False,
        min_value=0,
        max_value=31,
        error_messages={
            "min_value": "Indiquez un nombre positif ou nul.",
            "max_value": "Indiquez 31 oublis au plus.",
        },
    )
    waitlist_offer_hours = forms.IntegerField(
        label="Durée d'une offre de place (heures)",
        help_text="Quand une place se libère, la première famille de la liste d'attente a ce "
        "délai pour l'accepter (jamais au-delà du début de la séance). 0 : la place lui est "
        "attribuée aussitôt, sans offre, si elle peut encore l'annuler sans frais (sinon, "
        "elle lui est proposée pendant 24 heures).",
        required=False,
        min_value=0,
        max_value=168,
        error_messages={
            "min_value": "Indiquez un nombre d'heures positif ou nul.",
            "max_value": "Indiquez une durée de 168 heures (7 jours) au plus.",
            "invalid": "Indiquez un nombre entier d'heures.",
        },
    )
    child_fields_needing_validation = forms.MultipleChoiceField(
        label="Champs de la fiche enfant soumis à ma validation",
        help_text="Les autres champs modifiés par la famille s'appliquent immédiatement.",
        choices=child_field_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Structure
        fields = [
            "name",
            "address",
            "postcode",
            "city",
            "phone",
            "email",
            "website",
            "logo",
            "house_rules",
            "child_fields_needing_validation",
            "certificate_days",
            "certificate_auto_excuse",
            "missed_checkin_threshold",
            "waitlist_offer_hours",
        ]
        widgets = {"house_rules": forms.Textarea(attrs={"rows": 6})}

    def clean_certificate_days(self):
        """Left empty, the delay stays as it was (a form posted before this field existed)."""
        days = self.cleaned_data.get("certificate_days")
        return self.instance.certificate_days if days is None else days

    def clean_missed_checkin_threshold(self):
        """Left empty, the threshold stays as it was."""
        threshold = self.cleaned_data.get("missed_checkin_threshold")
        return self.instance.missed_checkin_threshold if threshold is None else threshold

    def clean_waitlist_offer_hours(self):
        """Left empty, the duration stays as it was."""
        hours = self.cleaned_data.get("waitlist_offer_hours")
        return self.instance.waitlist_offer_hours if hours is None else hours

    def clean_logo(self):
        allowed = {"image/jpeg", "image/png"}
        return checked_file(self.cleaned_data.get("logo"), allowed, "une image JPEG ou PNG")


class DeadlinePolicyForm(StructureScopedForm):
    """ "N working days before the day, at HH:MM" for one kind of period."""

    days_before = forms.IntegerField(
        label="Jours ouvrés avant le jour réservé",
        min_value=1,
        max_value=60,
        error_messages={
            "min_value": "Indiquez au moins 1 jour ouvré.",
            "max_value": "Indiquez 60 jours ouvrés au plus.",
        },
        help_text="Du lundi au vendredi ; le jour réservé lui-même ne compte pas.",
    )

    class Meta:
        model = DeadlinePolicy
        fields = ["structure", "period_kind", "days_before", "at_time", "skip_public_holidays"]
        labels = {"at_time": "Heure limite"}
        widgets = {"at_time": time_input()}

    def clean(self):
        cleaned = super().clean()
        reject_duplicate(
            self,
            "period_kind",
            "Un délai existe déjà pour ce type de période : modifiez-le.",
            "structure",
            "period_kind",
        )
        return cleaned


class AgeGroupForm(forms.ModelForm):
    """Places of a slot kept for an age group; the groups of a slot do not overlap."""

    class Meta:
        model = AgeGroupCapacity
        fields = ["label", "min_age", "max_age", "capacity"]
        labels = {"label": "Libellé (ex. 3-5 ans)"}

    def __init__(self, *args, slot, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.slot = slot

    def clean_capacity(self):
        places = self.cleaned_data["capacity"]
        if places < 1:
            raise forms.ValidationError("Indiquez au moins une place.")
        return places

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is None or high is None:
            return cleaned
        if high < low:
            self.add_error("max_age", "L'âge maximum doit être égal ou supérieur à l'âge minimum.")
            return cleaned
        others = AgeGroupCapacity.objects.filter(slot=self.instance.slot).exclude(
            pk=self.instance.pk
        )
        clash = others.filter(min_age__lte=high, max_age__gte=low).first()
        if clash:
            self.add_error("min_age", f"Ces âges chevauchent la tranche « {clash.label} ».")
        return cleaned
