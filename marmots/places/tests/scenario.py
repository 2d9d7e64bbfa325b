"""Five families asking for overlapping days of the Christmas camp, places made scarce.

Camp places (house: 48, with 16 for the 3-5 year-olds and 32 for the 6-11): lowered here to 3 on
Monday 21/12, 5 on Tuesday 22/12 and 3 on Wednesday 23/12, and the 3-5 group to 2 places. On
23/12 one place is already taken (a child booked by the manager before the allocation).

| family  | children (age)  | criteria (default points)         | score | asked on
| Martin  | Léa 7           | enrolled (evening) 3 + working 2  | 5     | 21, 22, 23
| Bernard | Hugo 7, Zoé 4   | siblings 2 + resident (Mieussy) 2 | 4     | 21, 22 (both)
| Petit   | Tom 4 (PAI)     | special needs 3                   | 3     | 21, 22 (2nd choice), 23
| Durand  | Inès 8          | working 2, asked on 24/11         | 2     | 21, 23
| Moreau  | Nina 5          | working 2, asked on 26/11         | 2     | 22, 23

Ranks: Martin 1, Bernard 2, Petit 3, Durand 4 (tie with Moreau broken by the date), Moreau 5.
"""

import datetime
from dataclasses import dataclass

from marmots.activities.models import AgeGroupCapacity, Period
from marmots.billing.models import BillingSettings
from marmots.bookings import actions as booking_actions
from marmots.bookings.models import SlotDay
from marmots.places import actions
from marmots.places.actions import WishInput
from tests import factories as f
from tests.house import at, enroll

D21, D22, D23 = (datetime.date(2026, 12, d) for d in (21, 22, 23))
D24, D25, D26 = (datetime.date(2026, 12, d) for d in (24, 25, 26))
OPENS = at(datetime.date(2026, 11, 23), 20)
CLOSE = at(datetime.date(2026, 12, 4), 12)
ASKING = at(datetime.date(2026, 11, 25), 10)
AFTER_CLOSE = at(datetime.date(2026, 12, 5), 9)


@dataclass
class Family:
    family: object
    user: object
    children: list


@dataclass
class Scenario:
    house: object
    manager: object
    period: object
    allocation: object
    martin: Family
    bernard: Family
    petit: Family
    durand: Family
    moreau: Family
    outsider: object  # the child already booked on 23/12

    @property
    def camp(self):
        return self.house.camp_slot

    @property
    def families(self):
        return [self.martin, self.bernard, self.petit, self.durand, self.moreau]


def make_family(house, name, children, city=""):
    family = f.FamilyFactory(name=name, structures=[house.structure])
    guardian = f.GuardianFactory(
        family=family,
        city=city,
        user__email=f"{name.lower()}@example.org",
        user__first_name="Parent",
        user__last_name=name,
    )
    kids = []
    for first_name, birth, pai in children:
        child = f.ChildFactory(family=family, first_name=first_name, birth_date=birth, pai=pai)
        enroll(house, child, house.holiday)
        kids.append(child)
    return Family(family, guardian.user, kids)


def scarce(house):
    camp = house.camp_slot
    for day, places in ((D21, 3), (D22, 5), (D23, 3)):
        SlotDay.objects.create(slot=camp, date=day, capacity=places)
    group = AgeGroupCapacity.objects.get(slot=camp, min_age=3)
    group.capacity = 2
    group.save()


def wishes(slot, fam, days, preference=1):
    """WishInputs for every child of `fam` on `days`."""
    return [WishInput(c, slot, day, preference) for day in days for c in fam.children]


def build(house, manager):
    scarce(house)
    BillingSettings.objects.create(structure=house.structure, resident_cities="Mieussy")
    period = house.christmas
    allocation = actions.configure(
        manager, period, mode=Period.ALLOCATION, requests_close_at=CLOSE, now=OPENS
    )
    period.refresh_from_db()
    born = datetime.date
    martin = make_family(house, "Martin", [("Léa", born(2019, 5, 14), False)])
    enroll(house, martin.children[0], house.evening)
    bernard = make_family(
        house,
        "Bernard",
        [("Hugo", born(2019, 3, 2), False), ("Zoé", born(2022, 6, 1), False)],
        city="Mieussy",
    )
    petit = make_family(house, "Petit", [("Tom", born(2022, 2, 1), True)], city="Taninges")
    durand = make_family(house, "Durand", [("Inès", born(2018, 10, 9), False)])
    moreau = make_family(house, "Moreau", [("Nina", born(2021, 9, 1), False)])
    other = make_family(house, "Roux", [("Jules", born(2019, 1, 20), False)])
    camp = house.camp_slot
    (done,) = booking_actions.book(
        manager, [booking_actions.Change(other.children[0], camp, D23)], now=OPENS
    )
    assert done.ok, done.message
    return Scenario(
        house,
        manager,
        period,
        allocation,
        martin,
        bernard,
        petit,
        durand,
        moreau,
        other.children[0],
    )


def ask_all(s):
    """Every family sends its request (Durand before Moreau: the tie-break)."""
    day = datetime.timedelta(days=1)
    camp = s.camp
    actions.save_request(
        s.martin.user,
        s.period,
        wishes(camp, s.martin, [D21, D22, D23]),
        declares_working=True,
        now=ASKING,
    )
    actions.save_request(s.bernard.user, s.period, wishes(camp, s.bernard, [D21, D22]), now=ASKING)
    tom = s.petit.children[0]
    actions.save_request(
        s.petit.user,
        s.period,
        wishes(camp, s.petit, [D21, D23]) + wishes(camp, s.petit, [D22], preference=2),
        now=ASKING,
    )
    actions.save_request(
        s.durand.user,
        s.period,
        wishes(camp, s.durand, [D21, D23]),
        declares_working=True,
        now=ASKING - day,
    )
    actions.save_request(
        s.moreau.user,
        s.period,
        wishes(camp, s.moreau, [D22, D23]),
        declares_working=True,
        now=ASKING + day,
    )
    assert tom.pai
