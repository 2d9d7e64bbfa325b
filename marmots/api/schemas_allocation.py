"""Bodies of the allocation endpoints (field names in English, texts in French)."""

import datetime
from typing import Literal

from ninja import Field, Schema

from .schemas import Text

STATES = "open : demandes ouvertes ; not_yet : pas encore ouvertes ; closed : closes, "
STATES += "attribution en cours ; confirmed : attribution confirmée"
HIDDEN = "Pour la famille : vide tant que l'attribution n'est pas confirmée"


class WishIn(Schema):
    child_id: int
    slot_id: int
    date: datetime.date
    preference: int = Field(1, ge=1, le=99, description="1 = le plus souhaité")


class RequestIn(Schema):
    wishes: list[WishIn] = Field(..., max_length=500)
    declares_working: bool = False
    declares_special_needs: bool = False
    note: Text = Field("", max_length=500)


class AdjustIn(Schema):
    granted: bool = Field(..., description="true : attribuer ; false : mettre en attente")


class PeriodOut(Schema):
    id: int
    name: str
    structure: str
    start_date: datetime.date
    end_date: datetime.date
    requests_close_at: datetime.datetime
    state: Literal["open", "not_yet", "closed", "confirmed"] = Field(..., description=STATES)
    has_request: bool


class CriterionOut(Schema):
    code: str
    label: str
    points: int


class WishOut(Schema):
    id: int
    child_id: int
    child: str
    slot_id: int
    slot: str
    date: datetime.date
    preference: int
    proposed: bool | None = Field(..., description="Place proposée. " + HIDDEN)
    outcome: Literal["", "booked", "waitlisted", "refused"] = Field(..., description=HIDDEN)
    reason: str = Field(..., description=HIDDEN)
    booking_id: int | None
    waitlist_position: int | None = Field(..., description="Position en liste d'attente")


class RequestOut(Schema):
    id: int
    period_id: int
    status: Literal["active", "withdrawn"]
    declares_working: bool
    declares_special_needs: bool
    note: str
    created_at: datetime.datetime = Field(..., description="Demande reçue le (départage)")
    score: int | None = Field(..., description=HIDDEN)
    rank: int | None = Field(..., description=HIDDEN)
    criteria: list[CriterionOut] = Field(..., description=HIDDEN)
    wishes: list[WishOut]


class ManagerRequestOut(RequestOut):
    family_id: int
    family: str


class DayFillOut(Schema):
    slot_id: int
    slot: str
    date: datetime.date
    places: int | None = Field(..., description="Vide : sans limite")
    taken: int
    granted: int
    asked: int
    rate: float | None = Field(..., description="(déjà réservées + attribuées) / places")


class ProposalOut(Schema):
    period_id: int
    status: Literal["collecting", "proposed", "confirmed"]
    proposed_at: datetime.datetime | None
    confirmed_at: datetime.datetime | None
    requests: list[ManagerRequestOut]
    days: list[DayFillOut]
