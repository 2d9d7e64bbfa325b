"""The demo prices of Les Petits Montagnards (shared demo settings), as tariff rows.

Used by `load_demo` and by the tests' `tariffs` fixture, so that a family, a manager or a test
computes every amount by hand from the same table. Running it twice adds nothing.
"""

import datetime
from decimal import Decimal

from marmots.activities.models import Activity

from .models import Tariff, TariffPrice

# (qf_min, qf_max) of the three brackets; None: no upper limit.
BRACKETS = [(0, 650), (651, 1150), (1151, None)]
PERISCOLAIRE = ["0.60", "0.90", "1.20"]  # per half-hour
SNACK = "0.50"  # each billed evening session
WEDNESDAY_HALF = ["4.00", "6.00", "8.00"]  # morning or afternoon
WEDNESDAY_LUNCH = ["3.50", "4.00", "4.50"]
HOLIDAY_DAY = ["12.00", "18.00", "24.00"]  # full day with lunch
MEMBERSHIP = "20.00"  # per child and school year
UNBOOKED_SUPPLEMENT = "1.00"  # per session attended without a booking


def _tariff(structure, valid_from, label, amounts, **fields):
    tariff, created = Tariff.objects.get_or_create(
        structure=structure, label=label, valid_from=valid_from, defaults=fields
    )
    if created:
        if isinstance(amounts, str):
            amounts = [amounts]
        brackets = BRACKETS if len(amounts) == len(BRACKETS) else [(0, None)]
        TariffPrice.objects.bulk_create(
            TariffPrice(tariff=tariff, qf_min=low, qf_max=high, amount=Decimal(amount))
            for (low, high), amount in zip(brackets, amounts, strict=True)
        )
    return tariff


def create_demo_tariffs(structure, valid_from=datetime.date(2026, 9, 1)):
    """The demo tariffs of every activity of `structure` found by its kind and slot times."""
    activities = {a.kind: a for a in Activity.objects.filter(structure=structure)}
    created = []
    for kind, name in [
        (Activity.MORNING, "Périscolaire matin"),
        (Activity.EVENING, "Périscolaire soir"),
    ]:
        activity = activities.get(kind)
        if activity is None:
            continue
        created.append(
            _tariff(
                structure,
                valid_from,
                f"{name} (demi-heure)",
                PERISCOLAIRE,
                activity=activity,
                unit=Tariff.HALF_HOUR,
            )
        )
        created.append(
            _tariff(
                structure,
                valid_from,
                f"{name} : présence sans réservation",
                UNBOOKED_SUPPLEMENT,
                activity=activity,
                kind=Tariff.UNBOOKED,
                unit=Tariff.SESSION,
            )
        )
        if activity.slots.filter(with_snack=True).exists():
            # No slot: billed with each billed session, whatever its slots.
            created.append(
                _tariff(
                    structure,
                    valid_from,
                    "Goûter",
                    SNACK,
                    activity=activity,
                    kind=Tariff.EXTRA,
                    unit=Tariff.SESSION,
                )
            )
    wednesday = activities.get(Activity.WEDNESDAY)
    if wednesday is not None:
        for slot in wednesday.slots.all():
            lunch = slot.start_time == datetime.time(12)
            created.append(
                _tariff(
                    structure,
                    valid_from,
                    f"Mercredi : {slot.label.lower()}",
                    WEDNESDAY_LUNCH if lunch else WEDNESDAY_HALF,
                    activity=wednesday,
                    slot=slot,
                    unit=Tariff.SLOT,
                    is_meal=lunch,  # left out of the tax certificate
                )
            )
    holiday = activities.get(Activity.HOLIDAY)
    if holiday is not None:
        created.append(
            _tariff(
                structure,
                valid_from,
                "Accueil de loisirs : journée avec repas",
                HOLIDAY_DAY,
                activity=holiday,
                unit=Tariff.DAY,
            )
        )
    created.append(
        _tariff(
            structure,
            valid_from,
            "Adhésion annuelle",
            MEMBERSHIP,
            kind=Tariff.MEMBERSHIP,
            unit=Tariff.CHILD_YEAR,
        )
    )
    return created
