from tests.browser.conftest import assert_accessible


def test_public_home_in_chromium_is_accessible(page, structure):
    page.goto(page.base_url + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Portail Famille")
    assert_accessible(page)
