"""How the pricing function finds a price: quotient brackets and their edges, an unknown or
expired quotient, effort rates, ranks, residence, validity dates, missing tariffs,
memberships and third-party aids."""

import datetime

import pytest

from marmots.billing.facts import AidRule, MembershipDue, PriceRow
from marmots.billing.pricing import price_and_findings, price_month, quotient_note

from .pricing_facts import (
    ACTIVITIES,
    CHILDREN,
    DEMO,
    EVENING,
    HOLIDAY,
    HOLIDAY_MONDAY,
    LEA,
    MONDAY,
    MORNING,
    TOM,
    WEDNESDAY,
    WEDNESDAY_ACT,
    D,
    brackets,
    family,
    find,
    price,
    session,
    tariff,
    text,
)


def _evening(quotient, child=LEA, **fields):
    """The attendance line of a no-show on the whole evening (4 half-hours)."""
    fam = family(quotient, **fields)
    lines = price(session(EVENING, MONDAY, 21, 22, 23, child=child), fam=fam)
    return lines[0]


@pytest.mark.parametrize(
    "quotient, unit_price, bracket",
    [
        (0, "0.60", "0-650"),
        (650, "0.60", "0-650"),
        (651, "0.90", "651-1150"),
        (1150, "0.90", "651-1150"),
        (1151, "1.20", "1151 et plus"),
        (9999, "1.20", "1151 et plus"),
    ],
)
def test_quotient_brackets_and_their_edges(quotient, unit_price, bracket):
    line = _evening(quotient)
    assert (line.unit_price, line.amount) == (D(unit_price), 4 * D(unit_price))
    assert (line.quotient, line.bracket) == (quotient, bracket)
    assert f"(QF {quotient}, tranche {bracket})" in text(line)


def test_unknown_quotient_takes_the_maximal_tariff_and_says_so():
    line = _evening(None)
    assert (line.unit_price, line.quotient, line.bracket) == (D("1.20"), None, "1151 et plus")
    assert "(QF non fourni : tarif maximal, tranche 1151 et plus) = 4,80 €" in text(line)
    expired = _evening(None, quotient_missing="QF expiré le 31/08/2026")
    assert "(QF expiré le 31/08/2026 : tarif maximal, tranche 1151 et plus)" in text(expired)


def test_unknown_quotient_with_a_fallback_quotient():
    line = _evening(None, fallback_quotient=980)
    assert (line.unit_price, line.quotient, line.bracket) == (D("0.90"), 980, "651-1150")
    assert "(QF non fourni : QF 980 retenu, tranche 651-1150)" in text(line)


def test_a_single_price_does_not_mention_the_quotient():
    lines = price(session(EVENING, MONDAY, 21), fam=family(None))
    assert text(lines[1]) == "Goûter (séance facturée) : 1 séance x 0,50 € = 0,50 €"


def test_quotient_note_and_finding():
    assert quotient_note(family(540)) == ""
    assert quotient_note(family(None)) == "QF non fourni : tarif maximal appliqué"
    expired = family(None, quotient_missing="QF expiré le 31/08/2026", fallback_quotient=1200)
    assert quotient_note(expired) == "QF expiré le 31/08/2026 : tarif du QF 1200 appliqué"
    [finding] = find(session(EVENING, MONDAY, 21, present=True), fam=family(None))
    assert (finding.kind, finding.message) == ("quotient", "QF non fourni : tarif maximal appliqué")
    assert find(fam=family(None)) == [finding]  # once per family, even without sessions


EFFORT = tariff(
    130, method="effort_rate", rate=D("0.0027"), qf_floor=200, qf_ceiling=2500, activity_id=2
)


@pytest.mark.parametrize(
    "quotient, unit_price, note",
    [
        (540, "1.46", "(QF 540 x 0,0027, taux d'effort)"),  # 1.458
        (100, "0.54", "(QF 100, plancher 200 x 0,0027, taux d'effort)"),
        (200, "0.54", "(QF 200 x 0,0027, taux d'effort)"),
        (3000, "6.75", "(QF 3000, plafond 2500 x 0,0027, taux d'effort)"),
        (None, "6.75", "(QF non fourni : tarif maximal, plafond 2500 x 0,0027, taux d'effort)"),
    ],
)
def test_effort_rate_between_floor_and_ceiling(quotient, unit_price, note):
    [line] = price(session(EVENING, MONDAY, 21, 22, 23), fam=family(quotient), tariffs=(EFFORT,))
    assert (line.unit_price, line.amount) == (D(unit_price), 4 * D(unit_price))
    assert (line.bracket, line.quotient) == ("taux d'effort", quotient)
    assert f"4 demi-heures x {unit_price.replace('.', ',')}\u00a0€ {note}" in line.explanation


def test_effort_rate_with_a_fallback_quotient():
    fam = family(None, fallback_quotient=1000)
    [line] = price(session(EVENING, MONDAY, 21), fam=fam, tariffs=(EFFORT,))
    assert (line.unit_price, line.quotient) == (D("2.70"), 1000)


RANKED = tariff(
    140,
    activity_id=2,
    prices=brackets("0.60", "0.90", "1.20")
    + tuple(
        PriceRow(r.qf_min, r.qf_max, r.amount - D("0.10"), min_rank=2)
        for r in brackets("0.60", "0.90", "1.20")
    ),
)


def test_prices_by_rank_among_siblings():
    lines = price(
        session(EVENING, MONDAY, 22),
        session(EVENING, MONDAY, 22, child=TOM),
        tariffs=(RANKED,),
    )
    assert [(x.child_id, x.unit_price) for x in lines] == [(1, D("0.60")), (2, D("0.50"))]
    assert "(QF 540, tranche 0-650, 2e enfant)" in text(lines[1])


def test_resident_and_non_resident_prices():
    rows = (
        PriceRow(0, None, D("1.00")),
        PriceRow(0, None, D("0.80"), residence="resident"),
    )
    flat = tariff(150, activity_id=2, prices=rows)
    resident = price(session(EVENING, MONDAY, 22), fam=family(resident=True), tariffs=(flat,))
    outsider = price(session(EVENING, MONDAY, 22), fam=family(), tariffs=(flat,))
    assert (resident[0].unit_price, outsider[0].unit_price) == (D("0.80"), D("1.00"))
    assert "(résident)" in text(resident[0])
    rows += (PriceRow(0, None, D("1.50"), residence="non_resident"),)
    three = tariff(151, activity_id=2, prices=rows)
    outsider = price(session(EVENING, MONDAY, 22), fam=family(), tariffs=(three,))
    assert outsider[0].unit_price == D("1.50") and "(non-résident)" in text(outsider[0])


def test_a_price_change_mid_month():
    old = tariff(
        160, activity_id=1, prices=brackets("0.60"), valid_until=datetime.date(2026, 11, 15)
    )
    new = tariff(
        161, activity_id=1, prices=brackets("0.70"), valid_from=datetime.date(2026, 11, 16)
    )
    lines = price(
        session(MORNING, datetime.date(2026, 11, 13), 11),
        session(MORNING, datetime.date(2026, 11, 16), 11),
        tariffs=(old, new),
    )
    assert [(x.tariff_id, x.amount) for x in lines] == [(160, D("0.60")), (161, D("0.70"))]


def test_no_tariff_bills_nothing_and_is_found():
    s = session(HOLIDAY, HOLIDAY_MONDAY, 41, present=True)
    tariffs = [x for x in DEMO if x.activity_id != HOLIDAY.id]
    assert price(s, tariffs=tariffs) == []
    [finding] = find(s, tariffs=tariffs)
    assert finding.kind == "no_tariff"
    assert finding.message == (
        "Léa, Accueil de loisirs, lundi 21/12/2026 : aucun tarif de présence valable ce jour-là : "
        "rien n'est facturé"
    )
    assert (finding.child_id, finding.activity_id, finding.day) == (1, 4, HOLIDAY_MONDAY)
    # before its validity
    early = session(HOLIDAY, datetime.date(2026, 8, 31), 41, present=True)
    assert price(early) == [] and [x.kind for x in find(early)] == ["no_tariff"]
    # findings() without tariffs checks only the sessions
    assert find(s, tariffs=None) == []


def test_a_gap_in_the_brackets_bills_nothing_and_is_found():
    gap = tariff(170, activity_id=1, prices=(PriceRow(0, 650, D("0.60")),))
    s = session(MORNING, MONDAY, 11, present=True, arrival=datetime.time(7))
    assert price(s, fam=family(800), tariffs=(gap,)) == []
    [finding] = find(s, fam=family(800), tariffs=(gap,))
    assert "le tarif « Tarif » n'a pas de prix pour cette famille" in finding.message


def test_a_slot_without_tariff_is_found_and_the_others_billed():
    tariffs = [x for x in DEMO if x.id != 107]  # no lunch tariff
    s = session(WEDNESDAY_ACT, WEDNESDAY, 31, 32, present=True)
    assert [x.amount for x in price(s, tariffs=tariffs)] == [D(4)]
    [finding] = find(s, tariffs=tariffs)
    assert "aucun tarif de présence pour le créneau repas" in finding.message


def test_a_slot_tariff_wins_over_an_activity_wide_one():
    wide = tariff(180, unit="slot", activity_id=3, prices=brackets("5.00"))
    tariffs = (*DEMO, wide)
    s = session(WEDNESDAY_ACT, WEDNESDAY, 31, 32, 33)
    assert [x.tariff_id for x in price(s, tariffs=tariffs)] == [106, 107, 108]
    assert [x.tariff_id for x in price(s, tariffs=(wide,))] == [180, 180, 180]


def test_memberships_come_first():
    dues = [
        MembershipDue("2026-2027", MONDAY, child_id=TOM.id),
        MembershipDue("2026-2027", MONDAY, child_id=LEA.id),
    ]
    lines = price(session(EVENING, MONDAY, 22), memberships=dues)
    assert [(x.kind, x.child_id) for x in lines] == [
        ("membership", 1),
        ("membership", 2),
        ("attendance", 1),
        ("extra", 1),  # the snack, with every billed evening session
    ]
    assert text(lines[0]) == "Adhésion 2026-2027 (Léa) : 20,00 €"
    assert lines[0].label == "Adhésion 2026-2027 – Léa"
    assert (lines[0].amount, lines[0].tariff_id) == (D(20), 110)
    family_due = MembershipDue("2026-2027", MONDAY)
    assert price(memberships=[family_due]) == []  # no per-family tariff
    [finding] = find(memberships=[family_due])
    assert finding.kind == "no_tariff" and "Adhésion 2026-2027 (famille)" in finding.message
    per_family = tariff(190, "membership", "family_year", "Adhésion", brackets("30.00"))
    [line] = price(memberships=[family_due], tariffs=(per_family,))
    assert (line.child_id, line.amount, text(line)) == (
        None,
        D(30),
        "Adhésion 2026-2027 (famille) : 30,00 €",
    )


def _holidays(*days, child=LEA):
    return [
        session(HOLIDAY, datetime.date(2026, 12, d), 41, present=True, child=child) for d in days
    ]


CAF = AidRule(
    1,
    payer="CAF de la Haute-Savoie",
    label="Aide aux vacances",
    activity_ids=frozenset({HOLIDAY.id}),
    method="per_unit",
    valid_from=datetime.date(2026, 12, 1),
    valid_until=datetime.date(2026, 12, 31),
    amount=D("6.00"),
)


def test_aid_per_unit():
    lines = price(*_holidays(21, 22, 23), session(EVENING, MONDAY, 21), aids=[CAF])
    aid = lines[-1]
    assert (aid.kind, aid.quantity, aid.unit_price, aid.amount) == ("aid", D(3), D(-6), D(-18))
    assert (aid.aid_id, aid.child_id, aid.activity_id, aid.day) == (1, 1, None, None)
    assert text(aid) == (
        "Aide aux vacances (CAF de la Haute-Savoie) : 3 jours x 6,00 € = -18,00 €, "
        "à réclamer par la structure"
    )
    assert aid.label == "Aide aux vacances (CAF de la Haute-Savoie) – Léa"


def test_aid_per_unit_is_capped_at_what_is_billed():
    generous = AidRule(**{**CAF.__dict__, "amount": D("15.00")})
    [_, aid] = price(*_holidays(21), aids=[generous])
    assert (aid.quantity, aid.unit_price, aid.amount) == (D(1), D(-12), D(-12))
    assert "1 jour x 15,00 € = 15,00 €, plafonnée au montant facturé : -12,00 €" in text(aid)


def test_aid_percent_child_and_validity():
    works_council = AidRule(
        2,
        payer="CE Somfy",
        label="Aide du comité d'entreprise",
        activity_ids=frozenset({HOLIDAY.id}),
        method="percent",
        valid_from=datetime.date(2026, 12, 1),
        valid_until=datetime.date(2026, 12, 22),
        child_id=TOM.id,
        percent=D("50.00"),
    )
    lines = price(*_holidays(21, 22), *_holidays(21, 22, 23, child=TOM), aids=[works_council])
    aid = lines[-1]
    assert (aid.child_id, aid.amount) == (TOM.id, D("-12.00"))  # 50 % of 2 days at 12,00 €
    assert "Aide du comité d'entreprise (CE Somfy) : 50 % de 24,00 € = -12,00 €" in text(aid)
    assert [x.kind for x in lines].count("aid") == 1


def test_two_aids_never_pay_more_than_the_lines_cost():
    half = AidRule(**{**CAF.__dict__, "id": 3, "method": "percent", "amount": None})
    half = AidRule(**{**half.__dict__, "percent": D("75")})
    [_, caf, other] = price(*_holidays(21), aids=[CAF, half])
    assert (caf.amount, other.amount) == (D(-6), D(-6))
    assert "75 % de 12,00 € = 9,00 €, plafonnée au reste à payer : -6,00 €" in text(other)


def test_an_aid_for_a_child_with_nothing_billed_deducts_nothing():
    # Tom has an aid but nothing billed this month: the family's children are Léa's alone.
    for_tom = AidRule(**{**CAF.__dict__, "id": 4, "child_id": TOM.id})
    lines = price_month(family(), {LEA.id: LEA}, ACTIVITIES, _holidays(21), DEMO, [for_tom, CAF])
    assert [(x.kind, x.child_id, x.amount) for x in lines] == [
        ("attendance", LEA.id, D(12)),
        ("aid", LEA.id, D(-6)),
    ]


def test_price_and_findings_in_one_pass():
    month = [session(HOLIDAY, HOLIDAY_MONDAY, 41), session(EVENING, MONDAY, present=True)]
    tariffs = [x for x in DEMO if x.activity_id != HOLIDAY.id]
    fam = family(None)
    lines, found = price_and_findings(fam, CHILDREN, ACTIVITIES, month, tariffs)
    assert lines == price(*month, fam=fam, tariffs=tariffs)
    assert found == find(*month, fam=fam, tariffs=tariffs)
    assert [x.kind for x in found] == ["quotient", "unbooked", "no_show", "no_tariff"]
