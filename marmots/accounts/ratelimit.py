"""Token buckets stored in the database, shared by every process."""

import hashlib

from django.db import transaction
from django.utils import timezone

from .models import TokenBucket


def _key(action, subject):
    digest = hashlib.sha256(f"{action}:{subject}".lower().encode()).hexdigest()[:40]
    return f"{action}:{digest}"


def authorize(action, subject, capacity, period_seconds):
    """Take one token; False once `capacity` attempts were made within `period_seconds`."""
    now = timezone.now()
    with transaction.atomic():
        bucket, _ = TokenBucket.objects.select_for_update().get_or_create(
            value=_key(action, subject), defaults={"tokens": 1.0, "updated": now}
        )
        elapsed = (now - bucket.updated).total_seconds()
        bucket.tokens = min(1.0, bucket.tokens + elapsed / period_seconds)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0 / capacity - 1e-9
        if allowed:
            bucket.tokens -= 1.0 / capacity
        bucket.save(update_fields=["tokens", "updated"])
    return allowed


def authorize_login(email, ip):
    return authorize("login-email", email, 10, 15 * 60) and authorize(
        "login-ip", ip or "-", 50, 15 * 60
    )


def authorize_link_request(email, ip):
    return authorize("link-email", email, 5, 3600) and authorize("link-ip", ip or "-", 20, 3600)


def client_ip(request):
    """The address the request came from (REMOTE_ADDR: a forwarded header could be forged)."""
    return request.META.get("REMOTE_ADDR") or "-"
