"""The three demo families, each in a different state.

(a) Martin: complete and validated file, two children (Tom is under 6), QF 540.
(b) Durand: separated parents with one login each, QF 980, a pending holiday enrollment
    (winter holidays 2027, waiting for the registration opening) and a pending change request.
(c) Roux: new family, no password yet (an unused initialisation link), no QF.

A family is identified by its first guardian's e-mail: if that login exists, the family is left
as it is.
"""

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify

from marmots.accounts.models import User
from marmots.activities.models import Activity, Period
from marmots.enrollments.models import Enrollment
from marmots.families.models import (
    AuthorizedPerson,
    ChangeRequest,
    Child,
    Family,
    FamilyDocument,
    Guardian,
    Quotient,
)

from ._demo_pdf import demo_pdf

END_OF_YEAR = date(2027, 8, 31)


def _guardian(email, first_name, last_name, relationship, phone, **address):
    address = {"address": "12 Chemin des Gets", "postcode": "74440", "city": "Mieussy", **address}
    return {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "relationship": relationship,
        "phone_mobile": phone,
        **address,
    }


FAMILIES = [
    {
        "name": "Martin",
        "dependent_children": 2,
        "guardians": [
            _guardian("claire.martin@example.org", "Claire", "Martin", "mere", "06 11 22 33 44"),
            _guardian("thomas.martin@example.org", "Thomas", "Martin", "pere", "06 55 66 77 88"),
        ],
        "quotient": (540, Decimal("19440.00")),
        "children": [
            {
                "first_name": "Léa",
                "sex": "F",
                "birth_date": date(2018, 6, 21),
                "school": "École primaire de Mieussy",
                "school_class": "CE2",
                "allergies": "Arachide",
                "pai": True,
                "pai_details": "Trousse d'urgence dans le sac (stylo d'adrénaline).",
                "doctor_name": "Dr Anne Perrier",
                "doctor_phone": "04 50 43 10 20",
                "image_rights": True,
            },
            {
                "first_name": "Tom",
                "sex": "M",
                "birth_date": date(2022, 2, 10),
                "school": "École maternelle de Mieussy",
                "school_class": "Moyenne section",
                "doctor_name": "Dr Anne Perrier",
                "doctor_phone": "04 50 43 10 20",
                "image_rights": True,
            },
        ],
        "checked": True,
        "state": "complete",
    },
    {
        "name": "Durand",
        "dependent_children": 1,
        # Separated parents: each has their own login to the same child.
        "guardians": [
            _guardian("julien.durand@example.org", "Julien", "Durand", "pere", "06 21 43 65 87"),
            _guardian(
                "aurelie.rey@example.org",
                "Aurélie",
                "Rey",
                "mere",
                "07 12 34 56 78",
                address="30 Rue du Bourg",
                city="Taninges",
            ),
        ],
        "quotient": (980, Decimal("29400.00")),
        "children": [
            {
                "first_name": "Emma",
                "sex": "F",
                "birth_date": date(2017, 4, 3),
                "school": "École primaire de Mieussy",
                "school_class": "CM1",
                "doctor_name": "Dr Anne Perrier",
                "doctor_phone": "04 50 43 10 20",
            }
        ],
        "checked": True,
        "state": "pending",
    },
    {
        "name": "Roux",
        "dependent_children": None,
        "guardians": [
            _guardian("camille.roux@example.org", "Camille", "Roux", "mere", "06 98 76 54 32")
        ],
        "quotient": None,
        "children": [
            {
                "first_name": "Noah",
                "sex": "M",
                "birth_date": date(2020, 9, 15),
                "school": "École primaire de Mieussy",
                "school_class": "CP",
            }
        ],
        "checked": False,
        "state": "new",
    },
]


def load_families(structure, doc_types, manager, password_hash):
    """Create the missing demo families; return {family name: [guardian users]}."""
    logins = {}
    for spec in FAMILIES:
        first_email = spec["guardians"][0]["email"]
        existing = User.objects.filter(email__iexact=first_email).first()
        if existing is not None:
            family = existing.guardian.family
        else:
            # The new family has not chosen its password yet: its logins stay unusable.
            new = spec["state"] == "new"
            family = _create_family(structure, spec, None if new else password_hash)
            if not new:
                BUILDERS[spec["state"]](structure, family, doc_types, manager)
        logins[spec["name"]] = [g.user for g in family.guardians.order_by("id")]
    return logins


def _create_family(structure, spec, password_hash):
    family = Family.objects.create(name=spec["name"], dependent_children=spec["dependent_children"])
    family.structures.add(structure)
    for guardian in spec["guardians"]:
        details = dict(guardian)
        user = User(
            email=details.pop("email"),
            first_name=guardian["first_name"],
            last_name=guardian["last_name"],
        )
        if password_hash:
            user.password = password_hash
        else:
            user.set_unusable_password()
        user.save()
        Guardian.objects.create(family=family, user=user, **details)
    checked_at = timezone.now() if spec["checked"] else None
    for child in spec["children"]:
        Child.objects.create(
            family=family, last_name=spec["name"], info_checked_at=checked_at, **child
        )
    if spec["quotient"]:
        value, income = spec["quotient"]
        Quotient.objects.create(
            family=family,
            value=value,
            annual_income=income,
            valid_from=date(2026, 9, 1),
            valid_until=END_OF_YEAR,
            source="CAF",
        )
    return family


def _complete_family(structure, family, doc_types, manager):
    """(a) Every document accepted, every enrollment validated, a person allowed to pick up."""
    lea, tom = family.children.order_by("birth_date")
    for child in (lea, tom):
        AuthorizedPerson.objects.create(
            child=child,
            name="Monique Martin",
            relationship="grand-mère",
            phone="04 50 43 55 66",
            emergency_contact=True,
        )
    guardian = family.guardians.order_by("id").first().user
    _document(family, doc_types["assurance"], None, guardian, manager, valid_until=END_OF_YEAR)
    _document(family, doc_types["quotient"], None, guardian, manager, valid_until=END_OF_YEAR)
    _document(family, doc_types["pai"], lea, guardian, manager, valid_until=date(2027, 7, 2))
    for child in (lea, tom):
        _document(family, doc_types["vaccinations"], child, guardian, manager)
    year = _school_year(structure)
    christmas = _holidays(structure, "Vacances de Noël")
    plan = [
        (lea, "Périscolaire matin", year),
        (lea, "Périscolaire soir", year),
        (lea, "Cirque", year),
        (tom, "Périscolaire soir", year),
        (tom, "Mercredis", year),
        (lea, "Accueil de loisirs (vacances)", christmas),
        (tom, "Accueil de loisirs (vacances)", christmas),
    ]
    for child, activity, period in plan:
        _enroll(structure, child, activity, period, guardian, manager, Enrollment.VALIDATED)


def _pending_family(structure, family, doc_types, manager):
    """(b) A validated Wednesday enrollment, a pending one for the winter holidays."""
    (emma,) = family.children.all()
    father = family.guardians.order_by("id").first().user
    _document(family, doc_types["assurance"], None, father, manager, valid_until=END_OF_YEAR)
    _document(family, doc_types["vaccinations"], emma, father, manager)
    _document(
        family,
        doc_types["quotient"],
        None,
        father,
        manager,
        refusal_reason="Document illisible : merci d'envoyer une copie complète.",
    )
    year = _school_year(structure)
    _enroll(structure, emma, "Mercredis", year, father, manager, Enrollment.VALIDATED)
    winter = _holidays(structure, "Vacances d'hiver")
    enrollment = _enroll(structure, emma, "Accueil de loisirs (vacances)", winter, father, None)
    enrollment.comment = "Les deux semaines si possible."
    enrollment.save(update_fields=["comment"])
    ChangeRequest.objects.create(
        family=family,
        child=emma,
        changes={"doctor_name": {"old": emma.doctor_name, "new": "Dr Marc Bouvier"}},
        created_by=father,
    )


def _school_year(structure):
    return Period.objects.get(structure=structure, kind=Period.SCHOOL_YEAR, school_year="2026-2027")


def _holidays(structure, name):
    return Period.objects.get(
        structure=structure, kind=Period.HOLIDAYS, school_year="2026-2027", name__startswith=name
    )


def _enroll(structure, child, activity_name, period, requested_by, manager, status="pending"):
    decided = status == Enrollment.VALIDATED
    return Enrollment.objects.create(
        child=child,
        activity=Activity.objects.get(structure=structure, name=activity_name),
        period=period,
        start_date=period.start_date,
        end_date=period.end_date,
        status=status,
        requested_by=requested_by,
        decided_by=manager if decided else None,
        decided_at=timezone.now() if decided else None,
    )


def _document(family, doc_type, child, uploaded_by, manager, valid_until=None, refusal_reason=""):
    """A reviewed document (accepted, or refused with a reason) holding a small real PDF, saved
    through the storage API."""
    who = f"{child.first_name} {child.last_name}" if child else f"Famille {family.name}"
    pdf = demo_pdf(doc_type.name, [who, "Document de démonstration."])
    document = FamilyDocument(
        family=family,
        child=child,
        doc_type=doc_type,
        content_type="application/pdf",
        size=len(pdf),
        status=FamilyDocument.REFUSED if refusal_reason else FamilyDocument.ACCEPTED,
        refusal_reason=refusal_reason,
        valid_until=valid_until,
        uploaded_by=uploaded_by,
        reviewed_by=manager,
        reviewed_at=timezone.now(),
    )
    name = slugify(f"{doc_type.code} {child.first_name}" if child else doc_type.code)
    document.original_name = f"{name}.pdf"
    document.file.save(document.original_name, ContentFile(pdf), save=True)
    return document


BUILDERS = {"complete": _complete_family, "pending": _pending_family}
