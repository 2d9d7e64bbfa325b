"""Back-office billing settings forms: tariffs and their price grid, billing settings,
third-party aid, and the period of exports and reports. Every rule is checked here, on the
server, with a French message that says what to fix."""

import datetime
import re
from collections import defaultdict
from itertools import combinations

from django import forms
from django.db.models import Q
from django.utils import timezone

from marmots.activities.forms import StructureScopedForm, check_order, date_input
from marmots.activities.models import Activity, TimeSlot
from marmots.billing.deposits import DEPOSIT_SERIES
from marmots.billing.models import Aid, BillingSettings, Tariff, TariffPrice
from marmots.billing.settings_actions import (
    AID_FIELDS,
    TARIFF_FIELDS,
    aid_used_until,
    tariff_used_until,
)
from marmots.families.models import Child, Family
from marmots.portal.frdates import previous_month

MEMBERSHIP_UNITS = (Tariff.CHILD_YEAR, Tariff.FAMILY_YEAR)
RESIDENCE_WORDS = dict(TariffPrice.RESIDENCES)


def _day(value):
    return f"{value:%d/%m/%Y}"


# Tariffs ----------------------------------------------------------------------------------------


class TariffForm(StructureScopedForm):
    """A tariff's terms. With `replaces` (a tariff issued invoices applied), the new tariff
    keeps its activity, slot and kind and must start after what was invoiced."""

    class Meta:
        model = Tariff
        fields = ["structure", *TARIFF_FIELDS]
        localized_fields = ["rate"]
        labels = {
            "activity": "Activité",
            "slot": "Tranche horaire",
            "rate": "Taux d'effort (prix d'une unité = QF × taux)",
        }
        widgets = {"valid_from": date_input(), "valid_until": date_input()}

    def __init__(self, *args, structures, replaces=None, **kwargs):
        super().__init__(*args, structures=structures, **kwargs)
        self.replaces = replaces
        if replaces is not None:
            for name in ("structure", "activity", "slot", "kind"):
                self.fields.pop(name, None)
            for name in ("structure", "activity", "slot", "kind"):
                setattr(self.instance, name, getattr(replaces, name))
            self.fields["valid_from"].label = "Nouveau tarif à partir du"
            return
        self.fields["activity"].queryset = Activity.objects.filter(structure__in=structures)
        self.fields["activity"].required = False
        self.fields["slot"].queryset = TimeSlot.objects.filter(
            activity__structure__in=structures
        ).select_related("activity")
        self.fields["slot"].label_from_instance = lambda s: f"{s.activity.name} : {s.label}"

    def clean(self):
        data = super().clean()
        kind = data.get("kind", self.instance.kind)
        activity = data.get("activity", self.instance.activity)
        slot = data.get("slot", self.instance.slot)
        self._check_activity(kind, activity, slot, data.get("unit"))
        if data.get("method") == Tariff.EFFORT_RATE:
            self._check_effort_rate(data)
        else:
            data["rate"] = data["qf_floor"] = data["qf_ceiling"] = None
        check_order(self, "valid_from", "valid_until", "La fin de validité doit suivre son début.")
        if self.replaces is not None:
            self._check_replacement(data.get("valid_from"))
        if not self.errors:
            self._check_overlap(kind, activity, slot, data["valid_from"], data["valid_until"])
        return data

    def _check_activity(self, kind, activity, slot, unit):
        structure = self.chosen_structure() if self.replaces is None else None
        if activity is None and kind != Tariff.MEMBERSHIP:
            self.add_error("activity", "Choisissez l'activité de ce tarif.")
        if structure and activity and activity.structure_id != structure.pk:
            self.add_error("activity", "Cette activité n'est pas celle de la structure choisie.")
        if slot is not None and activity is not None and slot.activity_id != activity.pk:
            self.add_error(
                "slot",
                f"La tranche « {slot.label} » est une tranche de « {slot.activity.name} », "
                f"pas de « {activity.name} ».",
            )
        if unit and kind == Tariff.MEMBERSHIP and unit not in MEMBERSHIP_UNITS:
            self.add_error(
                "unit", "Une adhésion se compte par enfant ou par famille et année scolaire."
            )
        if unit in MEMBERSHIP_UNITS and kind != Tariff.MEMBERSHIP:
            self.add_error("unit", "Cette unité est réservée à l'adhésion annuelle.")

    def _check_effort_rate(self, data):
        rate, floor, ceiling = data.get("rate"), data.get("qf_floor"), data.get("qf_ceiling")
        if rate is None or floor is None or ceiling is None:
            self.add_error(
                "rate",
                "Taux d'effort incomplet : indiquez le taux, le QF plancher et le QF plafond.",
            )
        elif rate <= 0:
            self.add_error("rate", "Le taux d'effort doit être positif.")
        elif ceiling < floor:
            self.add_error("qf_ceiling", "Le QF plafond doit être au moins égal au QF plancher.")

    def _check_replacement(self, start):
        if start is None:
            return
        used_until = tariff_used_until(self.replaces)
        earliest = max(self.replaces.valid_from, used_until or self.replaces.valid_from)
        if start <= earliest:
            why = (
                f"des factures émises appliquent l'ancien tarif jusqu'au {_day(used_until)}"
                if used_until and used_until >= self.replaces.valid_from
                else f"l'ancien tarif commence le {_day(self.replaces.valid_from)}"
            )
            self.add_error(
                "valid_from",
                f"Le nouveau tarif peut commencer le "
                f"{_day(earliest + datetime.timedelta(days=1))} au plus tôt : {why}.",
            )

    def _check_overlap(self, kind, activity, slot, start, end):
        others = Tariff.objects.filter(
            structure=self.instance.structure, kind=kind, activity=activity, slot=slot
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        if end is not None:
            others = others.filter(valid_from__lte=end)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if self.replaces is not None:
            others = others.exclude(pk=self.replaces.pk)
        other = others.first()
        if other is not None:
            until = f" au {_day(other.valid_until)}" if other.valid_until else ""
            self.add_error(
                None,
                f"Le tarif « {other.label} » (du {_day(other.valid_from)}{until}) s'applique "
                "déjà à ces dates pour la même activité, tranche et nature : changez les dates "
                "ou créez un nouveau tarif à partir d'une date depuis l'ancien.",
            )


class PriceForm(forms.Form):
    qf_min = forms.IntegerField(label="QF de", min_value=0, initial=0)
    qf_max = forms.IntegerField(label="QF à", min_value=0, required=False)
    min_rank = forms.IntegerField(label="À partir du rang", min_value=1, initial=1)
    residence = forms.ChoiceField(
        label="Résidence", choices=TariffPrice.RESIDENCES, initial=TariffPrice.ANY
    )
    amount = forms.DecimalField(
        label="Prix (€)", min_value=0, max_digits=10, decimal_places=2, localize=True
    )

    def has_changed(self):
        """A row counts when it says something beyond the defaults (an emptied row is
        dropped), even if it is a prefilled row sent back unchanged."""

        def raw(name):
            return (self.data.get(self.add_prefix(name)) or "").strip()

        return bool(raw("amount") or raw("qf_max") or raw("qf_min") not in ("", "0"))


def qf_span(row):
    if row["qf_max"] is None:
        return f"QF {row['qf_min']} et plus"
    return f"QF {row['qf_min']}-{row['qf_max']}"


def for_whom(residence, rank):
    parts = []
    if residence != TariffPrice.ANY:
        parts.append(RESIDENCE_WORDS[residence])
    if rank != 1:
        parts.append(f"à partir du {rank}e enfant")
    return f" ({', '.join(parts)})" if parts else ""


def _end(row):
    return float("inf") if row["qf_max"] is None else row["qf_max"]


def _bracket_errors(group, who):
    """Overlaps and gaps of one (residence, rank) group of rows, sorted by `qf_min`."""
    errors, previous = [], None
    for row in group:
        low = row["qf_min"]
        if previous is None:
            if low > 0:
                errors.append(f"Aucun prix pour un QF de 0 à {low - 1}{who}.")
        elif low <= _end(previous):
            errors.append(
                f"Les tranches {qf_span(previous)} et {qf_span(row)} se chevauchent{who}."
            )
        elif low > previous["qf_max"] + 1:
            errors.append(f"Aucun prix pour un QF de {previous['qf_max'] + 1} à {low - 1}{who}.")
        if previous is None or _end(row) > _end(previous):
            previous = row
    if previous is not None and previous["qf_max"] is not None:
        errors.append(
            f"Aucun prix pour un QF au-delà de {previous['qf_max']}{who} : laissez vide le "
            "« QF à » de la dernière tranche."
        )
    return errors


def grid_errors(rows):
    """What is wrong with a grid of price rows (dicts of `PriceForm` data), in French."""
    errors, groups = [], defaultdict(list)
    for row in rows:
        if row["qf_max"] is not None and row["qf_max"] < row["qf_min"]:
            errors.append(f"Tranche {qf_span(row)} : le « QF à » est inférieur au « QF de ».")
        else:
            groups[(row["residence"], row["min_rank"])].append(row)
    for (residence, rank), group in sorted(groups.items()):
        errors += _bracket_errors(
            sorted(group, key=lambda r: r["qf_min"]), for_whom(residence, rank)
        )
    residences = {residence for residence, _ in groups}
    for residence in sorted(residences):
        first_rank = min(rank for res, rank in groups if res == residence)
        if first_rank != 1:
            errors.append(
                f"Les prix{for_whom(residence, 1)} commencent au rang {first_rank} : indiquez "
                "aussi ceux à partir du 1er enfant."
            )
    if residences and TariffPrice.ANY not in residences:
        for missing in {TariffPrice.RESIDENT, TariffPrice.NON_RESIDENT} - residences:
            errors.append(
                f"Aucun prix pour les {RESIDENCE_WORDS[missing]} : ajoutez leurs prix ou "
                "choisissez « tous »."
            )
    return errors


class BasePriceFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        # Every row may be left empty: emptying a row removes the price.
        return super()._construct_form(i, empty_permitted=True, **kwargs)

    def rows(self):
        return [form.cleaned_data for form in self.forms if form.has_changed()]

    def clean(self):
        if any(self.errors):
            return
        errors = grid_errors(self.rows())
        if errors:
            raise forms.ValidationError(errors)


PriceFormSet = forms.formset_factory(PriceForm, formset=BasePriceFormSet, extra=3)


def tariff_forms(data, *, structures, instance=None, replaces=None):
    """The tariff form and its price grid (prefilled from `instance`, or from the tariff
    it `replaces`)."""
    source = replaces or instance
    initial = (
        [
            {name: getattr(price, name) for name in PriceForm.base_fields}
            for price in source.prices.order_by("residence", "min_rank", "qf_min")
        ]
        if source is not None and source.pk
        else []
    )
    form_initial = {}
    if replaces is not None:
        instance = Tariff(structure=replaces.structure)
        form_initial = {
            name: getattr(replaces, name)
            for name in ("unit", "method", "label", "is_meal", "rate", "qf_floor", "qf_ceiling")
        }
    form = TariffForm(
        data, instance=instance, initial=form_initial, structures=structures, replaces=replaces
    )
    return form, PriceFormSet(data, initial=initial, prefix="prix")


def tariff_is_valid(form, formset):
    """Both forms valid and the grid agreeing with the method."""
    valid = form.is_valid() & formset.is_valid()
    if valid:
        rows = formset.rows()
        if form.cleaned_data["method"] == Tariff.BRACKETS and not rows:
            form.add_error(None, "Indiquez au moins un prix dans la grille.")
        if form.cleaned_data["method"] == Tariff.EFFORT_RATE and rows:
            form.add_error(
                None,
                "Un tarif au taux d'effort n'a pas de grille de prix : videz les lignes de prix.",
            )
    return valid and form.is_valid()


# Billing settings -------------------------------------------------------------------------------

SERIES = re.compile(r"^[A-Z0-9]{1,10}$")
# The numbered documents whose prefix the manager chooses, as the messages name them.
SERIES_WORDS = {
    "invoice_series": "factures",
    "credit_note_series": "avoirs",
    "receipt_series": "reçus",
}


class BillingSettingsForm(forms.ModelForm):
    class Meta:
        model = BillingSettings
        fields = [
            "invoice_series",
            "credit_note_series",
            "receipt_series",
            "payment_days",
            "fallback_quotient",
            "block_enrollment_when_overdue",
            "resident_cities",
            "legal_mentions",
        ]
        widgets = {"legal_mentions": forms.Textarea(attrs={"rows": 4})}

    def _series(self, name):
        value = self.cleaned_data[name].strip().upper()
        if not SERIES.match(value):
            raise forms.ValidationError("Lettres et chiffres seulement, sans espace (ex. « FA »).")
        return value

    def clean_invoice_series(self):
        return self._series("invoice_series")

    def clean_credit_note_series(self):
        return self._series("credit_note_series")

    def clean_receipt_series(self):
        return self._series("receipt_series")

    def clean_payment_days(self):
        days = self.cleaned_data["payment_days"]
        if days > 365:
            raise forms.ValidationError("Un délai de paiement ne dépasse pas 365 jours.")
        return days

    def clean_resident_cities(self):
        cities = [c.strip() for c in self.cleaned_data["resident_cities"].split(",")]
        return ", ".join(c for c in cities if c)

    def clean(self):
        """Each series numbers its own documents: two kinds sharing a prefix would share one
        numbering (gaps in both) and lock each other's sequence."""
        data = super().clean()
        for name in SERIES_WORDS:
            if data.get(name) == DEPOSIT_SERIES:
                self.add_error(
                    name,
                    f"« {DEPOSIT_SERIES} » est réservé aux bordereaux de remise en banque : "
                    "choisissez un autre préfixe.",
                )
        for first, name in combinations(SERIES_WORDS, 2):
            if data.get(name) and data.get(name) == data.get(first) and name not in self.errors:
                self.add_error(
                    name,
                    f"Les {SERIES_WORDS[name]} ont un préfixe différent de celui des "
                    f"{SERIES_WORDS[first]}.",
                )
        return data


# Third-party aid --------------------------------------------------------------------------------

AID_TERMS = ["family", "child", "payer", "label", "activities", "method", "amount", "percent"]


class AidForm(StructureScopedForm):
    """An aid. Once issued invoices deducted it, its terms are kept (shown, not editable):
    only its reference and its end can change."""

    # Declared here: the family models' manager has its own `using()`, which the automatic
    # form fields of a foreign key would call with a database alias.
    family = forms.ModelChoiceField(label="Famille", queryset=Family.objects.none())
    child = forms.ModelChoiceField(
        label="Enfant",
        queryset=Child.objects.none(),
        required=False,
        empty_label="Tous les enfants de la famille",
    )

    class Meta:
        model = Aid
        fields = ["structure", *AID_FIELDS]
        localized_fields = ["amount", "percent"]
        labels = {"amount": "Montant par unité (€)", "percent": "Pourcentage (%)"}
        widgets = {
            "activities": forms.CheckboxSelectMultiple,
            "valid_from": date_input(),
            "valid_until": date_input(),
        }

    def __init__(self, *args, structures, families, **kwargs):
        super().__init__(*args, structures=structures, **kwargs)
        if "structure" not in self.fields:  # the structure is known: its families only
            families = families.filter(
                pk__in=Family.objects.using([self.instance.structure]).values("pk")
            )
        self.fields["family"].queryset = families.order_by("name")
        self.fields["child"].queryset = (
            Child.objects.filter(family__in=families)
            .select_related("family")
            .order_by("family__name", "first_name")
        )
        self.fields["child"].label_from_instance = lambda c: (
            f"{c.first_name} {c.last_name} (famille {c.family.name})"
        )
        self.fields["activities"].queryset = Activity.objects.filter(structure__in=structures)
        self.used_until = aid_used_until(self.instance) if self.instance.pk else None
        if self.used_until:
            for name in [*AID_TERMS, "valid_from"]:
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean()
        family, child = data.get("family"), data.get("child")
        if family and child and child.family_id != family.pk:
            self.add_error("child", "Cet enfant n'est pas de la famille choisie.")
        structure = self.chosen_structure()
        if (
            structure
            and family
            and not Family.objects.using([structure]).filter(pk=family.pk).exists()
        ):
            self.add_error("family", "Cette famille n'est pas accueillie par la structure choisie.")
        activities = data.get("activities") or []
        if structure and any(a.structure_id != structure.pk for a in activities):
            self.add_error("activities", "Choisissez des activités de la structure.")
        if data.get("method") == Aid.PER_UNIT:
            data["percent"] = None
            if not data.get("amount"):
                self.add_error("amount", "Indiquez le montant déduit par séance ou journée.")
        elif data.get("method") == Aid.PERCENT:
            data["amount"] = None
            percent = data.get("percent")
            if percent is None or not 0 < percent <= 100:
                self.add_error("percent", "Indiquez un pourcentage entre 0 et 100.")
        check_order(self, "valid_from", "valid_until", "La fin de l'aide doit suivre son début.")
        last = data.get("valid_until")
        if self.used_until and last and last < self.used_until:
            self.add_error(
                "valid_until",
                f"Des factures émises déduisent cette aide jusqu'au {_day(self.used_until)} : "
                "elle ne peut pas finir avant.",
            )
        return data


class AidEndForm(forms.Form):
    last_day = forms.DateField(label="Dernier jour de l'aide", widget=date_input())


# The period of exports and reports -------------------------------------------------------------


class PeriodForm(forms.Form):
    """A period of at most a year, in one of the manager's structures."""

    structure = forms.ModelChoiceField(label="Structure", queryset=None, empty_label=None)
    first = forms.DateField(label="Du", widget=date_input())
    last = forms.DateField(label="Au", widget=date_input())

    def __init__(self, structures, data=None):
        first, last = previous_month(timezone.localdate())
        super().__init__(data, initial={"first": first, "last": last})
        self.structures = structures
        if len(structures) == 1:
            del self.fields["structure"]
        else:
            self.fields["structure"].queryset = structures

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", "La fin de la période doit suivre son début.")
            elif (last - first).days > 366:
                self.add_error("last", "Choisissez une période d'un an au plus.")
        return data

    def chosen_structure(self):
        if "structure" in self.fields:
            return self.cleaned_data["structure"]
        return self.structures[0]
