import datetime

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.utils.http import int_to_base36, urlsafe_base64_encode

from marmots.accounts.links import (
    GENERATORS,
    clean_token,
    clean_uidb64,
    send_account_link,
    validity_text,
)
from marmots.accounts.models import ApiToken
from marmots.core.models import AuditEntry

from .helpers import html_text, link_in, page_text, path_of, plain_text

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Cordee-au-Mont-Blanc-74"  # noqa: S105
FORM_PAGE = "/choisir/"
# Tokens count time in naive local time, so a daylight-saving change (or time-machine's
# handling of the local zone) can shift a link's age by an hour: travel with a margin.
HOURS = 3 * 3600


def choose_password(client, link, password=NEW_PASSWORD, again=None):
    landing = client.get(link)
    assert landing.status_code == 302
    return client.post(landing["Location"], {"password1": password, "password2": again or password})


def test_init_email_arrives_in_french_with_the_link_alone_on_its_line(
    smtp_server, newcomer, manager
):
    send_account_link(newcomer, "init", actor=manager)

    [message] = smtp_server
    assert message["To"] == "ines.martin@example.org"
    assert (
        message["Subject"]
        == "Portail Famille Les Petits Montagnards : choisissez votre mot de passe"
    )
    text = plain_text(message)
    assert "Votre identifiant est votre adresse e-mail : ines.martin@example.org" in text
    assert "copiez le lien et collez-le" in text
    assert "valable 3 jours" in text
    url = link_in(message)
    assert url in html_text(message)
    entry = AuditEntry.objects.get(action="account.link_sent.init")
    assert entry.actor == manager and entry.after["email"] == "ines.martin@example.org"


def test_the_link_sets_the_password_and_opens_the_portal(client, newcomer, init_link):
    landing = client.get(init_link)
    # The token leaves the address bar before any page is shown (no leak via Referer).
    assert landing.status_code == 302
    assert landing["Location"].endswith(FORM_PAGE)
    assert init_link.split("/")[-2] not in landing["Location"]
    page = client.get(landing["Location"])
    assert "Choisissez votre mot de passe" in page_text(page)
    assert "ines.martin@example.org" in page_text(page)

    done = client.post(landing["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302 and done["Location"] == "/portail/"
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert client.get("/portail/").status_code == 200
    assert AuditEntry.objects.filter(action="account.password_initialised").exists()


def test_a_second_use_explains_the_link_was_already_used(client, init_link):
    choose_password(client, init_link)
    client.logout()

    again = client.get(init_link)

    assert again.status_code == 200
    body = page_text(again)
    assert "Ce lien a déjà été utilisé" in body
    assert 'href="/compte/mot-de-passe-oublie/"' in body


def test_an_expired_link_says_so_and_changes_nothing(client, newcomer, init_link):
    later = timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + HOURS)
    with time_machine.travel(later):
        response = client.get(init_link)

    assert "Ce lien a expiré" in page_text(response)
    assert 'href="/compte/mot-de-passe-oublie/"' in page_text(response)
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_a_link_still_works_hours_before_it_expires(client, init_link):
    later = timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - HOURS)
    with time_machine.travel(later):
        assert choose_password(client, init_link)["Location"] == "/portail/"


def _damage(link, how):
    prefix, purpose, uidb64, token = link.rstrip("/").rsplit("/", 3)
    damaged = {
        "space in token": f"{uidb64}/{token[:12]}%20{token[12:]}/",
        "line break in token": f"{uidb64}/{token[:12]}%0D%0A{token[12:]}/",
        "soft break in token": f"{uidb64}/{token[:20]}=%0A{token[20:]}/",
        "space in uid": f"{uidb64[:1]}%20{uidb64[1:]}/{token}/",
        "trailing dot": f"{uidb64}/{token}/.",
        "trailing chevron": f"{uidb64}/{token}/%3E",
        "no final slash": f"{uidb64}/{token}",
        "trailing dot no slash": f"{uidb64}/{token}.",
    }[how]
    return f"{prefix}/{purpose}/{damaged}"


@pytest.mark.parametrize(
    "how",
    [
        "space in token",
        "line break in token",
        "soft break in token",
        "space in uid",
        "trailing dot",
        "trailing chevron",
        "no final slash",
        "trailing dot no slash",
    ],
)
def test_a_link_damaged_by_copy_and_paste_still_works(client, newcomer, init_link, how):
    done = choose_password(client, _damage(init_link, how))

    assert done["Location"] == "/portail/"
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)


def test_mismatched_passwords_get_a_french_message_and_change_nothing(client, newcomer, init_link):
    response = choose_password(client, init_link, again="Autre-mot-de-passe-99")

    assert response.status_code == 200
    assert "Les deux mots de passe ne sont pas identiques." in page_text(response)
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_a_weak_password_is_refused_in_french(client, newcomer, init_link):
    response = choose_password(client, init_link, password="12345")  # noqa: S106

    body = page_text(response)
    assert "Ce mot de passe est trop court" in body
    assert "entièrement numérique" in body
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_the_form_page_without_the_token_in_session_is_refused(client, newcomer, init_link):
    form_page = init_link.rsplit("/", 2)[0] + FORM_PAGE

    response = client.post(form_page, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert "Ce lien n'est pas valable" in page_text(response)
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_a_tampered_token_is_not_valid(client, init_link):
    prefix, token = init_link.rstrip("/").rsplit("/", 1)
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")

    response = client.get(f"{prefix}/{forged}/")

    assert "Ce lien n'est pas valable" in page_text(response)


def test_an_init_link_is_not_a_reset_link(client, init_link):
    response = client.get(init_link.replace("/init/", "/reset/"))

    assert "Ce lien n'est pas valable" in page_text(response)


def test_an_unknown_purpose_is_not_found(client, init_link):
    assert client.get(init_link.replace("/init/", "/autre/")).status_code == 404


def test_staff_land_on_the_back_office(client, smtp_server, manager):
    send_account_link(manager, "reset")

    done = choose_password(client, path_of(link_in(smtp_server[0])))

    assert done["Location"] == "/gestion/"


def test_a_reset_email_says_to_ignore_it_if_not_asked(smtp_server, guardian_a):
    send_account_link(guardian_a.user, "reset")

    [message] = smtp_server
    assert "nouveau mot de passe" in message["Subject"]
    assert "Si vous n'avez rien demandé, ignorez ce message" in plain_text(message)
    assert not AuditEntry.objects.exists()  # self-service requests carry no actor


def test_no_email_leaves_when_the_transaction_rolls_back(smtp_server, newcomer, manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_account_link(newcomer, "init", actor=manager)
        raise RuntimeError("the family could not be created")

    assert smtp_server == []
    assert not AuditEntry.objects.exists()


def test_cleaning_keeps_only_the_token_alphabet():
    assert clean_token(" 4k2j1a-0f3e\r\n9a=b.>/") == "4k2j1a-0f3e9ab"
    assert clean_uidb64(" M\nT I= ") == "MTI"


@pytest.mark.parametrize(
    "seconds, text", [(3 * 24 * 3600, "3 jours"), (86400, "1 jour"), (7200, "2 heures")]
)
def test_validity_reads_in_french(seconds, text):
    assert validity_text(seconds) == text


def _token_with_timestamp(ts):
    return f"{int_to_base36(ts)}-{'0' * 32}"


def test_a_wrong_token_does_not_tell_whether_the_account_was_activated(client, guardian_a):
    # Claire chose her password and last logged in a week ago: nothing used a link since.
    guardian_a.user.last_login = timezone.now() - datetime.timedelta(days=7)
    guardian_a.user.save(update_fields=["last_login"])
    generator = GENERATORS["reset"]
    uidb64 = urlsafe_base64_encode(str(guardian_a.user.pk).encode())
    recent = generator.now() - 3600

    for token in ["abc-def", "zzzzzzzzzzzzzz-1", _token_with_timestamp(recent)]:
        response = client.get(f"/compte/lien/reset/{uidb64}/{token}/")

        assert "Ce lien n'est pas valable" in page_text(response), token
        assert "déjà été utilisé" not in page_text(response)


def test_a_wrong_token_older_than_the_validity_is_not_called_used(client, guardian_a):
    guardian_a.user.last_login = timezone.now()
    guardian_a.user.save(update_fields=["last_login"])
    generator = GENERATORS["reset"]
    uidb64 = urlsafe_base64_encode(str(guardian_a.user.pk).encode())
    old = generator.now() - settings.PASSWORD_RESET_TIMEOUT - HOURS

    response = client.get(f"/compte/lien/reset/{uidb64}/{_token_with_timestamp(old)}/")

    assert "Ce lien n'est pas valable" in page_text(response)


def test_choosing_a_password_revokes_the_api_tokens(client, smtp_server, guardian_a, guardian_b):
    mine, my_key = ApiToken.issue(guardian_a.user, name="Mon téléphone")
    theirs, _ = ApiToken.issue(guardian_b.user)
    send_account_link(guardian_a.user, "reset")

    assert choose_password(client, path_of(link_in(smtp_server[0])))["Location"] == "/portail/"

    api = Client(headers={"authorization": f"Bearer {my_key}"})
    assert api.get("/api/v1/family").status_code == 401
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    entry = AuditEntry.objects.get(action="api_token.revoked")
    assert entry.actor == guardian_a.user and entry.object_id == str(mine.pk)
    assert entry.after == {"name": "Mon téléphone", "reason": "account.password_reset"}
