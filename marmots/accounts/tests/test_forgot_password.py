import pytest

from tests.factories import PASSWORD

from .helpers import link_in, page_text, path_of, plain_text

pytestmark = pytest.mark.django_db(transaction=True)

SENT_PAGE = "/compte/mot-de-passe-oublie/envoye/"
NEW_PASSWORD = "Sentier-des-Marmottes-12"  # noqa: S105


def ask(client, email):
    return client.post("/compte/mot-de-passe-oublie/", {"email": email})


def test_the_answer_does_not_say_whether_the_account_exists(client, smtp_server, guardian_a):
    known = ask(client, "claire.martin@example.org")
    unknown = ask(client, "personne@example.org")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == SENT_PAGE
    assert [m["To"] for m in smtp_server] == ["claire.martin@example.org"]


def test_the_confirmation_page_says_what_to_do(client, structure):
    body = page_text(client.get(SENT_PAGE))

    assert "Si un compte existe pour cette adresse, un e-mail vient d'être envoyé" in body
    assert "Sinon, contactez l'association au 04 50 43 27 07" in body


def test_a_reset_link_replaces_the_password(client, smtp_server, guardian_a):
    ask(client, "Claire.Martin@EXAMPLE.org")
    [message] = smtp_server
    assert "nouveau mot de passe" in message["Subject"]

    landing = client.get(path_of(link_in(message)))
    done = client.post(landing["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done["Location"] == "/portail/"
    guardian_a.user.refresh_from_db()
    assert guardian_a.user.check_password(NEW_PASSWORD)
    assert not guardian_a.user.check_password(PASSWORD)


def test_someone_who_never_chose_a_password_gets_an_init_link(client, smtp_server, newcomer):
    ask(client, "ines.martin@example.org")

    [message] = smtp_server
    assert "choisissez votre mot de passe" in message["Subject"]
    assert "/compte/lien/init/" in link_in(message)


def test_an_inactive_account_gets_nothing(client, smtp_server, guardian_a):
    guardian_a.user.is_active = False
    guardian_a.user.save()

    assert ask(client, "claire.martin@example.org")["Location"] == SENT_PAGE
    assert smtp_server == []


def test_a_malformed_address_gets_a_french_message_and_sends_nothing(client, smtp_server, db):
    response = ask(client, "claire.martin@")

    assert "Cette adresse e-mail n'est pas valide" in page_text(response)
    assert smtp_server == []


def test_link_requests_are_rate_limited(client, smtp_server, guardian_a):
    for _ in range(5):
        assert ask(client, "claire.martin@example.org")["Location"] == SENT_PAGE

    blocked = ask(client, "CLAIRE.martin@example.org")

    assert blocked.status_code == 429
    assert "Trop de demandes pour cette adresse" in page_text(blocked)
    assert len(smtp_server) == 5
    assert all("Portail Famille" in plain_text(m) for m in smtp_server)
