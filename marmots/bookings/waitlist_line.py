"""The places of one slot-day as `waitlist_fill.run` gives them to its line: counted once (the
caller holds the slot-day lock), kept up to date as places are given."""

from . import capacity, deadlines, rules


class Line:
    def __init__(self, slot, slot_day, calendar, now):
        self.slot, self.day = slot, slot_day.date
        self.groups = calendar.age_groups.get(slot.pk, [])
        self.places = capacity.places_on(slot, slot_day)
        self.holders = capacity.held(slot.pk, slot_day.date)
        in_time = calendar.window(now, slot.activity, slot, self.day) == deadlines.FREE
        self.book_now = slot.activity.structure.waitlist_offer_hours == 0 and in_time
        self.enrollments = {}  # {entry id: its enrollment, or None once lapsed}

    def age(self, child):
        return rules.age_on(child.birth_date, self.day)

    def booking_of(self, child):
        return next((b for c, _, b in self.holders if c == child.pk and b is not None), None)

    def release(self, child):
        """The offer of `child` no longer holds a place."""
        self.holders.remove((child.pk, child.birth_date, None))

    def hold(self, child):
        """`child` was just offered (or booked) a place."""
        self.holders.append((child.pk, child.birth_date, None))

    def has_places_for(self, children):
        """True when there is a place for each of `children` at once (age groups included),
        counting the places free now."""
        ages = [rules.age_on(born, self.day) for _, born, _ in self.holders]
        for child in children:
            age = self.age(child)
            error = rules.capacity_error(
                places=self.places, taken=len(ages), age=age, groups=self.groups, taken_ages=ages
            )
            if error is not None:
                return False
            ages.append(age)
        return True

    def could_fit_together(self, children):
        """True when the day's places AS CONFIGURED (not as free now) could ever take all of
        `children` at once: no more of them than the day's places, nor than any age group's
        capacity. When False, waiting for a place for each of them at once would wait forever."""
        if self.places is not None and len(children) > self.places:
            return False
        ages = [self.age(child) for child in children]
        return all(
            sum(1 for a in ages if group.min_age <= a <= group.max_age) <= group.capacity
            for group in self.groups
        )

    def has_group_for(self, child):
        """False when the slot has age groups and none takes `child` that day (the manager
        narrowed them after the child joined): it cannot get a place until they change."""
        return not self.groups or rules.group_for(self.age(child), self.groups) is not None
