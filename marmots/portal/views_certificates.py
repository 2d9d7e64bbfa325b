"""Family portal: "Mes attestations" – the yearly tax certificate and a child's attendance
certificate over a period, as PDFs (marmots.billing.certificates)."""

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from marmots.activities.models import Structure
from marmots.billing import certificates
from marmots.core.access import get_or_404, guardian_required
from marmots.core.downloads import attachment
from marmots.families.models import Child

from .frdates import previous_month
from .views_billing import issued

MAX_DAYS = 366


class StructureMixin:
    """A structure choice, shown only to a family using several structures."""

    def add_structure(self, family):
        structures = Structure.objects.filter(families=family).order_by("name")
        self.fields["structure"] = forms.ModelChoiceField(
            structures,
            label="Structure",
            empty_label=None,
            required=False,
            error_messages={"invalid_choice": "Choisissez une structure de la liste."},
        )
        self.several_structures = len(structures) > 1
        if not self.several_structures:
            self.fields["structure"].widget = forms.HiddenInput()
        self.default_structure = structures.first()

    def structure(self):
        chosen = self.cleaned_data.get("structure") or self.default_structure
        if chosen is None:
            raise forms.ValidationError("Votre famille n'est rattachée à aucune structure.")
        return chosen


class TaxForm(StructureMixin, forms.Form):
    annee = forms.TypedChoiceField(
        label="Année",
        coerce=int,
        error_messages={
            "required": "Choisissez l'année.",
            "invalid_choice": "Choisissez une année de la liste.",
        },
    )

    def __init__(self, family, data=None):
        super().__init__(data)
        years = sorted({d.year for d in issued(family).dates("period_start", "year")}, reverse=True)
        self.fields["annee"].choices = [(y, str(y)) for y in years]
        self.family = family
        self.add_structure(family)

    def clean(self):
        data = super().clean()
        year = data.get("annee")
        if year and not self.errors:
            self.lines = certificates.tax_certificate(self.family, self.structure(), year)
            if not self.lines:
                raise forms.ValidationError(
                    f"Aucun frais de garde facturé en {year} pour un enfant de moins de 6 ans "
                    f"au 1er janvier {year} : il n'y a pas d'attestation fiscale à établir."
                )
        return data


def _date_field(label):
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": f"Indiquez la date « {label.lower()} ».",
            "invalid": "Saisissez une date valide (jj/mm/aaaa).",
        },
    )


class AttendanceForm(StructureMixin, forms.Form):
    du = _date_field("Du")
    au = _date_field("Au")

    def __init__(self, family, child, data=None, initial=None):
        super().__init__(data, initial=initial, auto_id=f"id_%s_{child.pk}")
        self.child = child
        self.add_structure(family)

    def clean(self):
        data = super().clean()
        first, last = data.get("du"), data.get("au")
        if first and last:
            if last < first:
                raise forms.ValidationError("La date de fin doit suivre la date de début.")
            if (last - first).days >= MAX_DAYS:
                raise forms.ValidationError("Une attestation couvre au plus une année.")
            if first > timezone.localdate():
                raise forms.ValidationError("La période ne peut pas commencer après aujourd'hui.")
            self.structure()
        return data


def _default_period(today):
    """The previous calendar month."""
    first, last = previous_month(today)
    return {"du": first, "au": last}


def _blank(family, child, initial):
    return AttendanceForm(family, child, initial=initial)


def _page(request, tax_form=None, bound=None):
    family = request.family
    children = list(Child.objects.for_family(family))
    initial = _default_period(timezone.localdate())
    attendance_forms = [
        (child, bound if bound and bound.child == child else _blank(family, child, initial))
        for child in children
    ]
    return render(
        request,
        "portal/billing/certificates.html",
        {"tax_form": tax_form or TaxForm(family), "attendance_forms": attendance_forms},
    )


def _pdf_response(content, filename):
    return attachment(content, filename)


@guardian_required
@require_GET
def certificate_list(request):
    return _page(request)


@guardian_required
@require_GET
def tax_certificate(request):
    form = TaxForm(request.family, request.GET)
    if not form.is_valid():
        return _page(request, tax_form=form)
    year = form.cleaned_data["annee"]
    content = certificates.tax_certificate_pdf(request.family, form.structure(), year)
    return _pdf_response(content, certificates.tax_filename(request.family, year))


@guardian_required
@require_GET
def attendance_certificate(request, child_pk):
    child = get_or_404(Child.objects.for_family(request.family), pk=child_pk)
    form = AttendanceForm(request.family, child, request.GET)
    if not form.is_valid():
        return _page(request, bound=form)
    first, last = form.cleaned_data["du"], form.cleaned_data["au"]
    content = certificates.attendance_certificate_pdf(child, form.structure(), first, last)
    return _pdf_response(content, certificates.attendance_filename(child, first, last))
