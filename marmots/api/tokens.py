"""Actions on API tokens: issue and revoke, each with its audit entry."""

from django.db import transaction
from django.utils import timezone

from marmots.accounts.models import ApiToken
from marmots.core.access import family_of
from marmots.core.audit import record


def issue_token(user, name=""):
    """A new token for `user`; returns (token, key). Only the key's hash is stored."""
    with transaction.atomic():
        token, key = ApiToken.issue(user, name=name)
        record(user, "api_token.issued", token, family=family_of(user), after={"name": name})
    return token, key


def revoke_token(token, actor):
    """Revoke `token` at once; a revoked token is refused from then on."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record(actor, "api_token.revoked", token, family=family_of(token.user))
    return updated == 1
