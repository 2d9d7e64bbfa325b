"""Only failures count, per e-mail and per client address; behind the proxy, per family."""

from django.test import Client, RequestFactory

from marmots.accounts.ratelimit import client_ip

from .helpers import page_text
from .test_login import TOO_MANY, WRONG, log_in

PROXY = "10.0.0.2"  # what REMOTE_ADDR holds behind the reverse proxy


def behind_proxy(client_address, forged=""):
    """A browser reaching the app through the proxy, which appends the address it saw."""
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_successful_logins_never_use_up_the_allowance(client, guardian_a, guardian_b):
    for _ in range(55):
        assert log_in(client, "claire.martin@example.org")["Location"] == "/portail/"
        client.logout()

    assert log_in(client, "paul.bernard@example.org")["Location"] == "/portail/"
    client.logout()
    assert WRONG in page_text(log_in(client, "claire.martin@example.org", "mauvais"))
    assert log_in(client, "claire.martin@example.org")["Location"] == "/portail/"


def test_failures_from_one_family_do_not_lock_out_the_others_behind_the_proxy(
    settings, guardian_a, guardian_b
):
    settings.MARMOTS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    for i in range(50):
        # A forged left-hand address changes nothing: the proxy's entry is the right-most.
        attacker = behind_proxy("203.0.113.7", forged=f"192.0.2.{i}")
        assert WRONG in page_text(log_in(attacker, f"inconnu{i}@example.org", "mauvais"))

    blocked = log_in(behind_proxy("203.0.113.7"), "claire.martin@example.org")
    assert blocked.status_code == 429
    assert TOO_MANY in page_text(blocked)

    family_b = behind_proxy("198.51.100.20")
    assert log_in(family_b, "paul.bernard@example.org")["Location"] == "/portail/"


def test_forgotten_password_requests_are_counted_per_client_behind_the_proxy(settings, db):
    settings.MARMOTS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    url = "/compte/mot-de-passe-oublie/"
    for i in range(20):
        assert behind_proxy("203.0.113.7").post(
            url, {"email": f"x{i}@example.org"}
        ).status_code == (302)

    assert behind_proxy("203.0.113.7").post(url, {"email": "y@example.org"}).status_code == 429
    assert behind_proxy("198.51.100.20").post(url, {"email": "y@example.org"}).status_code == 302


def test_client_ip_reads_the_configured_header_or_remote_addr(settings):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert client_ip(request) == PROXY  # no header configured: a header could be forged

    settings.MARMOTS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert client_ip(request) == "5.6.7.8"
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR=PROXY)) == PROXY
    garbage = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, nope")
    assert client_ip(garbage) == PROXY
