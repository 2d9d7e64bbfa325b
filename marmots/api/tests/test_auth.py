"""Bearer tokens (obtain, use, revoke, rate limit) and the browser session with CSRF."""

import datetime

import time_machine
from django.test import Client

from marmots.accounts.models import ApiToken
from marmots.core.models import AuditEntry
from marmots.enrollments.models import Enrollment
from tests.factories import PASSWORD

from .conftest import START

AUTH_URL = "/api/v1/auth/token"
WRONG_PASSWORD = "mauvais-mot-de-passe"  # noqa: S105


def obtain(client, email, password=PASSWORD, **extra):
    data = {"email": email, "password": password, **extra}
    return client.post(AUTH_URL, data, content_type="application/json")


def test_obtain_token_then_use_it(client, guardian_a):
    response = obtain(client, "Claire.Martin@example.org", name="Mon téléphone")

    assert response.status_code == 201
    key = response.json()["token"]
    token = ApiToken.objects.get(user=guardian_a.user)
    assert token.name == "Mon téléphone"
    assert token.key_hash == ApiToken.hash(key) != key  # only the hash is stored
    assert token.last_used_at is None
    assert AuditEntry.objects.filter(action="api_token.issued", actor=guardian_a.user).exists()

    api = Client(headers={"authorization": f"Bearer {key}"})
    response = api.get("/api/v1/family")
    assert response.status_code == 200
    assert response.json()["name"] == "Martin"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_bad_password_gets_french_401_and_no_token(client, guardian_a):
    response = obtain(client, "claire.martin@example.org", password=WRONG_PASSWORD)

    assert response.status_code == 401
    assert response.json() == {"detail": "Adresse e-mail ou mot de passe incorrect."}
    assert not ApiToken.objects.exists()


def test_unknown_email_answers_like_a_bad_password(client, db):
    response = obtain(client, "personne@example.org")

    assert response.status_code == 401
    assert response.json()["detail"] == "Adresse e-mail ou mot de passe incorrect."


def test_inactive_user_gets_no_token(client, guardian_a):
    guardian_a.user.is_active = False
    guardian_a.user.save()

    assert obtain(client, "claire.martin@example.org").status_code == 401


def test_token_requests_are_rate_limited(client, guardian_a):
    for _ in range(10):
        assert (
            obtain(client, "claire.martin@example.org", password=WRONG_PASSWORD).status_code == 401
        )

    response = obtain(client, "claire.martin@example.org")  # even the right password

    assert response.status_code == 429
    assert "Trop de tentatives" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_successful_token_requests_do_not_count(client, guardian_a):
    for _ in range(12):
        assert obtain(client, "claire.martin@example.org").status_code == 201

    assert obtain(client, "claire.martin@example.org", password=WRONG_PASSWORD).status_code == 401
    assert obtain(client, "claire.martin@example.org").status_code == 201


def test_token_requests_are_limited_per_client_behind_the_proxy(settings, guardian_a):
    settings.MARMOTS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    for i in range(50):
        assert obtain(attacker, f"inconnu{i}@example.org").status_code == 401
    assert obtain(attacker, "claire.martin@example.org").status_code == 429

    family = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert obtain(family, "claire.martin@example.org").status_code == 201


def test_rate_limit_refills_over_time(client, guardian_a):
    for _ in range(10):
        obtain(client, "claire.martin@example.org", password=WRONG_PASSWORD)
    later = datetime.datetime(2026, 6, 15, 10, 16, tzinfo=datetime.UTC)
    with time_machine.travel(later):
        assert obtain(client, "claire.martin@example.org").status_code == 201


def test_revoke_the_token_in_use(api_a, guardian_a):
    response = api_a.delete(AUTH_URL)

    assert response.status_code == 204
    token = ApiToken.objects.get(user=guardian_a.user)
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1
    response = api_a.get("/api/v1/family")
    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton d'accès invalide ou révoqué."}
    assert api_a.delete(AUTH_URL).status_code == 401


def test_revoking_one_token_keeps_the_others(client, guardian_a):
    first = obtain(client, "claire.martin@example.org").json()["token"]
    second = obtain(client, "claire.martin@example.org").json()["token"]

    Client(headers={"authorization": f"Bearer {first}"}).delete(AUTH_URL)

    assert (
        Client(headers={"authorization": f"Bearer {first}"}).get("/api/v1/family").status_code
        == 401
    )
    assert (
        Client(headers={"authorization": f"Bearer {second}"}).get("/api/v1/family").status_code
        == 200
    )


def test_revoke_needs_a_token_not_a_session(client_a):
    response = client_a.delete(AUTH_URL)

    assert response.status_code == 401


def test_unknown_token_and_no_credentials_get_401_in_french(client, guardian_a):
    response = Client(headers={"authorization": "Bearer mrm_inventé"}).get("/api/v1/children")
    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton d'accès invalide ou révoqué."}

    response = client.get("/api/v1/children")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_of_a_deactivated_user_is_refused(api_a, guardian_a):
    guardian_a.user.is_active = False
    guardian_a.user.save()

    assert api_a.get("/api/v1/family").status_code == 401


def _enroll(client, child, activity, **extra):
    data = {
        "child_id": child.pk,
        "activity_id": activity.pk,
        "start_date": str(START),
        "end_date": "2027-07-03",
    }
    return client.post("/api/v1/enrollments", data, content_type="application/json", **extra)


def test_session_reads_without_csrf(guardian_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(guardian_a.user)

    assert browser.get("/api/v1/family").status_code == 200


def test_session_writes_need_the_csrf_token(guardian_a, child_a, activity):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(guardian_a.user)

    response = _enroll(browser, child_a, activity)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Enrollment.objects.exists()

    csrf = "Csrf0123456789abcdefABCDEF012345"  # what the csrftoken cookie holds (32 chars)
    browser.cookies["csrftoken"] = csrf
    response = _enroll(browser, child_a, activity, headers={"X-CSRFToken": "wrong" * 6 + "xx"})
    assert response.status_code == 403
    assert not Enrollment.objects.exists()

    response = _enroll(browser, child_a, activity, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201
    assert Enrollment.objects.count() == 1


def test_bearer_writes_need_no_csrf(api_a, child_a, activity):
    assert _enroll(api_a, child_a, activity).status_code == 201
