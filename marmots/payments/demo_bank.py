"""The simulated bank's signature: an HMAC of its notification, keyed from SECRET_KEY with a
salt of its own. eopayment's dummy backend trusts a bare "signed" parameter; we trust it only
when this signature, which only the server can compute, is valid."""

from urllib.parse import parse_qsl, urlencode

from django.utils.crypto import constant_time_compare, salted_hmac

FIELD = "marmots_signature"
SALT = "marmots.payments.demo_bank"


def _canonical(fields):
    return urlencode(sorted((k, v) for k, v in fields if k != FIELD))


def sign(fields):
    """The query string of the notification `fields` ([(name, value)]), signed."""
    signature = salted_hmac(SALT, _canonical(fields), algorithm="sha256").hexdigest()
    return urlencode([*fields, (FIELD, signature)])


def verify(query):
    fields = parse_qsl(query, keep_blank_values=True)
    given = dict(fields).get(FIELD, "")
    expected = salted_hmac(SALT, _canonical(fields), algorithm="sha256").hexdigest()
    return bool(given) and constant_time_compare(given, expected)
