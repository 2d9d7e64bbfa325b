"""Request and response bodies of the API (field names in English, texts in French)."""

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

NUL_CHARACTER = "caractère nul (U+0000) interdit"


def _no_nul_character(value):
    # PostgreSQL cannot store U+0000 in text: refuse it here instead of failing later.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", NUL_CHARACTER)
    return value


# Every text a request carries: plain text without the NUL character.
Text = Annotated[str, AfterValidator(_no_nul_character)]

# Requests


class TokenIn(Schema):
    email: Text = Field(..., min_length=1, max_length=254, description="Adresse e-mail (login)")
    password: Text = Field(..., min_length=1, max_length=4096)
    name: Text = Field("", max_length=100, description="Nom de l'appareil ou du programme")


class EnrollmentIn(Schema):
    child_id: int
    activity_id: int
    start_date: datetime.date
    end_date: datetime.date
    period_id: int | None = None
    comment: Text = Field("", max_length=500)


class RefusalIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=300, description="Motif du refus")


# Responses


class ErrorOut(Schema):
    detail: str


class TokenOut(Schema):
    token: str = Field(..., description="À conserver : il ne sera plus jamais affiché.")
    name: str
    created_at: datetime.datetime


class GuardianOut(Schema):
    id: int
    first_name: str
    last_name: str
    relationship: str
    email: str
    phone_mobile: str
    phone_home: str
    phone_work: str
    address: str
    postcode: str
    city: str


class QuotientOut(Schema):
    state: Literal["valid", "expired", "future", "missing"]
    value: int | None = None
    annual_income: Decimal | None = None
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None


class StructureOut(Schema):
    id: int
    name: str


class FamilyOut(Schema):
    id: int
    name: str
    dependent_children: int | None
    structures: list[StructureOut]
    guardians: list[GuardianOut]
    quotient: QuotientOut


class AuthorizedPersonOut(Schema):
    name: str
    relationship: str
    phone: str
    emergency_contact: bool


class ChildOut(Schema):
    id: int
    first_name: str
    last_name: str
    birth_date: datetime.date
    sex: str
    school: str
    school_class: str
    allergies: str
    pai: bool
    pai_details: str
    diet: str
    doctor_name: str
    doctor_phone: str
    health_notes: str
    image_rights: bool
    info_checked_at: datetime.datetime | None
    authorized_people: list[AuthorizedPersonOut]

    @staticmethod
    def resolve_authorized_people(child):
        return list(child.authorized_people.all())


class NamedOut(Schema):
    id: int
    name: str


class ChildRefOut(Schema):
    id: int
    first_name: str
    last_name: str


class EnrollmentOut(Schema):
    id: int
    child: ChildRefOut
    activity: NamedOut
    period: NamedOut | None
    start_date: datetime.date
    end_date: datetime.date
    status: Literal["pending", "validated", "refused", "cancelled"]
    status_label: str
    mark: str = Field(..., description="« V » validée, « ? » en attente")
    comment: str
    refusal_reason: str
    requested_at: datetime.datetime
    decided_at: datetime.datetime | None

    @staticmethod
    def resolve_status_label(enrollment):
        return enrollment.get_status_display()


class ManagerEnrollmentOut(EnrollmentOut):
    family: NamedOut

    @staticmethod
    def resolve_family(enrollment):
        return enrollment.child.family


class ManagerEnrollmentDetailOut(ManagerEnrollmentOut):
    file_problems: list[str] = Field(..., description="Ce qui manque au dossier de la famille")
    opening_error: str | None = Field(
        ..., description="Pourquoi la validation doit attendre l'ouverture des inscriptions"
    )


class TimelineItemOut(Schema):
    kind: Literal["enrollment", "change_request"]
    id: int
    title: str
    details: list[str]
    created_at: datetime.datetime
    status: str
    status_label: str
    mark: str = Field(..., description="« V » acceptée, « ? » en attente, « ✗ » refusée")
    note: str = Field(..., description="Motif du refus ou note du gestionnaire")
    pending: bool = Field(..., description="Vrai tant que le gestionnaire n'a pas décidé")
    decided_at: datetime.datetime | None
