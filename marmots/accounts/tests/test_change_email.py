import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from marmots.accounts.actions import change_email
from marmots.accounts.links import send_account_link
from marmots.accounts.models import ApiToken
from marmots.core.models import AuditEntry
from tests.factories import PASSWORD

from .helpers import link_in, page_text, path_of, plain_text

pytestmark = pytest.mark.django_db(transaction=True)


def test_both_addresses_are_told_and_the_new_one_is_the_login(
    client, smtp_server, guardian_a, manager
):
    change_email(guardian_a.user, " Claire.Nouvelle@Example.org ", manager)

    guardian_a.user.refresh_from_db()
    assert guardian_a.user.email == "claire.nouvelle@example.org"
    old, new = sorted(smtp_server, key=lambda m: m["To"] != "claire.martin@example.org")
    assert old["To"] == "claire.martin@example.org"
    assert "ne sert plus à vous connecter" in plain_text(old)
    assert new["To"] == "claire.nouvelle@example.org"
    assert "adresse de connexion de votre compte : claire.nouvelle@example.org" in plain_text(new)
    entry = AuditEntry.objects.get(action="account.email_changed")
    assert entry.actor == manager and entry.family == guardian_a.family
    assert entry.before == {"email": "claire.martin@example.org"}
    assert entry.after == {"email": "claire.nouvelle@example.org"}
    login = {"email": "claire.nouvelle@example.org", "password": PASSWORD}
    assert client.post("/compte/connexion/", login)["Location"] == "/portail/"


@pytest.mark.parametrize(
    "address, message",
    [
        ("PAUL.Bernard@example.org", "Cette adresse e-mail est déjà utilisée par un autre compte."),
        ("paul.bernard@", "Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr)."),
        ("", "Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr)."),
        ("Claire.Martin@example.org", "C'est déjà l'adresse de ce compte."),
    ],
)
def test_a_bad_address_is_refused_in_french_and_changes_nothing(
    smtp_server, guardian_a, guardian_b, manager, address, message
):
    with pytest.raises(ValidationError) as refused:
        change_email(guardian_a.user, address, manager)

    assert refused.value.messages == [message]
    guardian_a.user.refresh_from_db()
    assert guardian_a.user.email == "claire.martin@example.org"
    assert smtp_server == []
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("who", ["staff", "other_manager", "guardian_b"])
def test_only_a_manager_of_the_family_may_change_it(request, smtp_server, guardian_a, who):
    actor = request.getfixturevalue(who)
    actor = getattr(actor, "user", actor)

    with pytest.raises(PermissionDenied):
        change_email(guardian_a.user, "claire.nouvelle@example.org", actor)

    guardian_a.user.refresh_from_db()
    assert guardian_a.user.email == "claire.martin@example.org"
    assert smtp_server == []


def test_a_link_sent_to_the_old_address_stops_working(client, smtp_server, newcomer, manager):
    send_account_link(newcomer, "init", actor=manager)
    old_link = path_of(link_in(smtp_server[0]))

    change_email(newcomer, "ines.nouvelle@example.org", manager)

    assert "Ce lien n'est pas valable" in page_text(client.get(old_link))


def test_a_new_email_revokes_the_api_tokens(smtp_server, guardian_a, manager):
    token, key = ApiToken.issue(guardian_a.user, name="Tablette")

    change_email(guardian_a.user, "claire.nouvelle@example.org", manager)

    token.refresh_from_db()
    assert token.revoked_at is not None
    api = Client(headers={"authorization": f"Bearer {key}"})
    assert api.get("/api/v1/family").status_code == 401
    entry = AuditEntry.objects.get(action="api_token.revoked")
    assert entry.actor == manager and entry.family == guardian_a.family
    assert entry.after == {"name": "Tablette", "reason": "account.email_changed"}
