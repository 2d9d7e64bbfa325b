"""The structure's payment provider as an `eopayment.Payment`, and what each provider's
notifications mean to us.

Non-secret options come from `ProviderSettings.options`; the one secret (SystemPay's key) is
read from the environment variable the manager named (only a `MARMOTS_PAYMENT_...` one, so no
other secret of the server can be sent anywhere), never stored and never shown. The addresses
our server calls or sends families to are the deployment's settings, never a manager's. The dummy
backend always points at Entr'ouvert's public test bank: we re-point it at the simulated bank
the app serves in demo mode, and sign its notifications ourselves (see `demo_bank.py`), since
the dummy backend's "signed" flag is a bare query parameter anyone can add.
"""

import os
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode, urlsplit

import eopayment
import zeep
from django.conf import settings
from django.urls import reverse
from eopayment import payfip_ws

from . import demo_bank
from .models import Notification, OnlinePayment, ProviderSettings

# What the family reads whenever the provider cannot be reached or is misconfigured; the
# manager reads the reason on the back-office page (`problem`).
FAMILY_UNAVAILABLE = (
    "Le paiement en ligne est momentanément indisponible. Réessayez plus tard ou réglez "
    "auprès de la structure."
)
PAYFIP_BINDING = (
    "{http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService}PaiementSecuriseServicePortBinding"
)
STATUSES = {
    eopayment.PAID: OnlinePayment.PAID,
    eopayment.DENIED: OnlinePayment.REFUSED,
    eopayment.CANCELLED: OnlinePayment.CANCELLED,
    eopayment.EXPIRED: OnlinePayment.EXPIRED,
    eopayment.ERROR: OnlinePayment.ERROR,
}


# The environment variables a manager may name for the provider's secret.
ENV_PREFIX = "MARMOTS_PAYMENT_"
SECRET_NAME = re.compile(rf"^{ENV_PREFIX}[A-Z0-9_]+$")
BAD_SECRET_NAME = (
    f"Indiquez un nom de variable commençant par {ENV_PREFIX}, en majuscules, chiffres et _ "
    f"(ex. {ENV_PREFIX}SYSTEMPAY_KEY) : les autres variables du serveur ne sont jamais lues."
)


class Unavailable(Exception):
    """The provider cannot be used; the message (French) is for the manager."""


class Refused(Exception):
    """A notification refused before eopayment reads it: (outcome, French message)."""

    def __init__(self, outcome, message):
        super().__init__(message)
        self.outcome, self.message = outcome, message


def notify_url(provider):
    path = reverse("payments:notify", args=[provider.structure_id, provider.kind])
    return settings.SITE_URL + path


def return_url(reference):
    return settings.SITE_URL + reverse("portal:payment_return", args=[reference])


def problem(provider):
    """Why the provider cannot take payments now (French, for the manager), or None."""
    try:
        build(provider)
    except Unavailable as why:
        return str(why)
    return None


def secret_is_set(provider):
    name = provider.secret_env
    return bool(SECRET_NAME.match(name or "") and os.environ.get(name))


def _secret(provider):
    if not provider.secret_env:
        raise Unavailable(
            "Indiquez le nom de la variable d'environnement qui contient la clé de SystemPay."
        )
    if not SECRET_NAME.match(provider.secret_env):
        raise Unavailable(BAD_SECRET_NAME)
    value = os.environ.get(provider.secret_env)
    if not value:
        raise Unavailable(
            f"La variable d'environnement « {provider.secret_env} » n'est pas définie sur le "
            "serveur : le paiement en ligne est arrêté tant qu'elle manque."
        )
    return value


def _options(provider, reference):
    options = provider.options or {}
    common = {
        "normal_return_url": return_url(reference) if reference else settings.SITE_URL,
        "automatic_return_url": notify_url(provider),
    }
    if provider.kind == ProviderSettings.DUMMY:
        if not settings.MARMOTS_DEMO_BANK:
            raise Unavailable(
                "La banque simulée n'est servie qu'en démonstration (MARMOTS_DEMO_BANK) : "
                "choisissez PayFiP ou SystemPay."
            )
        return {**common, "origin": provider.structure.name}
    if provider.kind == ProviderSettings.PAYFIP:
        if not str(options.get("numcli", "")).isdigit() or len(options["numcli"]) != 6:
            raise Unavailable("Indiquez le numéro client PayFiP (6 chiffres).")
        return {**common, "numcli": options["numcli"], "saisie": options.get("saisie", "T")}
    if provider.kind == ProviderSettings.SYSTEMPAY:
        mode = options.get("vads_ctx_mode", "TEST")
        built = {
            **common,
            "vads_site_id": options.get("vads_site_id", ""),
            "vads_ctx_mode": mode,
            "signature_algo": options.get("signature_algo", "sha1"),
            f"secret_{mode.lower()}": _secret(provider),
        }
        if settings.MARMOTS_SYSTEMPAY_SERVICE_URL:
            built["service_url"] = settings.MARMOTS_SYSTEMPAY_SERVICE_URL
        return built
    raise Unavailable("Aucun prestataire de paiement en ligne n'est choisi.")


class _PayFiPAt(payfip_ws.PayFiP):
    """PayFiP's SOAP client, sending to another address than the one its WSDL names (the
    deployment's MARMOTS_PAYFIP_SERVICE_URL: a qualification platform, the tests' server)."""

    def __init__(self, address):
        super().__init__()
        self.address = address

    @property
    def client(self):
        if not hasattr(self, "_client"):
            self._client = _ClientAt(zeep.Client(self.wsdl_url), self.address)
        return self._client


class _ClientAt:
    def __init__(self, client, address):
        self._client = client
        self.service = client.create_service(PAYFIP_BINDING, address)

    def __getattr__(self, name):
        return getattr(self._client, name)


def build(provider, reference=None):
    """The eopayment backend of the structure's provider; `reference` (an attempt's) sets the
    family's return URL. Raises `Unavailable` (French reason for the manager)."""
    if provider is None or not provider.kind:
        raise Unavailable("Aucun prestataire de paiement en ligne n'est choisi.")
    backend = eopayment.Payment(provider.kind, _options(provider, reference))
    address = settings.MARMOTS_PAYFIP_SERVICE_URL
    if provider.kind == ProviderSettings.PAYFIP and address:
        backend.backend.payfip = _PayFiPAt(address)
    return backend


def request_kwargs(kind, reference, email, subject):
    """What eopayment's request() takes besides the amount, per backend."""
    if kind == ProviderSettings.SYSTEMPAY:
        return {"email": email, "orderid": reference, "transaction_id": reference}
    # PayFiP: the reference becomes its "refdet" (the debt reference the family sees there).
    return {"email": email, "orderid": reference, "transaction_id": reference, "subject": subject}


def for_browser(kind, data):
    """Where the family's browser goes: the dummy bank's URL re-pointed at ours (relative, so
    it works whatever host serves the demo)."""
    if kind == ProviderSettings.DUMMY:
        return reverse("payments:demo_bank") + "?" + urlsplit(data).query
    return data


def notification_data(provider, method, query, body):
    """The string handed to eopayment's response(), checked first where eopayment cannot."""
    data = body if method == "POST" and body else query
    fields = parse_qsl(data, keep_blank_values=True)
    if provider.kind == ProviderSettings.DUMMY:
        trusted = settings.MARMOTS_DEMO_BANK and demo_bank.verify(data)
        kept = [(k, v) for k, v in fields if k != demo_bank.FIELD and (trusted or k != "signed")]
        return urlencode(kept)
    if provider.kind == ProviderSettings.SYSTEMPAY:
        mode = dict(fields).get("vads_ctx_mode")
        expected = (provider.options or {}).get("vads_ctx_mode", "TEST")
        if mode and mode != expected:
            raise Refused(
                Notification.FORGED, f"mode {mode} reçu alors que la boutique est en {expected}"
            )
    if provider.kind == ProviderSettings.PAYFIP:
        idop = next((v for k, v in fields if k.lower() == "idop"), "")
        return urlencode({"idop": idop}) if idop else ""
    return data


def key_of(kind, response):
    """The id our attempt stored from request(): the dummy's uuid, PayFiP's idop, and for
    SystemPay our reference (its signed order id, also sent back as eopayment's transaction
    id)."""
    if kind == ProviderSettings.SYSTEMPAY:
        return str((response.bank_data or {}).get("vads_order_id") or response.order_id or "")
    return str(response.order_id or "")


def status_of(kind, response):
    """Our attempt status for the provider's result, or None while it is still running."""
    status = STATUSES.get(response.result)
    if kind == ProviderSettings.DUMMY and status == OnlinePayment.ERROR:
        reason = (response.bank_data or {}).get("reason") or [""]
        if reason[0] == "refused":
            return OnlinePayment.REFUSED
    return status


def _first(value):
    return value[0] if isinstance(value, list) else value


def paid_amount(kind, bank_data):
    """The amount the provider says it took (Decimal), or None when it does not say."""
    field, cents = {
        ProviderSettings.DUMMY: ("amount", False),
        ProviderSettings.SYSTEMPAY: ("vads_amount", True),
        ProviderSettings.PAYFIP: ("montant", True),
    }[kind]
    try:
        value = Decimal(str(_first(bank_data.get(field))))
    except (InvalidOperation, TypeError):
        return None
    return (value / 100 if cents else value).quantize(Decimal("0.01"))


def bank_reference(kind, response):
    """The provider's own ids of the transaction (with its authorisation number), kept in the
    audit of the payment; the payment's reference is ours."""
    data = response.bank_data or {}
    if kind == ProviderSettings.SYSTEMPAY:
        parts = [data.get("vads_trans_id"), data.get("vads_auth_number")]
    elif kind == ProviderSettings.PAYFIP:
        parts = [data.get("idOp") or response.order_id, data.get("numauto")]
    else:
        parts = [response.transaction_id]
    return " ".join(str(_first(p)) for p in parts if p)


def plain(data):
    """bank_data as JSON-friendly values (PayFiP's come from zeep)."""
    safe = (str, int, float, bool, type(None), list)
    return {str(k): v if isinstance(v, safe) else str(v) for k, v in (data or {}).items()}


def limits(provider, backend):
    """(minimum, maximum or None) of one online payment."""
    low = max(provider.minimum_amount, Decimal(backend.get_minimal_amount() or 0))
    high = backend.get_maximal_amount()
    return low, (Decimal(high) if high else None)
