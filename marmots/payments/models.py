"""Online card payment through eopayment: the structure's provider, one `OnlinePayment` row per
attempt (with the invoices and amounts it was asked for) and a log of every notification the
provider (or a browser coming back) sent, whatever became of it.

An attempt is credited once: when a verified notification says it is paid, for the amount
asked, a `billing.Payment` (method card) is created with its allocations and linked here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marmots.billing.models import AMOUNT
from marmots.families.models import FamilyScopedQuerySet


class ProviderSettings(models.Model):
    """The structure's payment provider, chosen and configured by the manager. Secrets (keys,
    certificates) are never stored: `secret_env` names the environment variable holding them."""

    DUMMY = "dummy"
    PAYFIP = "payfip_ws"
    SYSTEMPAY = "systempayv2"
    KINDS = [
        ("", "pas de paiement en ligne"),
        (DUMMY, "démonstration (banque simulée)"),
        (PAYFIP, "PayFiP (DGFiP, collectivités)"),
        (SYSTEMPAY, "SystemPay / PayZen"),
    ]

    structure = models.OneToOneField(
        "activities.Structure", models.CASCADE, related_name="payment_provider"
    )
    kind = models.CharField("prestataire", max_length=20, choices=KINDS, blank=True)
    # Non-secret options of the eopayment backend (numcli, vads_site_id...); the providers'
    # addresses come from the deployment's settings, never from here.
    options = models.JSONField("options", default=dict, blank=True)
    secret_env = models.CharField("variable d'environnement du secret", max_length=100, blank=True)
    minimum_amount = models.DecimalField("montant minimum", default=1, **AMOUNT)

    class Meta:
        verbose_name = "prestataire de paiement"

    def __str__(self):
        return f"Paiement en ligne de {self.structure}"


class OnlinePayment(models.Model):
    """One attempt at paying online: created before the redirect, settled by the provider's
    notification (or the family's return, when it carries the same verified data)."""

    CREATED = "created"
    PENDING = "pending"
    PAID = "paid"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ERROR = "error"
    STATUSES = [
        (CREATED, "créé"),
        (PENDING, "en attente de la banque"),
        (PAID, "payé"),
        (REFUSED, "refusé"),
        (CANCELLED, "abandonné"),
        (EXPIRED, "expiré"),
        (ERROR, "erreur"),
    ]
    FINAL = (PAID, REFUSED, CANCELLED, EXPIRED, ERROR)

    structure = models.ForeignKey("activities.Structure", models.PROTECT, related_name="+")
    family = models.ForeignKey("families.Family", models.PROTECT, related_name="online_payments")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField("e-mail")
    amount = models.DecimalField("montant", **AMOUNT)
    provider = models.CharField(max_length=20, choices=ProviderSettings.KINDS[1:])
    # Our reference, shown to the family and sent to the provider (e.g. "PL7F3K9Q2M").
    reference = models.CharField("référence", max_length=30, unique=True)
    # The provider's transaction id (returned by eopayment's request()).
    transaction_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=CREATED)
    bank_status = models.CharField("état donné par la banque", max_length=200, blank=True)
    bank_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The payment credited to the family's account, once and only once.
    payment = models.OneToOneField(
        "billing.Payment", models.PROTECT, null=True, blank=True, related_name="online"
    )

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "paiement en ligne"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="onlinepayment_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "transaction_id"],
                condition=~Q(transaction_id=""),
                name="onlinepayment_transaction_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", payment__isnull=False)
                | (~Q(status="paid") & Q(payment__isnull=True)),
                name="onlinepayment_paid_has_payment",
            ),
        ]

    def __str__(self):
        return self.reference


class OnlinePaymentInvoice(models.Model):
    """An invoice an attempt was asked to settle, and how much of it."""

    online_payment = models.ForeignKey(OnlinePayment, models.CASCADE, related_name="invoices_asked")
    invoice = models.ForeignKey("billing.Invoice", models.PROTECT, related_name="+")
    amount = models.DecimalField(**AMOUNT)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="onlinepaymentinvoice_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["online_payment", "invoice"], name="onlinepaymentinvoice_unique"
            ),
        ]


class Notification(models.Model):
    """Every notification received (server to server, or the family's return), kept as
    received with what we made of it: forged and tampered ones are logged here too."""

    CREDITED = "credited"
    DUPLICATE = "duplicate"
    NOT_PAID = "not_paid"
    FORGED = "forged"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"
    INVALID = "invalid"
    OUTCOMES = [
        (CREDITED, "crédité"),
        (DUPLICATE, "déjà traité"),
        (NOT_PAID, "non payé (refus, abandon)"),
        (FORGED, "signature invalide"),
        (MISMATCH, "montant différent"),
        (UNKNOWN, "paiement inconnu"),
        (INVALID, "illisible"),
    ]

    online_payment = models.ForeignKey(
        OnlinePayment, models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    # The structure whose notification URL was called (the family's return: the attempt's),
    # so that each manager sees only their own log, forged and unknown ones included.
    structure = models.ForeignKey(
        "activities.Structure", models.CASCADE, null=True, blank=True, related_name="+"
    )
    provider = models.CharField(max_length=20)
    channel = models.CharField(max_length=10)  # "notify" (server) or "return" (browser)
    method = models.CharField(max_length=10)
    query = models.TextField(blank=True)
    body = models.TextField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=OUTCOMES)
    message = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "notification de paiement"
        ordering = ["-received_at", "-id"]
