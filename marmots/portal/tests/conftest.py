from marmots.families.tests.conftest import (  # noqa: F401  (shared fixtures)
    EXE,
    JPEG,
    PDF,
    PNG,
    insurance,
    vaccinations,
)


def text(response):
    """The page's HTML with entities decoded, to search for French text."""
    import html

    return html.unescape(response.content.decode())
