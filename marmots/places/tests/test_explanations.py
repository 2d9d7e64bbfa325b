"""The pages explain how places are given as `proposal.allocate` gives them: by rounds of
preference (every family's first choices, in rank order, before any second choice), brothers and
sisters together; never "in rank order, day by day"."""

import html

from marmots.backoffice.tests.allocation_helpers import (  # noqa: F401 (fixture)
    AFTER_CLOSE,
    DAY1,
    DAY2,
    GESTION,
    OPEN,
    PORTAL,
    clock,
    house_fixture,
)
from marmots.places import actions
from marmots.places.actions import WishInput

ROUNDS = "par tours de préférence"
WRONG = ("jour par jour", "dans cet ordre")


def page(client, url):
    return html.unescape(client.get(url).content.decode())


def test_the_requests_proposal_and_result_pages_explain_the_rounds_of_preference(
    client, house, manager, guardian_a, guardian_b, child_a, child_b
):
    period, camp = house.christmas, house.camp_slot
    actions.save_request(
        guardian_a.user,
        period,
        [WishInput(child_a, camp, DAY1), WishInput(child_a, camp, DAY2, 2)],
        now=OPEN,
    )
    actions.save_request(guardian_b.user, period, [WishInput(child_b, camp, DAY1)], now=OPEN)
    base = f"{GESTION}{period.pk}/"
    client.force_login(manager)
    with clock(AFTER_CLOSE):
        requests = page(client, base)
        actions.propose(manager, period.allocation, now=AFTER_CLOSE)
        proposal = page(client, base + "proposition/")
        actions.confirm(manager, period.allocation, now=AFTER_CLOSE)
        client.force_login(guardian_a.user)
        result = page(client, f"{PORTAL}{period.pk}/")
    for text in (requests, proposal, result):
        assert ROUNDS in text and "premiers choix de toutes les familles" in text
        assert not any(wrong in text for wrong in WRONG)
    assert "frères et sœurs" in result and "Résultat de l'attribution" in result
