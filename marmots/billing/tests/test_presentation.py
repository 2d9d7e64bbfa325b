"""Invoice lines grouped per child, the same on the PDF, the back-office and the portal."""

from decimal import Decimal

import pytest

from marmots.billing.models import InvoiceLine
from marmots.billing.presentation import group_lines
from tests import factories as f

from .factories import invoice

pytestmark = pytest.mark.django_db


def test_lines_per_child_in_order_and_the_familys_last(structure, family_a, child_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom", last_name="Martin")
    billed = invoice(
        family_a,
        structure,
        [
            {"label": "Adhésion familiale", "amount": "20.00", "kind": InvoiceLine.MEMBERSHIP},
            {"label": "Tom 03/11", "amount": "1.80", "child": tom},
            {"label": "Léa 02/11", "amount": "2.40", "child": child_a},
            {"label": "Tom 05/11", "amount": "0.60", "child": tom},
        ],
    )

    groups = group_lines(billed.lines.select_related("child"))

    assert [(g.title, [line.label for line in g.lines], g.total) for g in groups] == [
        ("Tom Martin", ["Tom 03/11", "Tom 05/11"], Decimal("2.40")),
        (f"{child_a.first_name} {child_a.last_name}", ["Léa 02/11"], Decimal("2.40")),
        ("Famille", ["Adhésion familiale"], Decimal("20.00")),
    ]
    assert groups[0].child == tom and groups[2].child is None
