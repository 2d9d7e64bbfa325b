"""Billing: tariffs, invoicing runs, invoices and their lines, credit notes, third-party aid,
memberships and payments.

Issued invoices are never changed or deleted: a credit note (an `Invoice` of kind
`credit_note`, with negative lines) corrects them. Balances are derived from issued invoices,
credit notes and payments, never stored. Money is `Decimal`, rounded in `money.py` only.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from marmots.families.models import FamilyScopedQuerySet

AMOUNT = {"max_digits": 10, "decimal_places": 2}


class BillingSettings(models.Model):
    """The structure's billing choices (one row per structure; `settings_for()` creates it)."""

    structure = models.OneToOneField(
        "activities.Structure", models.CASCADE, related_name="billing_settings"
    )
    invoice_series = models.CharField("préfixe des factures", max_length=10, default="FA")
    credit_note_series = models.CharField("préfixe des avoirs", max_length=10, default="AV")
    payment_days = models.PositiveSmallIntegerField("délai de paiement (jours)", default=30)
    fallback_quotient = models.PositiveIntegerField(
        "QF appliqué quand il est inconnu ou expiré",
        null=True,
        blank=True,
        help_text="Vide : le tarif maximal (la tranche la plus haute, le plafond du taux "
        "d'effort). La facture le dit toujours.",
    )
    block_enrollment_when_overdue = models.BooleanField(
        "refuser les demandes d'inscription en cas de facture échue impayée", default=False
    )
    resident_cities = models.CharField(
        "communes des résidents",
        max_length=300,
        blank=True,
        help_text="Séparées par des virgules (ex. « Mieussy »). Une famille est résidente quand "
        "l'adresse d'un de ses responsables est dans l'une d'elles.",
    )
    legal_mentions = models.TextField(
        "mentions en pied de facture", blank=True, help_text="SIRET, coordonnées bancaires..."
    )
    receipt_series = models.CharField("préfixe des reçus", max_length=10, default="RE")
    reminder_days = models.CharField(
        "relances (jours après l'échéance)",
        max_length=50,
        blank=True,
        help_text="Séparés par des virgules (ex. « 10, 30 ») ; vide : pas de relance.",
    )

    class Meta:
        verbose_name = "réglages de facturation"

    def __str__(self):
        return f"Facturation de {self.structure}"


class Tariff(models.Model):
    """A price of an activity, valid over dates, in one of the forms structures publish."""

    ATTENDANCE = "attendance"
    EXTRA = "extra"
    UNBOOKED = "unbooked"
    LATE_PICKUP = "late_pickup"
    MEMBERSHIP = "membership"
    KINDS = [
        (ATTENDANCE, "présence (prix de l'activité)"),
        (EXTRA, "supplément par séance ou lié à une tranche (goûter, repas)"),
        (UNBOOKED, "supplément présence sans réservation"),
        (LATE_PICKUP, "supplément départ après la fermeture"),
        (MEMBERSHIP, "adhésion annuelle"),
    ]
    SLOT = "slot"
    HALF_HOUR = "half_hour"
    HALF_DAY = "half_day"
    DAY = "day"
    SESSION = "session"
    CHILD_YEAR = "child_year"
    FAMILY_YEAR = "family_year"
    UNITS = [
        (SLOT, "par tranche horaire"),
        (HALF_HOUR, "par demi-heure"),
        (HALF_DAY, "par demi-journée"),
        (DAY, "par jour"),
        (SESSION, "par séance"),
        (CHILD_YEAR, "par enfant et année scolaire"),
        (FAMILY_YEAR, "par famille et année scolaire"),
    ]
    BRACKETS = "brackets"
    EFFORT_RATE = "effort_rate"
    METHODS = [
        (BRACKETS, "prix par tranche de QF (et rang, résidence)"),
        (EFFORT_RATE, "taux d'effort (QF x taux, entre un plancher et un plafond)"),
    ]

    structure = models.ForeignKey("activities.Structure", models.CASCADE, related_name="tariffs")
    activity = models.ForeignKey(
        "activities.Activity", models.PROTECT, null=True, blank=True, related_name="tariffs"
    )
    slot = models.ForeignKey(
        "activities.TimeSlot",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="tariffs",
        help_text="Vide : toutes les tranches de l'activité ; pour un supplément, à chaque "
        "séance facturée de l'activité.",
    )
    kind = models.CharField("nature", max_length=12, choices=KINDS, default=ATTENDANCE)
    unit = models.CharField("unité", max_length=12, choices=UNITS)
    method = models.CharField("calcul", max_length=12, choices=METHODS, default=BRACKETS)
    label = models.CharField("libellé sur la facture", max_length=120)
    rate = models.DecimalField(
        "taux d'effort", max_digits=9, decimal_places=6, null=True, blank=True
    )
    qf_floor = models.PositiveIntegerField("QF plancher", null=True, blank=True)
    qf_ceiling = models.PositiveIntegerField("QF plafond", null=True, blank=True)
    valid_from = models.DateField("valable du")
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    is_meal = models.BooleanField(
        "repas",
        default=False,
        help_text="Exclu de l'attestation fiscale (frais de nourriture).",
    )

    class Meta:
        verbose_name = "tarif"
        ordering = ["activity__order", "activity__name", "kind", "slot__start_time", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="tariff_dates_order",
            ),
            models.CheckConstraint(
                condition=~Q(method="effort_rate")
                | Q(
                    rate__gt=0,
                    qf_floor__isnull=False,
                    qf_ceiling__isnull=False,
                    qf_ceiling__gte=F("qf_floor"),
                ),
                name="tariff_effort_rate_complete",
            ),
            models.CheckConstraint(
                condition=Q(kind="membership", unit__in=["child_year", "family_year"])
                | (~Q(kind="membership") & ~Q(unit__in=["child_year", "family_year"])),
                name="tariff_membership_unit",
            ),
            models.CheckConstraint(
                condition=Q(kind="membership") | Q(activity__isnull=False),
                name="tariff_activity_required",
            ),
        ]

    def __str__(self):
        return self.label


class TariffPrice(models.Model):
    """One price of a bracket tariff: a QF range, from a child's rank, for a residence."""

    ANY = "any"
    RESIDENT = "resident"
    NON_RESIDENT = "non_resident"
    RESIDENCES = [(ANY, "tous"), (RESIDENT, "résidents"), (NON_RESIDENT, "non-résidents")]

    tariff = models.ForeignKey(Tariff, models.CASCADE, related_name="prices")
    qf_min = models.PositiveIntegerField("QF de", default=0)
    qf_max = models.PositiveIntegerField(
        "QF à", null=True, blank=True, help_text="Vide : sans limite."
    )
    min_rank = models.PositiveSmallIntegerField(
        "à partir du rang", default=1, help_text="Rang de l'enfant dans la fratrie (1 = l'aîné)."
    )
    residence = models.CharField("résidence", max_length=12, choices=RESIDENCES, default=ANY)
    amount = models.DecimalField("prix", **AMOUNT)

    class Meta:
        verbose_name = "prix"
        ordering = ["tariff", "residence", "min_rank", "qf_min"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="tariffprice_amount_positive"),
            models.CheckConstraint(
                condition=Q(qf_max__isnull=True) | Q(qf_max__gte=F("qf_min")),
                name="tariffprice_qf_order",
            ),
            models.CheckConstraint(condition=Q(min_rank__gte=1), name="tariffprice_rank_min"),
            models.UniqueConstraint(
                fields=["tariff", "qf_min", "min_rank", "residence"], name="tariffprice_unique"
            ),
        ]


class Aid(models.Model):
    """Third-party aid (CAF holiday aid, works council...): a share of eligible lines paid by
    a payer, deducted from the family's invoice and listed for claiming from the payer."""

    PER_UNIT = "per_unit"
    PERCENT = "percent"
    METHODS = [(PER_UNIT, "montant par séance ou jour facturé"), (PERCENT, "pourcentage")]

    structure = models.ForeignKey("activities.Structure", models.CASCADE, related_name="aids")
    family = models.ForeignKey("families.Family", models.PROTECT, related_name="aids")
    child = models.ForeignKey(
        "families.Child",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="aids",
        help_text="Vide : tous les enfants de la famille.",
    )
    payer = models.CharField(
        "organisme payeur", max_length=120, help_text="ex. CAF de la Haute-Savoie"
    )
    label = models.CharField("libellé", max_length=120, help_text="ex. Aide aux vacances")
    reference = models.CharField("référence (n° d'allocataire...)", max_length=60, blank=True)
    activities = models.ManyToManyField(
        "activities.Activity", related_name="aids", verbose_name="activités concernées"
    )
    method = models.CharField("calcul", max_length=10, choices=METHODS)
    amount = models.DecimalField("montant par unité", null=True, blank=True, **AMOUNT)
    percent = models.DecimalField(
        "pourcentage", max_digits=5, decimal_places=2, null=True, blank=True
    )
    valid_from = models.DateField("valable du")
    valid_until = models.DateField("valable jusqu'au")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "aide d'un tiers"
        ordering = ["valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="aid_dates_order"
            ),
            models.CheckConstraint(
                condition=Q(method="per_unit", amount__gt=0, percent__isnull=True)
                | Q(method="percent", percent__gt=0, percent__lte=100, amount__isnull=True),
                name="aid_method_complete",
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.payer})"


class InvoicingRun(models.Model):
    """A monthly invoicing run: drafted in the background, reviewed, then issued."""

    QUEUED = "queued"
    RUNNING = "running"
    DRAFTED = "drafted"
    ISSUED = "issued"
    FAILED = "failed"
    DISCARDED = "discarded"
    STATUSES = [
        (QUEUED, "En attente"),
        (RUNNING, "Calcul en cours"),
        (DRAFTED, "Brouillon à vérifier"),
        (ISSUED, "Émise"),
        (FAILED, "Échec"),
        (DISCARDED, "Abandonnée"),
    ]
    LIVE = [QUEUED, RUNNING, DRAFTED]

    structure = models.ForeignKey(
        "activities.Structure", models.CASCADE, related_name="invoicing_runs"
    )
    month = models.DateField("mois facturé", help_text="Le premier jour du mois.")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    families_total = models.PositiveIntegerField(default=0)
    families_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    drafted_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "facturation mensuelle"
        ordering = ["-month", "-created_at"]
        constraints = [
            # One live run per structure and month: a second start is refused.
            models.UniqueConstraint(
                fields=["structure", "month"],
                condition=Q(status__in=["queued", "running", "drafted"]),
                name="invoicingrun_live_unique",
            ),
            models.CheckConstraint(
                condition=Q(families_done__lte=F("families_total")), name="invoicingrun_progress"
            ),
        ]

    def __str__(self):
        return f"Facturation de {self.month:%m/%Y}"


class InvoiceSequence(models.Model):
    """The last number given in a series and year; its row is locked while numbers are given."""

    structure = models.ForeignKey("activities.Structure", models.CASCADE, related_name="+")
    series = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "series", "year"], name="invoicesequence_unique"
            )
        ]


class Invoice(models.Model):
    """An invoice or a credit note. A draft has no number; an issued one is never changed."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    KINDS = [(INVOICE, "Facture"), (CREDIT_NOTE, "Avoir")]
    DRAFT = "draft"
    ISSUED = "issued"
    STATUSES = [(DRAFT, "Brouillon"), (ISSUED, "Émise")]

    structure = models.ForeignKey("activities.Structure", models.PROTECT, related_name="invoices")
    family = models.ForeignKey("families.Family", models.PROTECT, related_name="invoices")
    run = models.ForeignKey(
        InvoicingRun, models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    kind = models.CharField(max_length=12, choices=KINDS, default=INVOICE)
    status = models.CharField(max_length=8, choices=STATUSES, default=DRAFT)
    series = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    issued_at = models.DateTimeField("émise le", null=True, blank=True)
    due_date = models.DateField("échéance", null=True, blank=True)
    total = models.DecimalField("total", default=0, **AMOUNT)
    corrects = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        help_text="Pour un avoir : la facture qu'il corrige.",
    )
    reason = models.CharField("motif de l'avoir", max_length=300, blank=True)
    # What the document shows, kept as it was when the invoice was computed.
    payer_name = models.CharField(max_length=200, blank=True)
    payer_address = models.TextField(blank=True)
    quotient = models.PositiveIntegerField("QF appliqué", null=True, blank=True)
    quotient_note = models.CharField(
        max_length=200, blank=True, help_text="ex. « QF non fourni : tarif maximal appliqué »"
    )
    pdf = models.FileField(upload_to="invoices/", blank=True)
    # When the invoice was e-mailed to the family: set once, so a retried task sends nothing.
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "facture"
        ordering = ["-period_start", "series", "number", "id"]
        indexes = [models.Index(fields=["family", "status"], name="invoice_family_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "series", "year", "number"], name="invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True, issued_at__isnull=True)
                | Q(
                    status="issued",
                    number__isnull=False,
                    year__isnull=False,
                    issued_at__isnull=False,
                    due_date__isnull=False,
                ),
                name="invoice_number_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", total__gte=0, corrects__isnull=True)
                | Q(kind="credit_note", total__lte=0, corrects__isnull=False),
                name="invoice_kind_total",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="invoice_period_order"
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        if self.number is None:
            return f"Brouillon {self.series} n°{self.pk}"
        return f"{self.series}-{self.year}-{self.number:05d}"

    @property
    def is_credit_note(self):
        return self.kind == self.CREDIT_NOTE


class InvoiceLine(models.Model):
    ATTENDANCE = "attendance"
    EXTRA = "extra"
    UNBOOKED = "unbooked"
    LATE_PICKUP = "late_pickup"
    MEMBERSHIP = "membership"
    INFO = "info"
    AID = "aid"
    CREDIT = "credit"
    KINDS = [
        (ATTENDANCE, "présence"),
        (EXTRA, "supplément"),
        (UNBOOKED, "présence sans réservation"),
        (LATE_PICKUP, "départ après la fermeture"),
        (MEMBERSHIP, "adhésion"),
        (INFO, "non facturé"),
        (AID, "aide d'un tiers"),
        (CREDIT, "avoir"),
    ]
    NEGATIVE_KINDS = [AID, CREDIT]

    invoice = models.ForeignKey(Invoice, models.CASCADE, related_name="lines")
    child = models.ForeignKey(
        "families.Child", models.PROTECT, null=True, blank=True, related_name="+"
    )
    activity = models.ForeignKey(
        "activities.Activity", models.PROTECT, null=True, blank=True, related_name="+"
    )
    date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=12, choices=KINDS)
    label = models.CharField(max_length=200)
    explanation = models.TextField(blank=True)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=1)
    unit_price = models.DecimalField(**AMOUNT)
    amount = models.DecimalField(**AMOUNT)
    minutes_booked = models.PositiveIntegerField(default=0)
    minutes_attended = models.PositiveIntegerField(default=0)
    minutes_billed = models.PositiveIntegerField(default=0)
    quotient = models.PositiveIntegerField(null=True, blank=True)
    bracket = models.CharField(max_length=60, blank=True)
    tariff = models.ForeignKey(Tariff, models.SET_NULL, null=True, blank=True, related_name="+")
    aid = models.ForeignKey(Aid, models.PROTECT, null=True, blank=True, related_name="lines")
    corrects = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Pour une ligne d'avoir : la ligne corrigée.",
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "ligne de facture"
        ordering = ["invoice", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(kind__in=["aid", "credit"]),
                name="invoiceline_negative_only_credit",
            ),
            models.CheckConstraint(
                condition=Q(amount__lte=0) | ~Q(kind__in=["aid", "credit"]),
                name="invoiceline_credit_negative",
            ),
        ]

    def __str__(self):
        return self.label


class Anomaly(models.Model):
    """Something the manager reviews in a run's draft before issuing it."""

    UNBOOKED_ATTENDANCE = "unbooked"
    NO_SHOW = "no_show"
    MISSING_QUOTIENT = "quotient"
    MISSED_BEYOND = "missed_beyond"
    NO_TARIFF = "no_tariff"
    KINDS = [
        (UNBOOKED_ATTENDANCE, "présence sans réservation"),
        (NO_SHOW, "réservation sans présence"),
        (MISSING_QUOTIENT, "quotient familial manquant ou expiré"),
        (MISSED_BEYOND, "oublis de pointage au-delà du seuil"),
        (NO_TARIFF, "aucun tarif applicable"),
    ]

    run = models.ForeignKey(InvoicingRun, models.CASCADE, related_name="anomalies")
    family = models.ForeignKey("families.Family", models.CASCADE, related_name="+")
    child = models.ForeignKey(
        "families.Child", models.CASCADE, null=True, blank=True, related_name="+"
    )
    activity = models.ForeignKey(
        "activities.Activity", models.CASCADE, null=True, blank=True, related_name="+"
    )
    date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=14, choices=KINDS)
    message = models.CharField(max_length=300)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField("remarque", max_length=300, blank=True)

    class Meta:
        verbose_name = "anomalie"
        ordering = ["run", "kind", "family__name", "date", "id"]


class Membership(models.Model):
    """A yearly membership fee billed once per child (or family) and school year."""

    structure = models.ForeignKey("activities.Structure", models.CASCADE, related_name="+")
    family = models.ForeignKey("families.Family", models.PROTECT, related_name="memberships")
    child = models.ForeignKey(
        "families.Child", models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    school_year = models.CharField(max_length=9)
    line = models.OneToOneField(InvoiceLine, models.PROTECT, related_name="membership")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "child", "school_year"],
                condition=Q(child__isnull=False),
                name="membership_child_unique",
            ),
            models.UniqueConstraint(
                fields=["structure", "family", "school_year"],
                condition=Q(child__isnull=True),
                name="membership_family_unique",
            ),
        ]


class Payment(models.Model):
    """Money received from a family (or one attempt at it, for online payments)."""

    CARD = "card"
    CHEQUE = "cheque"
    CASH = "cash"
    TRANSFER = "transfer"
    CESU = "cesu"
    ANCV = "ancv"
    DEBIT = "debit"
    METHODS = [
        (CARD, "carte bancaire en ligne"),
        (CHEQUE, "chèque"),
        (CASH, "espèces"),
        (TRANSFER, "virement"),
        (CESU, "CESU"),
        (ANCV, "chèques-vacances ANCV"),
        (DEBIT, "prélèvement"),
    ]
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATUSES = [(PENDING, "en cours"), (SUCCEEDED, "reçu"), (FAILED, "échoué ou abandonné")]

    structure = models.ForeignKey("activities.Structure", models.PROTECT, related_name="payments")
    family = models.ForeignKey("families.Family", models.PROTECT, related_name="payments")
    method = models.CharField("moyen", max_length=10, choices=METHODS)
    status = models.CharField(max_length=10, choices=STATUSES, default=SUCCEEDED)
    amount = models.DecimalField("montant", **AMOUNT)
    received_on = models.DateField("reçu le")
    reference = models.CharField("référence (n° de chèque...)", max_length=100, blank=True)
    payer = models.CharField(
        "payeur (tireur du chèque)", max_length=200, blank=True, help_text="Vide : la famille."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Given when the payment is received (status SUCCEEDED), continuous per structure and year
    # (series `BillingSettings.receipt_series`, e.g. RE-2026-00001).
    receipt_number = models.CharField("n° de reçu", max_length=30, blank=True)
    deposit_slip = models.ForeignKey(
        "DepositSlip", models.PROTECT, null=True, blank=True, related_name="payments"
    )

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "règlement"
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["structure", "receipt_number"],
                condition=~Q(receipt_number=""),
                name="payment_receipt_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | ~Q(receipt_number=""),
                name="payment_received_has_receipt",
            ),
        ]


class Allocation(models.Model):
    """The part of a payment that settles one invoice."""

    payment = models.ForeignKey(Payment, models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**AMOUNT)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_unique"),
        ]


class DepositSlip(models.Model):
    """A bank deposit slip ("bordereau de remise"): cheques (or cash, vouchers) handed to the
    bank together. Its number is continuous per structure and year (BR-2026-001)."""

    structure = models.ForeignKey("activities.Structure", models.PROTECT, related_name="+")
    number = models.CharField("n° de bordereau", max_length=30)
    method = models.CharField("moyen", max_length=10, choices=Payment.METHODS)
    deposited_on = models.DateField("remis le")
    total = models.DecimalField(**AMOUNT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "bordereau de remise"
        ordering = ["-deposited_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], name="depositslip_unique"),
            models.CheckConstraint(condition=Q(total__gt=0), name="depositslip_total_positive"),
        ]


class Reminder(models.Model):
    """A reminder e-mailed for an unpaid invoice: at most one per invoice and level (the level
    is the threshold it answers, in days after the due date: the same as `days`)."""

    invoice = models.ForeignKey(Invoice, models.PROTECT, related_name="reminders")
    level = models.PositiveSmallIntegerField()
    days = models.PositiveSmallIntegerField("jours après l'échéance")
    outstanding = models.DecimalField("reste dû à l'envoi", **AMOUNT)
    email = models.EmailField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "relance"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="reminder_unique")]
