"""Token buckets stored in the database, shared by every process.

Logins are checked before trying (nothing is taken) and only failed attempts take a token, per
e-mail and per client address: a family logging in successfully never uses up anyone's
allowance, even when every family reaches the server through the same reverse proxy.
"""

import hashlib
import ipaddress

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import TokenBucket

LOGIN_PERIOD = 15 * 60
LOGIN_PER_EMAIL = 10
LOGIN_PER_ADDRESS = 50
LINK_PERIOD = 3600
LINK_PER_EMAIL = 5
LINK_PER_ADDRESS = 20


def _key(action, subject):
    digest = hashlib.sha256(f"{action}:{subject}".lower().encode()).hexdigest()[:40]
    return f"{action}:{digest}"


def _refilled(bucket, now, period_seconds):
    elapsed = (now - bucket.updated).total_seconds()
    return min(1.0, bucket.tokens + elapsed / period_seconds)


def available(action, subject, capacity, period_seconds):
    """True while fewer than `capacity` tokens were taken within `period_seconds` (takes none)."""
    bucket = TokenBucket.objects.filter(value=_key(action, subject)).first()
    if bucket is None:
        return True
    return _refilled(bucket, timezone.now(), period_seconds) >= 1.0 / capacity - 1e-9


def consume(action, subject, capacity, period_seconds):
    """Take one token, whether or not any is left; False if none was left."""
    now = timezone.now()
    with transaction.atomic():
        bucket, _ = TokenBucket.objects.select_for_update().get_or_create(
            value=_key(action, subject), defaults={"tokens": 1.0, "updated": now}
        )
        tokens = _refilled(bucket, now, period_seconds)
        allowed = tokens >= 1.0 / capacity - 1e-9
        bucket.tokens = max(0.0, tokens - 1.0 / capacity)
        bucket.updated = now
        bucket.save(update_fields=["tokens", "updated"])
    return allowed


def authorize(action, subject, capacity, period_seconds):
    """Take one token if one is left; False once `capacity` were taken within the period."""
    if not available(action, subject, capacity, period_seconds):
        return False
    return consume(action, subject, capacity, period_seconds)


def login_allowed(email, ip):
    """May a login be tried now for this e-mail from this address? (Takes nothing.)"""
    return available("login-email", email.lower(), LOGIN_PER_EMAIL, LOGIN_PERIOD) and available(
        "login-ip", ip, LOGIN_PER_ADDRESS, LOGIN_PERIOD
    )


def login_failed(email, ip):
    """Count a failed login against the e-mail and the address."""
    consume("login-email", email.lower(), LOGIN_PER_EMAIL, LOGIN_PERIOD)
    consume("login-ip", ip, LOGIN_PER_ADDRESS, LOGIN_PERIOD)


def authorize_link_request(email, ip):
    """Every request for a link counts, sent or not (nothing says whether the account exists)."""
    return authorize("link-email", email.lower(), LINK_PER_EMAIL, LINK_PERIOD) and authorize(
        "link-ip", ip, LINK_PER_ADDRESS, LINK_PERIOD
    )


def client_ip(request):
    """The address of the person behind the request.

    Without settings.MARMOTS_CLIENT_IP_HEADER: REMOTE_ADDR. Behind a reverse proxy, name the
    header it sets, as in request.META (e.g. "HTTP_X_FORWARDED_FOR"): the right-most address
    is the one the proxy appended; anything to its left came from the client and could be
    forged. Only the proxy must be able to reach the application server, otherwise anyone
    could set this header and escape the per-address limit.
    """
    header = getattr(settings, "MARMOTS_CLIENT_IP_HEADER", "")
    if header:
        candidate = request.META.get(header, "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or "-"
