"""Families, their guardians (one login each), children, quotients, documents and requests.

Every query a family makes goes through `for_family(family)`: a family can never reach another
family's rows. Staff queries go through `Family.objects.for_staff(user)`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from marmots.activities.models import Structure


class FamilyScopedQuerySet(models.QuerySet):
    family_path = "family"

    def for_family(self, family):
        return self.filter(**{self.family_path: family})


class ChildScopedQuerySet(FamilyScopedQuerySet):
    """For rows that belong to a family through their child (enrollments, bookings...)."""

    family_path = "child__family"


# Enrollment.PENDING, spelled here to keep families free of an enrollments import.
PENDING_ENROLLMENT = "pending"


def _pending_request(path, value):
    """Q: a child of the family has a pending enrollment request whose `path` is `value`."""
    return Q(
        children__enrollments__status=PENDING_ENROLLMENT,
        **{f"children__enrollments__activity__structure__{path}": value},
    )


class FamilyQuerySet(models.QuerySet):
    def for_staff(self, user):
        """Families using a structure the user works for, or asking to (a pending enrollment
        request there), so the manager can review the request and the file. A superuser sees
        every family."""
        if user.is_superuser:
            return self
        return self.using(Structure.objects.filter(memberships__user=user))

    def using(self, structures):
        """Families linked to one of `structures` or with a pending request in one of them."""
        return self.filter(
            Q(structures__in=structures) | _pending_request("in", structures)
        ).distinct()


class Family(models.Model):
    name = models.CharField("nom de la famille", max_length=150)
    structures = models.ManyToManyField(
        "activities.Structure", related_name="families", verbose_name="structures"
    )
    dependent_children = models.PositiveSmallIntegerField(
        "nombre d'enfants à charge", null=True, blank=True
    )
    notes = models.TextField("notes internes", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        verbose_name = "famille"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def structures_in_use(self):
        """The family's structures plus those where one of its children has a pending request.

        A structure joins `structures` only when it validates an enrollment; meanwhile its
        document types already apply to the family's file.
        """
        Structure = self.structures.model
        return Structure.objects.filter(
            Q(families=self)
            | Q(
                activities__enrollments__child__family=self,
                activities__enrollments__status=PENDING_ENROLLMENT,
            )
        ).distinct()


class Guardian(models.Model):
    """A parent or guardian. Each has their own login (separated parents included)."""

    RELATIONSHIPS = [
        ("mere", "Mère"),
        ("pere", "Père"),
        ("tuteur", "Tuteur ou tutrice"),
        ("autre", "Autre"),
    ]

    family = models.ForeignKey(Family, models.CASCADE, related_name="guardians")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="guardian", null=True, blank=True
    )
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom", max_length=100)
    relationship = models.CharField("lien", max_length=10, choices=RELATIONSHIPS, default="autre")
    phone_mobile = models.CharField("téléphone portable", max_length=30, blank=True)
    phone_home = models.CharField("téléphone fixe", max_length=30, blank=True)
    phone_work = models.CharField("téléphone professionnel", max_length=30, blank=True)
    address = models.CharField("adresse", max_length=200, blank=True)
    postcode = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)
    profession = models.CharField("profession", max_length=100, blank=True)
    employer = models.CharField("employeur", max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "responsable"
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self):
        return self.user.email if self.user_id else ""


class Child(models.Model):
    SEXES = [("F", "Fille"), ("M", "Garçon")]

    family = models.ForeignKey(Family, models.CASCADE, related_name="children")
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom", max_length=100)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=SEXES, blank=True)
    school = models.CharField("école", max_length=150, blank=True)
    school_class = models.CharField("classe", max_length=50, blank=True)
    allergies = models.TextField("allergies", blank=True)
    pai = models.BooleanField("PAI (projet d'accueil individualisé)", default=False)
    pai_details = models.TextField("détails du PAI", blank=True)
    diet = models.CharField("régime alimentaire", max_length=150, blank=True)
    doctor_name = models.CharField("médecin traitant", max_length=150, blank=True)
    doctor_phone = models.CharField("téléphone du médecin", max_length=30, blank=True)
    health_notes = models.TextField("autres informations de santé", blank=True)
    image_rights = models.BooleanField("droit à l'image", default=False)
    info_checked_at = models.DateTimeField("informations vérifiées le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "enfant"
        ordering = ["birth_date", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day):
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class AuthorizedPerson(models.Model):
    """Someone allowed to pick a child up (and, optionally, to call in an emergency)."""

    child = models.ForeignKey(Child, models.CASCADE, related_name="authorized_people")
    name = models.CharField("nom et prénom", max_length=150)
    relationship = models.CharField("lien avec l'enfant", max_length=100, blank=True)
    phone = models.CharField("téléphone", max_length=30)
    emergency_contact = models.BooleanField("à appeler en cas d'urgence", default=False)

    class Meta:
        verbose_name = "personne autorisée"
        ordering = ["name"]


class Quotient(models.Model):
    family = models.ForeignKey(Family, models.CASCADE, related_name="quotients")
    value = models.PositiveIntegerField("quotient familial")
    annual_income = models.DecimalField(
        "revenus annuels déclarés", max_digits=10, decimal_places=2, null=True, blank=True
    )
    valid_from = models.DateField("valable du")
    valid_until = models.DateField("valable jusqu'au")
    source = models.CharField("source", max_length=60, blank=True, help_text="CAF, MSA, avis...")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "quotient familial"
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="quotient_dates_order"
            ),
            models.CheckConstraint(
                condition=Q(annual_income__isnull=True) | Q(annual_income__gte=0),
                name="quotient_income_positive",
            ),
        ]


def document_path(instance, filename):
    return f"families/{instance.family_id}/documents/{filename}"


class FamilyDocument(models.Model):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    STATUSES = [(PENDING, "En attente"), (ACCEPTED, "Accepté"), (REFUSED, "Refusé")]

    family = models.ForeignKey(Family, models.CASCADE, related_name="documents")
    child = models.ForeignKey(
        Child, models.CASCADE, related_name="documents", null=True, blank=True
    )
    doc_type = models.ForeignKey(
        "activities.DocumentType", models.PROTECT, related_name="+", verbose_name="type"
    )
    file = models.FileField(upload_to=document_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    refusal_reason = models.CharField("motif du refus", max_length=300, blank=True)
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "pièce du dossier"
        ordering = ["-uploaded_at"]


class ChangeRequest(models.Model):
    """A change the family made to its data, applied at once or waiting for the manager."""

    PENDING = "pending"
    APPLIED = "applied"
    REFUSED = "refused"
    STATUSES = [(PENDING, "En attente"), (APPLIED, "Appliquée"), (REFUSED, "Refusée")]

    family = models.ForeignKey(Family, models.CASCADE, related_name="change_requests")
    child = models.ForeignKey(
        Child, models.CASCADE, null=True, blank=True, related_name="change_requests"
    )
    guardian = models.ForeignKey(
        Guardian, models.CASCADE, null=True, blank=True, related_name="change_requests"
    )
    changes = models.JSONField(help_text='{"champ": {"old": ..., "new": ...}}')
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "demande de modification"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(child__isnull=False) | Q(guardian__isnull=False),
                name="change_request_has_target",
            )
        ]
