"""Third-party aids (CAF holiday aid, works council): negative lines after the others, to be
claimed from the payer by the structure. Pure: no database."""

from decimal import Decimal

from . import pricing_explain as explain
from .facts import Line
from .money import ZERO, fr_money, money
from .pricing_tariffs import fr_number

AID = "aid"
ELIGIBLE = ("attendance", "extra", "unbooked")
HOLIDAY = "holiday"


def aid_lines(aids, children, activities, lines):
    """One negative line per aid and child with eligible lines: an amount per billed session
    or a percentage of the eligible lines, never more than what is left of them to pay (two
    aids on the same lines never pay more than the lines cost)."""
    left = {index: line.amount for index, line in enumerate(lines)}
    result = []
    for aid in aids:
        if aid.child_id is not None:
            child_ids = [aid.child_id]
        else:
            child_ids = sorted(children, key=lambda cid: (children[cid].rank, cid))
        for child_id in child_ids:
            if child_id not in children:  # nothing billed for this child this month
                continue
            eligible = [i for i, line in enumerate(lines) if _eligible(aid, child_id, line)]
            line = _aid_line(aid, children[child_id], activities, lines, eligible, left)
            if line is not None:
                result.append(line)
    return result


def _eligible(aid, child_id, line):
    return (
        line.kind in ELIGIBLE
        and line.child_id == child_id
        and line.activity_id in aid.activity_ids
        and aid.valid_from <= line.day <= aid.valid_until
    )


def _consume(eligible, left, value):
    for i in eligible:
        take = min(left[i], value)
        left[i] -= take
        value -= take


def _aid_line(aid, child, activities, lines, eligible, left):
    base = sum((lines[i].amount for i in eligible), ZERO)
    remaining = sum((left[i] for i in eligible), ZERO)
    if remaining <= 0:
        return None
    if aid.method == "percent":
        gross = money(base * aid.percent / 100)
        calc = f"{fr_number(aid.percent)} % de {fr_money(base)} = "
        quantity, unit_price = Decimal(1), -gross
    else:
        sessions = {(lines[i].day, lines[i].activity_id) for i in eligible}
        count = len(sessions)
        holiday = all(activities[a].kind == HOLIDAY for _, a in sessions)
        word = explain.UNITS["day" if holiday else "session"][0 if count == 1 else 1]
        gross = money(count * aid.amount)
        calc = f"{count} {word} x {fr_money(aid.amount)} = "
        quantity, unit_price = Decimal(count), -aid.amount
    if gross <= remaining:
        calc += fr_money(-gross)
    else:
        cap = "au montant facturé" if remaining == base else "au reste à payer"
        calc += f"{fr_money(gross)}, plafonnée {cap} : {fr_money(-remaining)}"
        quantity, unit_price = Decimal(1), -remaining
    amount = money(quantity * unit_price)
    _consume(eligible, left, -amount)
    name = f"{aid.label} ({aid.payer})"
    return Line(
        kind=AID,
        label=f"{name} – {child.first_name}",
        explanation=f"{name} : {calc}, à réclamer par la structure",
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        child_id=child.id,
        aid_id=aid.id,
    )
