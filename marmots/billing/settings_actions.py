"""Writes to the billing settings: tariffs and their prices, the structure's billing settings,
third-party aid. Each action owns its transaction and its audit entry.

History is never rewritten: a tariff that issued invoices applied is not edited but replaced
from a date (`replace_tariff` ends it the day before); an aid they deducted keeps its terms
and can only be ended after the last day it was deducted.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Max
from django.db.models.functions import Coalesce

from marmots.core.audit import record, snapshot

from .models import Aid, Invoice, InvoiceLine, Tariff, TariffPrice

TARIFF_FIELDS = [
    "activity",
    "slot",
    "kind",
    "unit",
    "method",
    "label",
    "is_meal",
    "rate",
    "qf_floor",
    "qf_ceiling",
    "valid_from",
    "valid_until",
]
PRICE_FIELDS = ["qf_min", "qf_max", "min_rank", "residence", "amount"]
AID_FIELDS = [
    "family",
    "child",
    "payer",
    "label",
    "reference",
    "activities",
    "method",
    "amount",
    "percent",
    "valid_from",
    "valid_until",
]


def _last_issued_day(lines):
    """The last day of issued invoices' `lines` (a line without a date: its invoice's end)."""
    day = Coalesce("date", "invoice__period_end", output_field=DateField())
    return lines.filter(invoice__status=Invoice.ISSUED).aggregate(last=Max(day))["last"]


def tariff_used_until(tariff):
    """The last day an issued invoice applied `tariff`, or None if none did."""
    return _last_issued_day(InvoiceLine.objects.filter(tariff=tariff))


def aid_used_until(aid):
    """The last day an issued invoice deducted `aid`, or None if none did."""
    return _last_issued_day(InvoiceLine.objects.filter(aid=aid))


# Tariffs ----------------------------------------------------------------------------------------


def _tariff_snapshot(tariff):
    data = snapshot(tariff, fields=TARIFF_FIELDS)
    prices = tariff.prices.order_by("residence", "min_rank", "qf_min")
    data["prices"] = [snapshot(price, fields=PRICE_FIELDS) for price in prices]
    return data


def _write_prices(tariff, prices):
    tariff.prices.all().delete()
    TariffPrice.objects.bulk_create(
        TariffPrice(tariff=tariff, **{name: row[name] for name in PRICE_FIELDS}) for row in prices
    )


def save_tariff(form, prices, *, actor):
    """Create a tariff, or edit one no issued invoice has applied, with its price rows
    (`prices`: dicts of `TariffPrice` fields; empty for an effort rate)."""
    created = form.instance.pk is None
    with transaction.atomic():
        if not created:
            locked = Tariff.objects.select_for_update().get(pk=form.instance.pk)
            if tariff_used_until(locked):
                raise ValidationError(
                    "Des factures émises appliquent ce tarif : créez un nouveau tarif à "
                    "partir d'une date plutôt que de le modifier."
                )
            before = _tariff_snapshot(locked)
        tariff = form.save()
        _write_prices(tariff, prices if tariff.method == Tariff.BRACKETS else [])
        verb = "create" if created else "update"
        after = _tariff_snapshot(tariff)
        record(actor, f"tariff.{verb}", tariff, before={} if created else before, after=after)
    return tariff


def replace_tariff(old, form, prices, *, actor):
    """Create the tariff of `form` from its start date and end `old` the day before."""
    start = form.instance.valid_from
    with transaction.atomic():
        old = Tariff.objects.select_for_update().get(pk=old.pk)
        used_until = tariff_used_until(old)
        if start <= old.valid_from or (used_until and start <= used_until):
            earliest = max(old.valid_from, used_until or old.valid_from)
            day = earliest + datetime.timedelta(days=1)
            raise ValidationError(f"Le nouveau tarif peut commencer le {day:%d/%m/%Y} au plus tôt.")
        before = _tariff_snapshot(old)
        last_day = start - datetime.timedelta(days=1)
        if old.valid_until is None or old.valid_until > last_day:
            old.valid_until = last_day
            old.save(update_fields=["valid_until"])
            record(actor, "tariff.end", old, before=before, after=_tariff_snapshot(old))
        tariff = form.save()
        _write_prices(tariff, prices if tariff.method == Tariff.BRACKETS else [])
        after = _tariff_snapshot(tariff) | {"replaces": old.pk}
        record(actor, "tariff.replace", tariff, after=after)
    return tariff


# Billing settings -------------------------------------------------------------------------------


def save_billing_settings(form, *, actor):
    fields = list(form.fields)
    before = snapshot(type(form.instance).objects.get(pk=form.instance.pk), fields=fields)
    with transaction.atomic():
        saved = form.save()
        record(
            actor,
            "billing_settings.update",
            saved,
            before=before,
            after=snapshot(saved, fields=fields),
        )
    return saved


# Third-party aid --------------------------------------------------------------------------------


def save_aid(form, *, actor):
    """Create or edit an aid (the form keeps the terms of an aid already deducted)."""
    created = form.instance.pk is None
    before = {} if created else snapshot(Aid.objects.get(pk=form.instance.pk), AID_FIELDS)
    with transaction.atomic():
        if not created:
            used_until = aid_used_until(Aid.objects.select_for_update().get(pk=form.instance.pk))
            _check_end(form.instance, form.instance.valid_until, used_until)
        aid = form.save()
        verb = "create" if created else "update"
        after = snapshot(aid, AID_FIELDS)
        record(actor, f"aid.{verb}", aid, family_id=aid.family_id, before=before, after=after)
    return aid


def _check_end(aid, last_day, used_until):
    if last_day < aid.valid_from:
        raise ValidationError(
            f"L'aide commence le {aid.valid_from:%d/%m/%Y} : elle ne peut pas finir avant."
        )
    if used_until and last_day < used_until:
        raise ValidationError(
            f"Des factures émises déduisent cette aide jusqu'au {used_until:%d/%m/%Y} : "
            "elle ne peut pas finir avant."
        )


def end_aid(aid, last_day, *, actor):
    """End an aid on `last_day` (no later invoice deducts it)."""
    with transaction.atomic():
        aid = Aid.objects.select_for_update().get(pk=aid.pk)
        _check_end(aid, last_day, aid_used_until(aid))
        before = {"valid_until": str(aid.valid_until)}
        aid.valid_until = last_day
        aid.save(update_fields=["valid_until"])
        record(
            actor,
            "aid.end",
            aid,
            family_id=aid.family_id,
            before=before,
            after={"valid_until": str(last_day)},
        )
    return aid
