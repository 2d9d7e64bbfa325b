"""What the two journeys of issue 7 (waiting list, allocation) share: a page per person (each
its own browser context, closed even when a journey fails half-way), logging in, and reading
the e-mails the real SMTP server on loopback received."""

import re
import time

import pytest

from tests import factories as f
from tests.browser.test_billing_journey import fits_the_screen, flat, new_page

__all__ = ["fits_the_screen", "flat"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(name="open_page")
def open_page_fixture(browser, live_server, settings):
    """`open_page(viewport)`: a new browser context (its own session). The e-mails' links
    point at the live server."""
    settings.SITE_URL = live_server.url
    contexts = []

    def open_one(viewport=PHONE):
        page = new_page(browser, live_server, viewport)
        contexts.append(page.context)
        return page

    yield open_one
    for context in contexts:
        context.close()


def fill_login(page, email, landing):
    """On the login page (opened, or where a link sent us): e-mail, password, then `landing`."""
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(f.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(landing))


def log_in(page, email, landing=r"/portail/$"):
    page.goto(page.base_url + "/compte/connexion/")
    fill_login(page, email, landing)


def mails_to(received, email, count=1, timeout=5):
    """The messages the SMTP server received for `email`, once `count` of them arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in received if email in m["To"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def body_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()
