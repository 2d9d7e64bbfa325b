"""SEPA direct debit: the structure's creditor identity, the families' mandates and the monthly
batches (one pain.008 file each) of the invoices to collect.

A batch's items become `billing.Payment` rows (method debit): pending when the file is made,
received once the manager marks the batch collected, failed for an item the bank rejected.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marmots.billing.models import AMOUNT
from marmots.families.models import FamilyScopedQuerySet


class DebitSettings(models.Model):
    """The creditor: name, SEPA creditor identifier (ICS), account, and the day of the month
    invoices are collected."""

    structure = models.OneToOneField(
        "activities.Structure", models.CASCADE, related_name="debit_settings"
    )
    enabled = models.BooleanField("prélèvement proposé aux familles", default=False)
    creditor_name = models.CharField("nom du créancier", max_length=70, blank=True)
    creditor_id = models.CharField("identifiant créancier SEPA (ICS)", max_length=35, blank=True)
    iban = models.CharField("IBAN du créancier", max_length=34, blank=True)
    bic = models.CharField("BIC du créancier", max_length=11, blank=True)
    collection_day = models.PositiveSmallIntegerField("jour de prélèvement", default=10)

    class Meta:
        verbose_name = "réglages du prélèvement"
        constraints = [
            models.CheckConstraint(
                condition=Q(collection_day__gte=1, collection_day__lte=28),
                name="debitsettings_day_valid",
            )
        ]


class Mandate(models.Model):
    """A family's SEPA mandate (RUM), with the debtor's account. One active per family and
    structure; a revoked mandate is kept (the bank may ask for it for 13 months)."""

    ACTIVE = "active"
    REVOKED = "revoked"
    STATUSES = [(ACTIVE, "actif"), (REVOKED, "révoqué")]

    structure = models.ForeignKey("activities.Structure", models.PROTECT, related_name="+")
    family = models.ForeignKey("families.Family", models.PROTECT, related_name="mandates")
    reference = models.CharField("référence unique du mandat (RUM)", max_length=35)
    holder = models.CharField("titulaire du compte", max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    signed_on = models.DateField("signé le")
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    revoked_on = models.DateField(null=True, blank=True)
    # The first collection uses sequence type FRST, the next ones RCUR.
    first_collected_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "mandat de prélèvement"
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "reference"], name="mandate_unique"),
            models.UniqueConstraint(
                fields=["structure", "family"],
                condition=Q(status="active"),
                name="mandate_one_active",
            ),
        ]

    def __str__(self):
        return self.reference


class DebitBatch(models.Model):
    """One monthly direct debit file (pain.008.001.02) and its items."""

    GENERATED = "generated"
    COLLECTED = "collected"
    CANCELLED = "cancelled"
    STATUSES = [
        (GENERATED, "fichier créé"),
        (COLLECTED, "encaissé"),
        (CANCELLED, "annulé"),
    ]

    structure = models.ForeignKey("activities.Structure", models.PROTECT, related_name="+")
    collection_date = models.DateField("date de prélèvement")
    message_id = models.CharField(max_length=35, unique=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=GENERATED)
    total = models.DecimalField(**AMOUNT)
    xml = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "remise de prélèvements"
        ordering = ["-collection_date", "-id"]


class DebitItem(models.Model):
    """An invoice collected by a batch, under a mandate. The pending payment it created is
    received with the batch, or failed when the bank rejects it."""

    FRST = "FRST"
    RCUR = "RCUR"

    batch = models.ForeignKey(DebitBatch, models.CASCADE, related_name="items")
    invoice = models.ForeignKey("billing.Invoice", models.PROTECT, related_name="debit_items")
    mandate = models.ForeignKey(Mandate, models.PROTECT, related_name="items")
    amount = models.DecimalField(**AMOUNT)
    sequence_type = models.CharField(max_length=4, choices=[(FRST, FRST), (RCUR, RCUR)])
    end_to_end_id = models.CharField(max_length=35)
    payment = models.OneToOneField("billing.Payment", models.PROTECT, related_name="debit_item")
    rejected_reason = models.CharField("motif du rejet", max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="debititem_amount_positive"),
            models.UniqueConstraint(fields=["batch", "invoice"], name="debititem_unique"),
        ]
