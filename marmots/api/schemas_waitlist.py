"""Bodies of the waiting-list endpoints (field names in English, texts in French)."""

import datetime
from typing import Literal

from ninja import Field, Schema

from .schemas import ChildRefOut, NamedOut, Text

Status = Literal[
    "waiting", "offered", "booked", "declined", "expired", "withdrawn", "removed", "lapsed"
]
STATUS_HELP = (
    "waiting : en attente ; offered : place proposée, à accepter avant `offer_expires_at` ; "
    "booked : place obtenue ; declined : offre refusée ; expired : offre expirée ; "
    "withdrawn : retiré par la famille ; removed : retiré par la structure ; "
    "lapsed : jour commencé sans place"
)


class WaitlistEntryOut(Schema):
    id: int
    child_id: int
    slot_id: int
    activity: str
    slot: str = Field(..., description="Libellé de la tranche horaire")
    date: datetime.date
    status: Status = Field(..., description=STATUS_HELP)
    status_label: str
    position: int | None = Field(
        ..., description="Rang dans la file (1 = prochaine place) ; vide une fois sorti de la file"
    )
    source: Literal["family", "manager", "allocation"] = Field(
        ..., description="Inscrit par la famille, la structure ou l'attribution des places"
    )
    with_apc: bool
    group: str = Field(
        ...,
        description="Frères et sœurs inscrits ensemble : même valeur, servis ensemble (une place "
        "pour chacun ou aucune) et placés en tête ensemble ; vide pour un enfant seul",
    )
    created_at: datetime.datetime = Field(..., description="Inscrit sur la liste le")
    offer_expires_at: datetime.datetime | None = Field(
        ..., description="Place proposée : à accepter avant cette heure"
    )
    booking_id: int | None = Field(..., description="La réservation obtenue")
    reason: str = Field(..., description="Motif du retrait ou de la fin de l'attente")


class ManagerWaitlistEntryOut(WaitlistEntryOut):
    child: ChildRefOut
    family: NamedOut
    queued_at: datetime.datetime = Field(
        ..., description="Ordre dans la file (le plus ancien d'abord)"
    )
    closed_at: datetime.datetime | None


class ManagerWaitlistPageOut(Schema):
    items: list[ManagerWaitlistEntryOut]
    count: int


class JoinOutcomeOut(Schema):
    child_id: int
    slot_id: int
    date: datetime.date
    result: Literal["waitlisted", "refused"]
    code: str = Field(
        ...,
        description="« waitlisted », ou le motif du refus : « free » (une place est libre : "
        "réservez-la), « already_waiting », « already », « not_enrolled », « closed », "
        "« started », « not_open », « allocation »",
    )
    message: str
    entry_id: int | None
    position: int | None


class JoinOutcomesOut(Schema):
    outcomes: list[JoinOutcomeOut]


class RemovalIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=300, description="Motif du retrait")


class ManagerWaitlistQuery(Schema):
    first_day: datetime.date | None = Field(
        None, alias="from", description="Premier jour (aujourd'hui par défaut)"
    )
    last_day: datetime.date | None = Field(None, alias="to", description="Dernier jour")
    date: datetime.date | None = Field(None, description="Un seul jour (remplace from et to)")
    slot_id: int | None = None
    activity_id: int | None = None
    include_closed: bool = Field(
        False, description="Inclure les inscriptions sorties de la file (historique)"
    )
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)
