"""Read what the tests receive: e-mails from the SMTP test server, pages from the client."""

import html
import re
from urllib.parse import urlsplit

from django.conf import settings

LINK_LINE = re.compile(r"^(https?://\S+/compte/lien/\S+)$", re.MULTILINE)


def plain_text(message):
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_text(message):
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message):
    """The account link of an e-mail: alone on its line in the plain-text part."""
    urls = LINK_LINE.findall(plain_text(message))
    assert len(urls) == 1, plain_text(message)
    assert urls[0].startswith(settings.SITE_URL + "/compte/lien/")
    return urls[0]


def path_of(url):
    return urlsplit(url).path


def page_text(response):
    """The page as a reader sees it (apostrophes unescaped)."""
    return html.unescape(response.content.decode())
