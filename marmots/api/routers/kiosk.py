"""The check-in kiosk's API: pair a tablet, identify a family, record check-in events.

Only a kiosk's device token (`kiosk_…`) opens these routes, and it opens nothing else: it is not
an API token, so every other route refuses it, and a user's API token or session is refused
here. After identification the kiosk holds a grant for one family, from that day to 7 days
later; every read and every event names it. Errors answer
{"detail": "<français>", "code": "<code>"}.
"""

import datetime
import json
import re
from functools import wraps
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from pydantic import AwareDatetime, BeforeValidator, ConfigDict, Strict, model_validator
from pydantic_core import PydanticCustomError

from marmots.accounts.ratelimit import available, client_ip, consume
from marmots.checkin import devices, events

from ..schemas import Text

MAX_EVENTS = 200
MAX_ID = 2**63 - 1
PAIR_FAILURES, PAIR_PERIOD = 10, 15 * 60

REVOKED = "Tablette inconnue ou révoquée : appairez-la de nouveau."
BAD_CODE = "Code d'appairage invalide, déjà utilisé ou expiré : demandez-en un nouveau."
TOO_MANY_CODES = "Trop de codes d'appairage incorrects : réessayez dans quinze minutes."
BAD_GRANT = "Autorisation invalide ou expirée : identifiez-vous de nouveau sur la tablette."

# Codes of the errors raised before a view runs (authentication, body parsing, validation).
GENERIC_CODES = {
    400: "json_invalide",
    401: "tablette_revoquee",
    403: "acces_refuse",
    404: "introuvable",
    422: "donnees_invalides",
    429: "trop_de_tentatives",
}


class KioskAuth(HttpBearer):
    openapi_description = (
        "Jeton de la tablette (« kiosk_… »), obtenu par POST /api/v1/kiosk/pair et envoyé dans "
        "l'en-tête « Authorization: Bearer <jeton> ». N'ouvre que les routes de la tablette."
    )

    def authenticate(self, request, token):
        kiosk = devices.kiosk_for_token(token)
        if kiosk is None:
            raise AuthenticationError(message=REVOKED)
        return kiosk


kiosk_auth = KioskAuth()
# The kiosk's token opens these routes and only these (pair needs no token).
router = Router(auth=kiosk_auth, tags=["Tablette de pointage"])


def error(status, code, detail):
    return Status(status, {"detail": detail, "code": code})


def _with_codes(run):
    """Every error of these routes carries a `code`; the 401 says the tablette is unknown."""

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        if response.status_code < 400 or "json" not in response.get("Content-Type", ""):
            return response
        body = json.loads(response.content)
        if isinstance(body, dict) and "code" not in body:
            body["code"] = GENERIC_CODES.get(response.status_code, "erreur")
            if response.status_code == 401:
                body["detail"] = REVOKED
            response.content = json.dumps(body)
        return response

    return wrapper


router.add_decorator(_with_codes, mode="view")

# Bodies

Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Nonce = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9-]{8,64}$")]
Pin = Annotated[str, Strict(), Field(pattern=r"^[0-9]{6}$")]
ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)")


def _iso_text(value):
    # Pydantic would also take a number (Unix time) or a date without a time zone: refuse them.
    if not isinstance(value, str) or not ISO_DATETIME.fullmatch(value):
        raise PydanticCustomError("datetime_format", "date et heure ISO 8601 avec fuseau attendues")
    return value


DeviceTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PairIn(StrictSchema):
    code: Text = Field(..., min_length=1, max_length=20, description="ex. ABCD-2345")


class IdentifyIn(StrictSchema):
    pin: Pin | None = Field(None, description="Code famille à 6 chiffres")
    card: Text | None = Field(None, max_length=200, description="Contenu du QR code de la carte")

    @model_validator(mode="after")
    def one_key(self):
        if (self.pin is None) == (self.card is None):
            raise PydanticCustomError("one_key", "envoyez soit « pin », soit « card »")
        return self


class EventIn(StrictSchema):
    nonce: Nonce
    grant: Text = Field(..., min_length=1, max_length=500)
    child_id: Id
    activity_id: Id
    kind: Literal["arrival", "departure"]
    device_time: DeviceTime


class EventsIn(StrictSchema):
    events: list[EventIn] = Field(..., min_length=1, max_length=MAX_EVENTS)


# Responses


class ErrorOut(Schema):
    detail: str
    code: str


class KioskOut(Schema):
    id: int
    name: str
    structure: str

    @staticmethod
    def resolve_structure(kiosk):
        return kiosk.structure.name


class PairOut(Schema):
    token: str = Field(..., description="À conserver sur la tablette : il ne sera plus affiché.")
    kiosk: KioskOut


class MeOut(Schema):
    kiosk: KioskOut
    server_time: datetime.datetime


class WindowOut(Schema):
    from_: str = Field(..., alias="from")
    until: str


class SessionOut(Schema):
    activity_id: int
    activity: str
    booked: bool
    slots: str
    start: str
    end: str
    windows: dict[Literal["arrival", "departure"], WindowOut]
    done: dict[Literal["arrival", "departure"], str | None]


class ChildOut(Schema):
    id: int
    first_name: str
    sessions: list[SessionOut]


class FamilyRefOut(Schema):
    id: int
    name: str


class DayOut(Schema):
    date: datetime.date
    children: list[ChildOut]


class FamilyViewOut(Schema):
    family: FamilyRefOut
    grant: str = Field(
        ...,
        description="À joindre aux pointages de cette famille, d'aujourd'hui aux 7 jours suivants",
    )
    date: datetime.date = Field(..., description="Aujourd'hui")
    children: list[ChildOut] = Field(..., description="Les enfants attendus aujourd'hui")
    days: list[DayOut] = Field(
        ..., description="Aujourd'hui puis chaque jour couvert par l'autorisation"
    )


class ResultOut(Schema):
    nonce: str
    status: Literal["accepted", "duplicate", "refused"]
    code: str | None
    detail: str | None
    event_id: int | None


class ResultsOut(Schema):
    results: list[ResultOut]


ERRORS = {401: ErrorOut, 422: ErrorOut}

# Routes


@router.post(
    "/pair",
    auth=None,
    response={200: PairOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Appairer une tablette",
)
def pair(request, data: PairIn):
    """Trade the one-time pairing code shown in the back-office for a device token."""
    ip = client_ip(request)
    if not available("kiosk-pair-ip", ip, PAIR_FAILURES, PAIR_PERIOD):
        return error(429, "trop_de_tentatives", TOO_MANY_CODES)
    paired = devices.pair(data.code, timezone.now())
    if paired is None:
        consume("kiosk-pair-ip", ip, PAIR_FAILURES, PAIR_PERIOD)
        return error(400, "code_appairage_invalide", BAD_CODE)
    kiosk, token = paired
    return {"token": token, "kiosk": kiosk}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="Cette tablette")
def me(request):
    return {"kiosk": request.auth, "server_time": timezone.now()}


@router.post(
    "/identify",
    response={200: FamilyViewOut, 403: ErrorOut, 429: ErrorOut, **ERRORS},
    by_alias=True,
    summary="Identifier une famille (code ou carte)",
)
def identify(request, data: IdentifyIn):
    """The family's children expected today and on the next 7 days, and the grant for their
    check-ins."""
    now = timezone.now()
    try:
        family = devices.identify(request.auth, pin=data.pin, card=data.card)
    except devices.Refusal as refusal:
        return error(refusal.status, refusal.code, refusal.detail)
    return devices.family_view(request.auth, family, now)


@router.get(
    "/family",
    response={200: FamilyViewOut, 403: ErrorOut, **ERRORS},
    by_alias=True,
    summary="La famille identifiée (en-tête X-Kiosk-Grant)",
)
def family(request):
    """The view of the family named by the grant, for this kiosk, from today to the grant's
    last day (the same grant: reading it never extends it)."""
    now = timezone.now()
    grant = devices.read_grant(request.auth, request.headers.get("X-Kiosk-Grant", ""))
    if grant is None or not grant.covers(timezone.localdate(now)):
        return error(403, "autorisation_invalide", BAD_GRANT)
    return devices.family_view(request.auth, grant.family, now, grant=grant)


@router.post(
    "/events",
    response={200: ResultsOut, **ERRORS},
    summary="Envoyer des pointages (arrivées, départs)",
)
def record_events(request, data: EventsIn):
    """Each event is checked and recorded on its own; a replayed nonce answers "duplicate"."""
    items = [event.dict() for event in data.events]
    return {"results": events.record_events(request.auth, items, timezone.now())}
