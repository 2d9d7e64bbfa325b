"""Every write on family data: one function, one transaction, its checks and its audit entry.

The portal, the back-office and the API call these; they never write family rows themselves.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from marmots.accounts.models import User
from marmots.activities.models import StaffMembership, Structure
from marmots.core.audit import record, snapshot

from . import fields, files, rules
from .models import ChangeRequest, Child, Family, FamilyDocument, Guardian


def _now():
    return timezone.now()


def _check_manager(actor, family):
    """Only a manager of one of the family's structures decides on its requests."""
    if getattr(actor, "is_superuser", False):
        return
    managed = Structure.objects.filter(
        memberships__user=actor,
        memberships__role=StaffMembership.MANAGER,
        pk__in=family.structures_in_use().values("pk"),
    )
    if not managed.exists():
        raise PermissionDenied("Action réservée au gestionnaire de la famille.")


# Families and guardians -----------------------------------------------------------------------


@transaction.atomic
def create_family(structure, name, actor, **extra):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Indiquez le nom de la famille."})
    family = Family.objects.create(name=name, **extra)
    family.structures.add(structure)
    record(actor, "family.create", family, family=family, after=snapshot(family))
    return family


def add_child(family, *, first_name, last_name, birth_date, actor, **details):
    """The manager records a child of the family (from the paper file or on request)."""
    errors = {}
    if not (first_name or "").strip():
        errors["first_name"] = "Indiquez le prénom de l'enfant."
    if not (last_name or "").strip():
        errors["last_name"] = "Indiquez le nom de l'enfant."
    problem = birth_date and rules.birth_date_problem(birth_date, timezone.localdate())
    if not birth_date or problem:
        errors["birth_date"] = problem or "Indiquez la date de naissance."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        child = Child.objects.create(
            family=family,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            birth_date=birth_date,
            **details,
        )
        record(actor, "child.create", child, family=family, after=snapshot(child))
    return child


def add_guardian(family, *, first_name, last_name, email, actor, **details):
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Saisissez une adresse e-mail valide."}) from None
    if not (first_name or "").strip() or not (last_name or "").strip():
        raise ValidationError("Le prénom et le nom du responsable sont obligatoires.")
    message = "Cette adresse e-mail est déjà utilisée par un autre compte."
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": message})
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, first_name=first_name, last_name=last_name)
            guardian = Guardian.objects.create(
                family=family, user=user, first_name=first_name, last_name=last_name, **details
            )
            after = snapshot(guardian) | {"email": email}
            record(actor, "guardian.create", guardian, family=family, after=after)
    except IntegrityError:
        # Two managers adding the same address at once: the unique index decides.
        raise ValidationError({"email": message}) from None
    return guardian


def update_guardian_details(guardian, data, actor):
    """A guardian changes their own details (never the e-mail). Applied at once, recorded."""
    if "email" in data:
        raise ValidationError("Seul le gestionnaire peut modifier l'adresse e-mail.")
    unknown = set(data) - set(fields.GUARDIAN_FIELDS)
    if unknown:
        raise ValidationError(f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
        changes = rules.diff(fields.guardian_values(guardian), data)
        if not changes:
            return None
        for name, change in changes.items():
            setattr(guardian, name, change["new"])
        guardian.full_clean(exclude=["family", "user"])
        guardian.save(update_fields=list(changes))
        if guardian.user_id and ({"first_name", "last_name"} & set(changes)):
            User.objects.filter(pk=guardian.user_id).update(
                first_name=guardian.first_name, last_name=guardian.last_name
            )
        request = ChangeRequest.objects.create(
            family_id=guardian.family_id,
            guardian=guardian,
            changes=changes,
            status=ChangeRequest.APPLIED,
            created_by=actor,
            decided_at=_now(),
        )
        _record_changes(actor, "guardian.update", guardian, guardian.family_id, changes)
    return request


# Children ------------------------------------------------------------------------------------


def _record_changes(actor, action, instance, family_id, changes):
    before = {k: v["old"] for k, v in changes.items()}
    after = {k: v["new"] for k, v in changes.items()}
    record(actor, action, instance, family=Family(pk=family_id), before=before, after=after)


def update_child(child, data, actor):
    """The family changes a child's information.

    Fields that one of the family's structures lists in `child_fields_needing_validation` wait
    in a PENDING change request; the others apply at once and are recorded as an APPLIED one.
    Returns the pending request if any, else the applied one, else None (nothing changed).
    """
    data = {k: fields.to_json(v) for k, v in data.items()}
    unknown = set(data) - set(fields.CHILD_FIELDS)
    if unknown:
        raise ValidationError(f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    if fields.AUTHORIZED_PEOPLE in data:
        data[fields.AUTHORIZED_PEOPLE] = fields.normalize_people(data[fields.AUTHORIZED_PEOPLE])
    with transaction.atomic():
        child = type(child).objects.select_for_update().get(pk=child.pk)
        changes = rules.diff(fields.child_values(child), data)
        if not changes:
            return None
        needing = rules.fields_needing_validation(child.family.structures.all())
        immediate, pending = rules.split_changes(changes, needing)
        applied_request = pending_request = None
        if immediate:
            fields.apply_child_changes(child, immediate)
            applied_request = _child_request(child, immediate, ChangeRequest.APPLIED, actor)
        if pending:
            pending_request = _child_request(child, pending, ChangeRequest.PENDING, actor)
        if immediate:
            _record_changes(actor, "child.update", child, child.family_id, immediate)
        if pending:
            record(
                actor,
                "child.change_requested",
                pending_request,
                family=child.family,
                after=pending,
            )
    return pending_request or applied_request


def _child_request(child, changes, status, actor):
    return ChangeRequest.objects.create(
        family_id=child.family_id,
        child=child,
        changes=changes,
        status=status,
        created_by=actor,
        decided_at=_now() if status == ChangeRequest.APPLIED else None,
    )


@transaction.atomic
def confirm_child_info(child, actor):
    """The family checked the child's information (first-login guided check)."""
    before = fields.to_json(child.info_checked_at)
    child.info_checked_at = _now()
    child.save(update_fields=["info_checked_at"])
    record(
        actor,
        "child.info_checked",
        child,
        family=child.family,
        before={"info_checked_at": str(before) if before else None},
        after={"info_checked_at": child.info_checked_at.isoformat()},
    )
    return child


def _refuse_stale(child, changes):
    """Refuse to apply a request whose fields changed since the family asked."""
    current = fields.child_values(child)
    stale = [name for name, change in changes.items() if current.get(name) != change["old"]]
    if stale:
        labels = ", ".join(fields.CHILD_FIELD_LABELS.get(name, name) for name in stale)
        raise ValidationError(
            f"La fiche a changé depuis la demande ({labels}) : refusez cette demande "
            "et invitez la famille à la refaire."
        )


def decide_change_request(change_request, *, accept, actor, note=""):
    """The manager applies or refuses a pending change request (refusal needs a note)."""
    note = (note or "").strip()
    if not accept and not note:
        raise ValidationError({"note": "Indiquez le motif du refus."})
    _check_manager(actor, change_request.family)
    with transaction.atomic():
        request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
        if request.status != ChangeRequest.PENDING:
            raise ValidationError("Cette demande a déjà été traitée.")
        if accept and request.child_id:
            child = Child.objects.select_for_update().get(pk=request.child_id)
            _refuse_stale(child, request.changes)
            fields.apply_child_changes(child, request.changes)
        request.status = ChangeRequest.APPLIED if accept else ChangeRequest.REFUSED
        request.decided_by = actor
        request.decided_at = _now()
        request.decision_note = note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(
            actor,
            "change_request.accept" if accept else "change_request.refuse",
            request,
            family=request.family,
            before={"status": ChangeRequest.PENDING},
            after={"status": request.status, "note": note, "changes": request.changes},
        )
    change_request.refresh_from_db()
    return change_request


# Documents -----------------------------------------------------------------------------------


def upload_document(family, doc_type, uploaded_file, actor, child=None):
    """Store a document of the family's file (PDF, JPEG or PNG, type read from the content)."""
    if not family.structures_in_use().filter(pk=doc_type.structure_id).exists():
        raise ValidationError({"doc_type": "Ce type de pièce n'est pas demandé à votre famille."})
    if child is not None and child.family_id != family.pk:
        raise ValidationError({"child": "Cet enfant n'appartient pas à votre famille."})
    if doc_type.per_child and child is None:
        raise ValidationError({"child": "Indiquez l'enfant concerné par cette pièce."})
    try:
        mime = files.check_upload(uploaded_file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    document = FamilyDocument(
        family=family,
        child=child,
        doc_type=doc_type,
        original_name=(uploaded_file.name or "document")[-200:],
        content_type=mime,
        size=uploaded_file.size,
        uploaded_by=actor,
    )
    document.file.save(files.stored_name(mime), uploaded_file, save=False)
    try:
        with transaction.atomic():
            document.save()
            record(actor, "document.upload", document, family=family, after=snapshot(document))
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def review_document(document, *, accept, actor, valid_until=None, reason=""):
    """The manager accepts (until a date) or refuses (with a reason) an uploaded document."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError({"reason": "Indiquez le motif du refus."})
    _check_manager(actor, document.family)
    today = timezone.localdate()
    if accept and valid_until is None:
        valid_until = rules.default_valid_until(today, document.doc_type.validity_months)
    if accept and valid_until is not None and valid_until < today:
        raise ValidationError({"valid_until": "La date de fin de validité est déjà passée."})
    with transaction.atomic():
        doc = FamilyDocument.objects.select_for_update().get(pk=document.pk)
        before = snapshot(doc, fields=["status", "valid_until", "refusal_reason"])
        doc.status = FamilyDocument.ACCEPTED if accept else FamilyDocument.REFUSED
        doc.valid_until = valid_until if accept else None
        doc.refusal_reason = "" if accept else reason
        doc.reviewed_by = actor
        doc.reviewed_at = _now()
        doc.save()
        after = snapshot(doc, fields=["status", "valid_until", "refusal_reason"])
        record(actor, "document.review", doc, family=doc.family, before=before, after=after)
    document.refresh_from_db()
    return document


@transaction.atomic
def check_child(child, data, actor):
    """One step of the guided check: save what the family corrected, then mark it checked."""
    request = update_child(child, data, actor)
    confirm_child_info(child, actor)
    return request
