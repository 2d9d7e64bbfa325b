"""What a family may change, how each field is named in French and stored in a change request.

Change requests keep JSON values: dates as ISO strings, the people allowed to pick a child up as
a sorted list of plain dicts (the pseudo-field "authorized_people").
"""

import datetime

from .models import AuthorizedPerson, Child, Guardian

AUTHORIZED_PEOPLE = "authorized_people"
PERSON_KEYS = ["name", "relationship", "phone", "emergency_contact"]

CHILD_FIELDS = [
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "school",
    "school_class",
    "allergies",
    "pai",
    "pai_details",
    "diet",
    "doctor_name",
    "doctor_phone",
    "health_notes",
    "image_rights",
    AUTHORIZED_PEOPLE,
]

GUARDIAN_FIELDS = [
    "first_name",
    "last_name",
    "relationship",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "address",
    "postcode",
    "city",
    "profession",
    "employer",
]


def _label(model, name):
    if name == AUTHORIZED_PEOPLE:
        return "personnes autorisées à venir chercher l'enfant"
    return str(model._meta.get_field(name).verbose_name)


CHILD_FIELD_LABELS = {name: _label(Child, name) for name in CHILD_FIELDS}
GUARDIAN_FIELD_LABELS = {name: _label(Guardian, name) for name in GUARDIAN_FIELDS}


def child_field_choices():
    """(field, French label) pairs, for the manager's "needs validation" setting."""
    return [(name, CHILD_FIELD_LABELS[name].capitalize()) for name in CHILD_FIELDS]


def to_json(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def normalize_people(people):
    """A comparable list of plain dicts, sorted by name then phone."""
    rows = [
        {
            "name": (p.get("name") or "").strip(),
            "relationship": (p.get("relationship") or "").strip(),
            "phone": (p.get("phone") or "").strip(),
            "emergency_contact": bool(p.get("emergency_contact")),
        }
        for p in people
    ]
    return sorted(rows, key=lambda p: (p["name"].lower(), p["phone"]))


def people_of(child):
    return normalize_people(
        {key: getattr(person, key) for key in PERSON_KEYS}
        for person in child.authorized_people.all()
    )


def child_values(child):
    """The child's current values, as stored in change requests."""
    values = {name: to_json(getattr(child, name)) for name in CHILD_FIELDS[:-1]}
    values[AUTHORIZED_PEOPLE] = people_of(child)
    return values


def guardian_values(guardian):
    return {name: getattr(guardian, name) for name in GUARDIAN_FIELDS}


def apply_child_changes(child, changes):
    """Write the "new" side of `changes` on the child (and its authorized people)."""
    plain = [name for name in changes if name != AUTHORIZED_PEOPLE]
    for name in plain:
        setattr(child, name, Child._meta.get_field(name).to_python(changes[name]["new"]))
    if plain:
        child.full_clean(exclude=["family"], validate_unique=False)
        child.save(update_fields=plain)
    if AUTHORIZED_PEOPLE in changes:
        child.authorized_people.all().delete()
        AuthorizedPerson.objects.bulk_create(
            AuthorizedPerson(child=child, **person)
            for person in normalize_people(changes[AUTHORIZED_PEOPLE]["new"])
        )
