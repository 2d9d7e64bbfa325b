"""Writes on accounts: each owns its transaction, its checks, its audit entry and its e-mails."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from marmots.activities.models import StaffMembership
from marmots.core.access import family_of, is_manager, structures_of
from marmots.core.audit import record

from .links import INIT
from .models import ApiToken, User

EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte."
EMAIL_INVALID = "Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr)."
EMAIL_SAME = "C'est déjà l'adresse de ce compte."


def set_password_from_link(user, password, purpose):
    """Set the password chosen through an account link: the link is used up and the API
    tokens made with the old password are revoked."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        action = "account.password_initialised" if purpose == INIT else "account.password_reset"
        record(user, action, user, family=family_of(user))
        revoke_api_tokens(user, actor=user, reason=action)
    return user


def revoke_api_tokens(user, actor, reason):
    """Revoke every live API token of `user` (one audit entry each); returns how many."""
    with transaction.atomic():
        tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at=None))
        ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=timezone.now())
        family = family_of(user)
        for token in tokens:
            record(
                actor,
                "api_token.revoked",
                token,
                family=family,
                after={"name": token.name, "reason": reason},
            )
    return len(tokens)


def may_change_email(actor, user):
    """A superuser, or a manager of a structure the person's family uses or works for."""
    if actor.is_superuser:
        return True
    managed = structures_of(actor, roles=(StaffMembership.MANAGER,))
    family = family_of(user)
    if family is not None:
        return family.structures.filter(pk__in=managed).exists()
    return is_manager(actor) and user.memberships.filter(structure__in=managed).exists()


def change_email(user, new_email, actor):
    """The manager replaces a person's login e-mail; both addresses are told once committed and
    the person's API tokens are revoked."""
    from .tasks import send_email_changed_notices

    if not may_change_email(actor, user):
        raise PermissionDenied("Seul le gestionnaire de la structure peut changer cette adresse.")
    new_email = clean_new_email(new_email, user)
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            old_email = user.email
            user.email = new_email
            user.save(update_fields=["email"])
            record(
                actor,
                "account.email_changed",
                user,
                family=family_of(user),
                before={"email": old_email},
                after={"email": new_email},
            )
            revoke_api_tokens(user, actor=actor, reason="account.email_changed")
            transaction.on_commit(
                lambda: send_email_changed_notices.enqueue(user.pk, old_email, new_email)
            )
    except IntegrityError:
        raise ValidationError(EMAIL_TAKEN) from None
    return user


def clean_new_email(new_email, user):
    """The normalised address, or a French ValidationError."""
    email = (new_email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(EMAIL_INVALID) from None
    if email == user.email.lower():
        raise ValidationError(EMAIL_SAME)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError(EMAIL_TAKEN)
    return email
