"""The structure and what it offers: activities, time slots, periods, closures."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Structure(models.Model):
    """An association or a municipal service (one site). One instance may host several."""

    name = models.CharField("nom", max_length=200)
    slug = models.SlugField(unique=True)
    address = models.CharField("adresse", max_length=200, blank=True)
    postcode = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField("site web", blank=True)
    logo = models.FileField("logo", upload_to="structures/logos/", blank=True)
    house_rules = models.TextField("règlement intérieur (extrait)", blank=True)
    holiday_zone = models.CharField("zone de vacances scolaires", max_length=1, default="A")
    child_fields_needing_validation = models.JSONField(
        "champs enfant soumis à validation",
        default=list,
        blank=True,
        help_text="Les autres champs modifiés par la famille s'appliquent immédiatement.",
    )
    certificate_days = models.PositiveSmallIntegerField(
        "délai pour fournir le certificat médical (jours)",
        default=3,
        help_text="Jours laissés après le jour d'absence pour joindre le certificat.",
    )
    rules_version = models.UUIDField(
        default=uuid.uuid4,
        editable=False,
        help_text="Renewed whenever periods, closures or deadlines change (booking rules cache).",
    )
    certificate_auto_excuse = models.BooleanField(
        "certificat médical : excuser automatiquement",
        default=True,
        help_text="Sinon, le gestionnaire approuve chaque certificat avant d'excuser l'absence.",
    )
    missed_checkin_threshold = models.PositiveSmallIntegerField(
        "oublis de pointage tolérés par mois",
        default=3,
        help_text="Par enfant et par mois : au-delà, chaque séance sans pointage de la famille "
        "est facturée à l'amplitude maximale.",
    )
    waitlist_offer_hours = models.PositiveSmallIntegerField(
        "durée d'une offre de place (heures)",
        default=24,
        help_text="Quand une place se libère, la première famille de la liste d'attente a ce "
        "délai pour l'accepter. 0 : la place lui est réservée aussitôt, sans offre, tant que le "
        "jour peut être annulé sans frais (ensuite, elle lui est proposée pendant 24 heures).",
    )

    class Meta:
        verbose_name = "structure"
        ordering = ["name"]

    def __str__(self):
        return self.name


class StaffMembership(models.Model):
    MANAGER = "manager"
    STAFF = "staff"
    ROLES = [(MANAGER, "gestionnaire"), (STAFF, "animateur (lecture seule)")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    structure = models.ForeignKey(Structure, models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=10, choices=ROLES, default=STAFF)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "structure"], name="membership_unique")
        ]


class PublishedDocument(models.Model):
    """A document the structure publishes on its public page (house rules, calendar...)."""

    structure = models.ForeignKey(Structure, models.CASCADE, related_name="documents")
    title = models.CharField("titre", max_length=200)
    description = models.CharField("description", max_length=300, blank=True)
    file = models.FileField("fichier", upload_to="structures/documents/")
    is_public = models.BooleanField("publié", default=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self):
        return self.title


class DocumentType(models.Model):
    """A document a family's file may need (insurance, vaccinations, QF notice...)."""

    structure = models.ForeignKey(Structure, models.CASCADE, related_name="document_types")
    code = models.SlugField(max_length=40)
    name = models.CharField("nom", max_length=120)
    per_child = models.BooleanField("un par enfant", default=False)
    validity_months = models.PositiveSmallIntegerField(
        "durée de validité (mois)", null=True, blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="doctype_code_unique")
        ]

    def __str__(self):
        return self.name


class Activity(models.Model):
    MORNING = "morning"
    EVENING = "evening"
    WEDNESDAY = "wednesday"
    HOLIDAY = "holiday"
    APC = "apc"
    ANNUAL = "annual"
    KINDS = [
        (MORNING, "Périscolaire matin"),
        (EVENING, "Périscolaire soir"),
        (WEDNESDAY, "Mercredis"),
        (HOLIDAY, "Accueil de loisirs (vacances)"),
        (APC, "APC (récupération)"),
        (ANNUAL, "Activité annuelle"),
    ]

    structure = models.ForeignKey(Structure, models.CASCADE, related_name="activities")
    name = models.CharField("nom", max_length=120)
    kind = models.CharField("type", max_length=10, choices=KINDS)
    description = models.TextField("description", blank=True)
    weekdays = models.JSONField(
        "jours (0 = lundi)", default=list, help_text="Jours de la semaine où l'activité a lieu."
    )
    in_holidays = models.BooleanField("pendant les vacances scolaires", default=False)
    required_documents = models.ManyToManyField(
        DocumentType, blank=True, related_name="activities", verbose_name="pièces requises"
    )
    is_active = models.BooleanField("active", default=True)
    order = models.PositiveSmallIntegerField("ordre", default=0)
    families_may_add = models.BooleanField(
        "les familles peuvent réserver",
        default=True,
        help_text="Sinon, elles envoient une demande que le gestionnaire valide.",
    )
    families_may_cancel = models.BooleanField(
        "les familles peuvent annuler",
        default=True,
        help_text="Sinon, elles envoient une demande que le gestionnaire valide.",
    )
    auto_validate_at_opening = models.BooleanField(
        "valider automatiquement à l'ouverture",
        default=False,
        help_text="Les demandes d'inscription aux vacances dont le dossier est complet sont "
        "validées à l'ouverture des réservations.",
    )
    KIOSK_NONE = "none"
    KIOSK_ARRIVAL = "arrival"
    KIOSK_DEPARTURE = "departure"
    KIOSK_BOTH = "both"
    KIOSK_EVENTS = [
        (KIOSK_NONE, "pas de pointage"),
        (KIOSK_ARRIVAL, "arrivée (le départ se fait avec l'équipe)"),
        (KIOSK_DEPARTURE, "départ (l'arrivée se fait avec l'équipe)"),
        (KIOSK_BOTH, "arrivée et départ"),
    ]
    kiosk_events = models.CharField(
        "pointage des familles sur la tablette",
        max_length=10,
        choices=KIOSK_EVENTS,
        default=KIOSK_NONE,
    )
    max_span_start = models.TimeField(
        "amplitude maximale : début",
        null=True,
        blank=True,
        help_text="Avec la fin, active la règle des oublis de pointage pour cette activité.",
    )
    max_span_end = models.TimeField("amplitude maximale : fin", null=True, blank=True)

    class Meta:
        verbose_name = "activité"
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "name"], name="activity_name_unique"),
            models.CheckConstraint(
                condition=Q(max_span_start__isnull=True, max_span_end__isnull=True)
                | Q(max_span_end__gt=F("max_span_start")),
                name="activity_max_span",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def family_events(self):
        """The kiosk events asked of families: a subset of {"arrival", "departure"}."""
        return {
            self.KIOSK_ARRIVAL: {"arrival"},
            self.KIOSK_DEPARTURE: {"departure"},
            self.KIOSK_BOTH: {"arrival", "departure"},
        }.get(self.kiosk_events, set())

    @property
    def missed_checkin_rule(self):
        """True when a session without the family's kiosk event counts as a missed check-in."""
        return bool(self.family_events and self.max_span_start and self.max_span_end)


class TimeSlot(models.Model):
    activity = models.ForeignKey(Activity, models.CASCADE, related_name="slots")
    label = models.CharField("libellé", max_length=80)
    start_time = models.TimeField("début")
    end_time = models.TimeField("fin")
    capacity = models.PositiveIntegerField("places", null=True, blank=True)
    with_snack = models.BooleanField("avec goûter", default=False)
    apc_pickup = models.BooleanField(
        "récupération APC possible",
        default=False,
        help_text="Le mardi, l'enfant peut être récupéré par l'équipe à la fin des APC.",
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "tranche horaire"
        ordering = ["activity", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "start_time"], name="slot_start_unique"),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="slot_order"),
        ]

    def __str__(self):
        return f"{self.label} ({self.start_time:%H:%M}-{self.end_time:%H:%M})"


class AgeGroupCapacity(models.Model):
    """Places of a slot kept for an age group (age in whole years on the day booked)."""

    slot = models.ForeignKey(TimeSlot, models.CASCADE, related_name="age_groups")
    label = models.CharField("libellé", max_length=60)
    min_age = models.PositiveSmallIntegerField("âge minimum")
    max_age = models.PositiveSmallIntegerField("âge maximum")
    capacity = models.PositiveIntegerField("places")

    class Meta:
        verbose_name = "places par tranche d'âge"
        ordering = ["slot", "min_age"]
        constraints = [
            models.UniqueConstraint(fields=["slot", "min_age"], name="agegroup_unique"),
            models.CheckConstraint(condition=Q(max_age__gte=F("min_age")), name="agegroup_order"),
        ]

    def __str__(self):
        return f"{self.label} ({self.min_age}-{self.max_age} ans) : {self.capacity} places"


class Period(models.Model):
    SCHOOL_YEAR = "school_year"
    HOLIDAYS = "holidays"
    KINDS = [(SCHOOL_YEAR, "Année scolaire"), (HOLIDAYS, "Vacances scolaires")]

    structure = models.ForeignKey(Structure, models.CASCADE, related_name="periods")
    kind = models.CharField("type", max_length=12, choices=KINDS)
    name = models.CharField("nom", max_length=120)
    school_year = models.CharField("année scolaire", max_length=9, help_text="ex. 2026-2027")
    start_date = models.DateField("premier jour")
    end_date = models.DateField("dernier jour")
    registration_opens_at = models.DateTimeField(
        "ouverture des inscriptions", null=True, blank=True
    )
    FIRST_COME = "first_come"
    ALLOCATION = "allocation"
    PLACES_MODES = [
        (FIRST_COME, "Premier arrivé, premier servi (à l'ouverture)"),
        (ALLOCATION, "Demandes jusqu'à une date limite, puis attribution"),
    ]
    places_mode = models.CharField(
        "attribution des places", max_length=10, choices=PLACES_MODES, default=FIRST_COME
    )
    requests_close_at = models.DateTimeField(
        "clôture des demandes",
        null=True,
        blank=True,
        help_text="Mode attribution : les familles font leurs demandes jusqu'à cette date.",
    )
    allocated_at = models.DateTimeField(
        "attribution confirmée le",
        null=True,
        blank=True,
        help_text="Après l'attribution, les places restantes se réservent au fil de l'eau.",
    )

    class Meta:
        verbose_name = "période"
        ordering = ["start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "kind", "start_date"], name="period_start_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="period_dates_order"
            ),
            models.CheckConstraint(
                condition=Q(places_mode="first_come", allocated_at__isnull=True)
                | Q(places_mode="allocation", requests_close_at__isnull=False),
                name="period_allocation_close",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def awaiting_allocation(self):
        """Allocation mode, not confirmed yet: families request days, nobody books them."""
        return self.places_mode == self.ALLOCATION and self.allocated_at is None


class Closure(models.Model):
    """Days the structure is closed (bridge days, staff training...)."""

    structure = models.ForeignKey(Structure, models.CASCADE, related_name="closures")
    start_date = models.DateField("du")
    end_date = models.DateField("au")
    reason = models.CharField("motif", max_length=200)

    class Meta:
        verbose_name = "fermeture"
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="closure_dates_order"
            )
        ]
