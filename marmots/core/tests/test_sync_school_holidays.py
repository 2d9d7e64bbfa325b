"""manage.py sync_school_holidays: the school year and the zone's holidays, idempotently."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marmots.activities.models import Period


def sync(*args):
    out = StringIO()
    call_command("sync_school_holidays", *args, stdout=out)
    return out.getvalue()


def test_creates_the_year_and_each_holiday_with_its_opening(structure):
    output = sync("--structure", structure.slug, "--school-year", "2026-2027")
    periods = Period.objects.filter(structure=structure)
    assert periods.filter(kind=Period.SCHOOL_YEAR).get().end_date == dt.date(2027, 7, 2)
    toussaint = periods.get(name="Vacances de la Toussaint 2026")
    assert (toussaint.start_date, toussaint.end_date) == (
        dt.date(2026, 10, 19),
        dt.date(2026, 10, 30),
    )
    assert toussaint.registration_opens_at == dt.datetime(2026, 9, 21, 18, 0, tzinfo=dt.UTC)
    assert periods.filter(kind=Period.HOLIDAYS).count() == 6
    assert "inscriptions le 21/09/2026 20:00 (créée)" in output


def test_running_twice_changes_nothing_and_keeps_the_managers_opening(structure):
    sync("--structure", structure.slug, "--school-year", "2026-2027")
    winter = Period.objects.get(structure=structure, name="Vacances d'hiver 2027")
    moved = dt.datetime(2027, 1, 11, 19, 0, tzinfo=dt.UTC)
    Period.objects.filter(pk=winter.pk).update(registration_opens_at=moved)
    output = sync("--structure", structure.slug, "--school-year", "2026-2027")
    assert Period.objects.filter(structure=structure).count() == 7
    assert "créée" not in output and "mise à jour" not in output
    winter.refresh_from_db()
    assert winter.registration_opens_at == moved


def test_a_changed_last_day_is_put_back(structure):
    sync("--structure", structure.slug, "--school-year", "2026-2027")
    Period.objects.filter(structure=structure, name__startswith="Vacances de Noël").update(
        end_date=dt.date(2027, 1, 8)
    )
    output = sync("--structure", structure.slug, "--school-year", "2026-2027")
    assert "Vacances de Noël 2026 : 21/12/2026 – 01/01/2027" in output
    assert output.count("mise à jour") == 1


def test_other_structures_are_left_alone(structure, other_structure):
    sync("--structure", structure.slug, "--school-year", "2026-2027")
    assert not Period.objects.filter(structure=other_structure).exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--structure", "inconnue", "--school-year", "2026-2027"], "Structure inconnue"),
        (["--structure", "petits-montagnards", "--school-year", "2026"], "Année scolaire invalide"),
        (["--structure", "petits-montagnards", "--school-year", "1980-1981"], "Pas de calendrier"),
    ],
)
def test_bad_arguments_are_explained_and_change_nothing(structure, args, message):
    with pytest.raises(CommandError, match=message):
        sync(*args)
    assert not Period.objects.exists()
