"""R1 in Chromium: the link e-mailed to a new guardian sets the password, once."""

import re

from marmots.accounts.links import send_account_link
from marmots.accounts.tests.helpers import link_in
from tests import factories as f
from tests.browser.conftest import assert_accessible

NEW_PASSWORD = "Col-de-la-Ramaz-1619"  # noqa: S105


def test_a_guardian_sets_the_password_from_the_emailed_link_once(
    page, live_server, settings, smtp_server, family_a, manager
):
    settings.SITE_URL = live_server.url
    user = f.GuardianFactory(family=family_a, user__email="ines.martin@example.org").user
    user.set_unusable_password()
    user.save()

    send_account_link(user, "init", actor=manager)
    url = link_in(smtp_server[0])

    page.goto(url)
    assert page.url.endswith("/choisir/")  # the token left the address bar
    assert page.get_by_role("heading", level=1).inner_text() == "Choisissez votre mot de passe"
    assert_accessible(page)
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Le même mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()

    page.wait_for_url(re.compile(r"/portail/$"))
    assert "Votre mot de passe est enregistré" in page.locator(".messages").inner_text()
    assert_accessible(page)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    page.context.clear_cookies()
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == "Ce lien a déjà été utilisé"
    assert_accessible(page)

    page.get_by_role("link", name="Recevoir un nouveau lien").click()
    assert_accessible(page)
    page.get_by_label("Adresse e-mail").fill("ines.martin@example.org")
    page.get_by_role("button", name="Recevoir un lien").click()
    page.wait_for_url(re.compile(r"/mot-de-passe-oublie/envoye/$"))
    assert "Si un compte existe pour cette adresse" in page.content()
    assert_accessible(page)
    assert len(smtp_server) == 2
    assert "/compte/lien/reset/" in link_in(smtp_server[1])


def test_the_login_and_an_expired_or_wrong_link_pages_are_accessible(page, structure):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_role("button", name="Se connecter").click()
    assert "Indiquez votre adresse e-mail." in page.content()
    assert_accessible(page)
    page.get_by_label("Adresse e-mail").fill("inconnu@example.org")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    assert "Adresse e-mail ou mot de passe incorrect." in page.get_by_role("alert").inner_text()
    assert_accessible(page)

    page.goto(page.base_url + "/compte/lien/init/MQ/abc-123/")
    assert page.get_by_role("heading", level=1).inner_text() == "Ce lien n'est pas valable"
    assert_accessible(page)
