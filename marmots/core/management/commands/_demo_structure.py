"""The demo structure, Les Petits Montagnards, as /work/shared/demo-settings.md describes it.

Everything here is data the manager can change in the back-office; `load_demo` only creates what
is missing (get_or_create on natural keys), so running it again changes nothing.
"""

from datetime import time

from django.core.files.base import ContentFile

from marmots.activities.calendar import sync_school_year
from marmots.activities.models import (
    Activity,
    AgeGroupCapacity,
    DocumentType,
    Period,
    PublishedDocument,
    StaffMembership,
    Structure,
    TimeSlot,
)
from marmots.bookings.models import DeadlinePolicy

from ._demo_pdf import demo_pdf

SLUG = "petits-montagnards"
SCHOOL_YEAR = "2026-2027"
SCHOOL_DAYS = [0, 1, 3, 4]

STRUCTURE = {
    "name": "Les Petits Montagnards",
    "address": "492 Route des Terres Blanches",
    "postcode": "74440",
    "city": "Mieussy",
    "phone": "04 50 43 27 07",
    "website": "https://www.lespetitsmontagnards-mieussy.fr",
    "holiday_zone": "A",
    "child_fields_needing_validation": ["birth_date", "allergies", "pai", "pai_details", "diet"],
}

HOUSE_RULES = """\
Extrait du règlement intérieur 2026-2027

Délais de réservation et d'annulation
Hors vacances scolaires (périscolaire, mercredis) : 2 jours ouvrés (du lundi au vendredi) avant \
le jour, avant 8h30.
- Pour le lundi : le jeudi avant 8h30
- Pour le mardi : le vendredi avant 8h30
- Pour le mercredi : le lundi avant 8h30
- Pour le jeudi : le mardi avant 8h30
- Pour le vendredi : le mercredi avant 8h30
Pendant les vacances scolaires (accueil de loisirs) : 10 jours ouvrés avant, soit le même jour \
de la semaine deux semaines plus tôt, avant 8h30.
Les réservations qui ne sont pas annulées dans les délais sont facturées à la famille, sauf dans \
les cas acceptés par le gestionnaire (maladie avec certificat médical...).

Pointage sur la tablette
Le pointage est réalisé par vos soins à l'arrivée le matin ET au départ le soir sur les temps \
périscolaires. Au-delà de 3 oublis de pointage dans le mois, chaque oubli du mois est facturé sur \
l'amplitude horaire maximale (7h00-8h30 le matin, 16h30-18h30 le soir).

APC du mardi
Votre enfant est aux APC le mardi : réservez les tranches 17h30-18h00 et 18h00-18h30, nous irons \
le chercher à la sortie des APC. Il ne pourra pas rejoindre les activités annuelles du mardi \
(cirque, théâtre, danse...).

Inscriptions aux vacances
Les inscriptions à chaque période de vacances ouvrent le lundi quatre semaines avant son premier \
jour, à 20h00 (voir le calendrier des inscriptions).
"""

# code: (name, one per child, validity in months)
DOCUMENT_TYPES = {
    "assurance": ("Attestation d'assurance", False, 12),
    "vaccinations": ("Carnet de vaccinations", True, None),
    "quotient": ("Attestation de quotient familial", False, 12),
    "pai": ("PAI (projet d'accueil individualisé)", True, 12),
}
# Every activity needs the insurance and the vaccinations. The QF notice is optional (without
# it the top price bracket applies) and a PAI is asked only of children who have one.
REQUIRED_DOCUMENTS = ["assurance", "vaccinations"]


def _slot(label, start, end, capacity, snack=False, apc=False, groups=()):
    return {
        "label": label,
        "start": start,
        "end": end,
        "capacity": capacity,
        "snack": snack,
        "apc": apc,
        "groups": groups,
    }


def _half_hours(starts, capacity):
    return [
        _slot(f"{a:%Hh%M}-{b:%Hh%M}", a, b, capacity)
        for a, b in zip(starts, starts[1:], strict=False)
    ]


ACTIVITIES = [
    {
        "name": "Périscolaire matin",
        "kind": Activity.MORNING,
        "weekdays": SCHOOL_DAYS,
        "description": "Accueil du matin avant la classe, de 7h00 à 8h30.",
        "kiosk": (Activity.KIOSK_ARRIVAL, time(7), time(8, 30)),
        "slots": _half_hours([time(7), time(7, 30), time(8), time(8, 30)], 30),
    },
    {
        "name": "Périscolaire soir",
        "kind": Activity.EVENING,
        "weekdays": SCHOOL_DAYS,
        "description": "Accueil du soir après la classe, de 16h30 à 18h30, goûter à 16h30.",
        "kiosk": (Activity.KIOSK_DEPARTURE, time(16, 30), time(18, 30)),
        "slots": [
            _slot("16h30-17h30 (goûter)", time(16, 30), time(17, 30), 40, snack=True),
            _slot("17h30-18h00", time(17, 30), time(18), 40, apc=True),
            _slot("18h00-18h30", time(18), time(18, 30), 40, apc=True),
        ],
    },
    {
        "name": "Mercredis",
        "kind": Activity.WEDNESDAY,
        "weekdays": [2],
        "description": "Le mercredi en période scolaire : matin, repas, après-midi.",
        "kiosk": (Activity.KIOSK_BOTH, None, None),
        "slots": [
            _slot("Matin", time(8, 30), time(12), 36),
            _slot("Repas", time(12), time(13, 30), 36),
            _slot("Après-midi", time(13, 30), time(17, 30), 36),
        ],
    },
    {
        "name": "Accueil de loisirs (vacances)",
        "kind": Activity.HOLIDAY,
        "weekdays": [0, 1, 2, 3, 4],
        "in_holidays": True,
        "kiosk": (Activity.KIOSK_BOTH, None, None),
        "description": (
            "Du lundi au vendredi pendant les vacances de la zone A, sauf jours fériés. "
            "48 places par jour : 16 pour les 3-5 ans, 32 pour les 6-11 ans."
        ),
        "slots": [
            _slot(
                "Journée avec repas",
                time(8, 30),
                time(17, 30),
                48,
                groups=[("3-5 ans", 3, 5, 16), ("6-11 ans", 6, 11, 32)],
            )
        ],
    },
    {
        "name": "APC (récupération)",
        "kind": Activity.APC,
        "weekdays": [1],
        "description": (
            "Le mardi, l'équipe récupère à la sortie des APC les enfants réservés sur les tranches "
            "17h30-18h00 et 18h00-18h30 du périscolaire soir. Ils ne peuvent pas rejoindre "
            "l'activité annuelle du mardi."
        ),
        "slots": [],
    },
]
for _name, _day, _label in [("Cirque", 1, "mardi"), ("Théâtre", 3, "jeudi"), ("Danse", 0, "lundi")]:
    ACTIVITIES.append(
        {
            "name": _name,
            "kind": Activity.ANNUAL,
            "weekdays": [_day],
            "description": f"Activité annuelle, le {_label} de 16h30 à 18h00, en période scolaire.",
            "slots": [_slot(_name, time(16, 30), time(18), 15)],
        }
    )


def load_structure():
    structure, _ = Structure.objects.get_or_create(
        slug=SLUG, defaults={**STRUCTURE, "house_rules": HOUSE_RULES}
    )
    doc_types = {
        code: DocumentType.objects.get_or_create(
            structure=structure,
            code=code,
            defaults={"name": name, "per_child": per_child, "validity_months": months},
        )[0]
        for code, (name, per_child, months) in DOCUMENT_TYPES.items()
    }
    required = [doc_types[code] for code in REQUIRED_DOCUMENTS]
    for order, spec in enumerate(ACTIVITIES, start=1):
        _load_activity(structure, spec, order, required)
    sync_school_year(structure, SCHOOL_YEAR)
    _deadlines(structure)
    _publish_house_rules(structure)
    return structure, doc_types


def _kiosk(spec):
    """The kiosk settings of the house rules: arrival in the morning, departure in the evening,
    and the maximum spans the missed check-in rule bills."""
    events, start, end = spec.get("kiosk", (Activity.KIOSK_NONE, None, None))
    return {"kiosk_events": events, "max_span_start": start, "max_span_end": end}


def _load_activity(structure, spec, order, required_documents):
    activity, created = Activity.objects.get_or_create(
        structure=structure,
        name=spec["name"],
        defaults={
            "kind": spec["kind"],
            "weekdays": spec["weekdays"],
            "in_holidays": spec.get("in_holidays", False),
            "description": spec["description"],
            "order": order,
            **_kiosk(spec),
        },
    )
    if created:
        activity.required_documents.set(required_documents)
    for slot_order, slot in enumerate(spec["slots"], start=1):
        time_slot, _ = TimeSlot.objects.get_or_create(
            activity=activity,
            start_time=slot["start"],
            defaults={
                "label": slot["label"],
                "end_time": slot["end"],
                "capacity": slot["capacity"],
                "with_snack": slot["snack"],
                "apc_pickup": slot["apc"],
                "order": slot_order,
            },
        )
        for label, min_age, max_age, places in slot["groups"]:
            AgeGroupCapacity.objects.get_or_create(
                slot=time_slot,
                min_age=min_age,
                defaults={"label": label, "max_age": max_age, "capacity": places},
            )
    return activity


def _deadlines(structure):
    """The house rules: 2 working days before at 8:30 in school time, 10 in the holidays."""
    for kind, days in [(Period.SCHOOL_YEAR, 2), (Period.HOLIDAYS, 10)]:
        DeadlinePolicy.objects.get_or_create(
            structure=structure,
            period_kind=kind,
            defaults={"days_before": days, "at_time": time(8, 30)},
        )


def _publish_house_rules(structure):
    title = "Règlement intérieur 2026-2027 (extrait)"
    if structure.documents.filter(title=title).exists():
        return
    document = PublishedDocument(
        structure=structure,
        title=title,
        description="Délais d'annulation, pointage sur la tablette, APC du mardi.",
        order=1,
    )
    pdf = demo_pdf(structure.name, structure.house_rules.splitlines())
    document.file.save("reglement-interieur-2026-2027.pdf", ContentFile(pdf), save=True)


def load_team(structure, password_hash):
    """The manager and the staff member (read-only back-office)."""
    from marmots.accounts.models import User

    people = [
        ("gestion@petits-montagnards.fr", "Sophie", "Baud", StaffMembership.MANAGER),
        ("animation@petits-montagnards.fr", "Manon", "Mogenet", StaffMembership.STAFF),
    ]
    team = []
    for email, first_name, last_name, role in people:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create(
                email=email, password=password_hash, first_name=first_name, last_name=last_name
            )
        StaffMembership.objects.get_or_create(
            user=user, structure=structure, defaults={"role": role}
        )
        team.append(user)
    return team
