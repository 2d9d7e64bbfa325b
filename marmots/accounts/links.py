"""One-time account links: initialisation (first password) and reset.

Built on Django's PasswordResetTokenGenerator: a token expires after
settings.PASSWORD_RESET_TIMEOUT and stops working once used, because it hashes the password
and the last login, which both change when the link sets a password and logs the user in.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from marmots.core.access import family_of
from marmots.core.audit import record

from .models import User

INIT = "init"
RESET = "reset"
PURPOSES = (INIT, RESET)

VALID = "valid"
EXPIRED = "expired"
USED = "used"
INVALID = "invalid"


class AccountLinkTokenGenerator(PasswordResetTokenGenerator):
    """One generator per purpose: an initialisation token is not a reset token."""

    def __init__(self, purpose):
        self.key_salt = f"marmots.accounts.links.{purpose}"
        super().__init__()

    def timestamp(self, token):
        """The token's timestamp (seconds since 2001, naive local time), or None."""
        try:
            ts_b36, _ = token.split("-")
            return base36_to_int(ts_b36)
        except ValueError:
            return None

    def now(self):
        """The current time as a token timestamp."""
        return self._num_seconds(self._now())

    def is_authentic(self, user, token, ts):
        """Does `token` match the user's current state (password, last login, e-mail)?"""
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )

    def logged_in_since(self, user, ts):
        """Has the user logged in (as the link does once used) at or after timestamp `ts`?"""
        if user.last_login is None:
            return False
        return self._num_seconds(timezone.make_naive(user.last_login)) >= ts


GENERATORS = {purpose: AccountLinkTokenGenerator(purpose) for purpose in PURPOSES}


@dataclass(frozen=True)
class LinkCheck:
    status: str
    user: User | None = None


def link_path(user, purpose):
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = GENERATORS[purpose].make_token(user)
    return reverse("accounts:link", kwargs={"purpose": purpose, "uidb64": uidb64, "token": token})


def validity_text(seconds=None):
    """'3 jours', '1 jour', '12 heures': how long a link stays valid, in French."""
    seconds = settings.PASSWORD_RESET_TIMEOUT if seconds is None else seconds
    hours = max(1, round(seconds / 3600))
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} jour{'s' if days > 1 else ''}"
    return f"{hours} heure{'s' if hours > 1 else ''}"


def link_url(user, purpose):
    """The absolute, plain URL put in the e-mail (no tracking redirect)."""
    return settings.SITE_URL.rstrip("/") + link_path(user, purpose)


_NOT_UID = re.compile(r"[^A-Za-z0-9_-]")
_NOT_TOKEN = re.compile(r"[^0-9a-z-]")


def clean_purpose(raw):
    return re.sub(r"[^a-z]", "", (raw or "").lower())


def clean_uidb64(raw):
    """Drop what a mail client or a copy and paste adds: spaces, line breaks, '=', '.'..."""
    return _NOT_UID.sub("", raw or "")


def clean_token(raw):
    return _NOT_TOKEN.sub("", raw or "").strip("-")


def check_link(purpose, uidb64, token):
    """Say whether a link is valid, expired, already used or invalid (and for whom)."""
    if purpose not in PURPOSES:
        return LinkCheck(INVALID)
    user = _user_from_uidb64(uidb64)
    if user is None or not token:
        return LinkCheck(INVALID)
    generator = GENERATORS[purpose]
    ts = generator.timestamp(token)
    if ts is None:
        return LinkCheck(INVALID)
    age = generator.now() - ts
    if generator.is_authentic(user, token, ts):
        return LinkCheck(EXPIRED if age > settings.PASSWORD_RESET_TIMEOUT else VALID, user)
    # Not (or no longer) matching the user's state. Say "already used" only when the user
    # logged in after the date the token claims, as using the link does: any other wrong
    # token says nothing about the account.
    if 0 <= age <= settings.PASSWORD_RESET_TIMEOUT and generator.logged_in_since(user, ts):
        return LinkCheck(USED, user)
    return LinkCheck(INVALID)


def _user_from_uidb64(uidb64):
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return User.objects.get(pk=int(pk), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None


def send_account_link(user, purpose=INIT, actor=None):
    """E-mail a fresh link once the current transaction commits; audit it when sent by staff."""
    from .tasks import send_account_link_email

    if purpose not in PURPOSES:
        raise ValueError(f"unknown account link purpose: {purpose}")
    with transaction.atomic():
        if actor is not None:
            record(
                actor,
                f"account.link_sent.{purpose}",
                user,
                family=family_of(user),
                after={"email": user.email, "purpose": purpose},
            )
        transaction.on_commit(lambda: send_account_link_email.enqueue(user.pk, purpose))


def request_link(email):
    """Forgotten password: send a link if an active account uses this address, else nothing."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None:
        send_account_link(user, RESET if user.has_usable_password() else INIT)
