"""Places (issue 7): allocating scarce places at two sizes, and a waiting line taking a freed
place, short and long.

    make places-bench          # or: .venv/bin/python benchmarks/places.py --families 50

Drops and creates its own PostgreSQL database for each part (benchmarks/_placesdata.py writes
the data). Allocation, for N families (default 50, see the README) and then 10 N: the floor
(one SQL query reading every wish with its request and child, best of three),
`places.actions.propose` (best of three, with its SQL queries) and `places.actions.confirm`
(once). Waiting lines: one cancellation (`bookings.actions.cancel`, which gives the place to the
line in its transaction) on days with a line of 10 and days with a line of 1,000, alternately,
median of each and its SQL queries. Last line: one JSON object; read the ratios, not the times
(a shared machine). Goals: 10 times the data costing at most 11 times the time; the queries of
`propose` and of a cancellation not growing with the data.
"""

import argparse
import datetime
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _rushdata as db  # noqa: E402


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--scale", type=int, default=10, help="the second size, in times N")
    parser.add_argument("--short-line", type=int, default=10)
    parser.add_argument("--long-line", type=int, default=1000)
    parser.add_argument("--cancellations", type=int, default=20, help="per line length")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/marmots_places"
    )
    return parser.parse_args()


def setup(url):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.rush_settings",
            "DATABASE_URL": url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "MARMOTS_VAR_DIR": "/tmp/marmots-places-bench",
        }
    )
    import django

    django.setup()


class Queries:
    """Counts the SQL statements sent while active (`connection.execute_wrapper`)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(function):
    """(seconds, SQL statements, result) of one call."""
    from django.db import connection

    queries = Queries()
    with connection.execute_wrapper(queries):
        start = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - start
    return seconds, queries.count, result


def fresh(url):
    from django.db import connection

    connection.close()
    db.recreate(url)
    db.migrate({**os.environ, "PYTHONPATH": str(ROOT)})


def analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


FLOOR_SQL = """
SELECT w.id, w.slot_id, w.date, w.preference, r.id, r.family_id, r.created_at,
       r.declares_working, r.declares_special_needs, c.id, c.birth_date, c.pai
FROM places_allocationwish w
JOIN places_allocationrequest r ON r.id = w.request_id
JOIN families_child c ON c.id = w.child_id
WHERE r.allocation_id = %s AND r.status = 'active'
ORDER BY r.id, w.date, w.child_id
"""


def floor(allocation):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [allocation.pk])
        return len(cursor.fetchall())


def over_places(camp):
    """Slot-days where the bookings exceed the places or an age group's places."""
    from marmots.activities.models import AgeGroupCapacity
    from marmots.bookings.models import Booking
    from marmots.bookings.rules import age_on

    groups = list(AgeGroupCapacity.objects.filter(slot=camp.slot))
    ages = {}
    rows = Booking.objects.filter(slot=camp.slot, status=Booking.BOOKED)
    for day, born in rows.values_list("date", "child__birth_date"):
        ages.setdefault(day, []).append(age_on(born, day))
    over = 0
    for held in ages.values():
        if len(held) > camp.places or any(
            sum(1 for a in held if g.min_age <= a <= g.max_age) > g.capacity for g in groups
        ):
            over += 1
    return over


def measure_allocation(families, url):
    from benchmarks import _placesdata as data
    from marmots.places import actions
    from marmots.places.models import AllocationWish

    fresh(url)
    started = time.perf_counter()
    camp = data.build_allocation(families)
    analyze()
    built = time.perf_counter() - started
    allocation = camp.allocation
    wishes = AllocationWish.objects.filter(request__allocation=allocation)
    floor_s = min(timed(lambda: floor(allocation))[0] for _ in range(3))
    now = data.ALLOCATE_AT
    proposals = [
        timed(lambda: actions.propose(camp.manager, allocation, now=now)) for _ in range(3)
    ]
    propose_s = min(p[0] for p in proposals)
    view = proposals[-1][2]
    confirm_s, confirm_queries, _ = timed(
        lambda: actions.confirm(camp.manager, allocation, now=now)
    )
    outcomes = dict.fromkeys([AllocationWish.BOOKED, AllocationWish.WAITLISTED, "refused"], 0)
    for outcome in wishes.values_list("outcome", flat=True):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    result = {
        "families": families,
        "requests": len(view.requests),
        "wishes": wishes.count(),
        "days": len(camp.days),
        "places_per_day": camp.places,
        "granted": sum(d.granted for d in view.days),
        "build_s": round(built, 1),
        "floor_s": round(floor_s, 4),
        "propose_s": round(propose_s, 3),
        "propose_queries": [p[1] for p in proposals],
        "propose_to_floor": round(propose_s / floor_s, 1),
        "confirm_s": round(confirm_s, 2),
        "confirm_queries": confirm_queries,
        "booked": outcomes[AllocationWish.BOOKED],
        "waitlisted": outcomes[AllocationWish.WAITLISTED],
        "refused": outcomes["refused"],
        "overbooked_days": over_places(camp),
    }
    print(json.dumps(result), flush=True)
    return result


def measure_lines(args):
    from benchmarks import _placesdata as data
    from marmots.bookings import actions
    from marmots.bookings.models import WaitlistEntry

    fresh(args.database_url)
    sizes = [args.short_line, args.long_line] * args.cancellations  # alternately
    camp, holders = data.build_lines(sizes)
    analyze()
    times = {args.short_line: [], args.long_line: []}
    queries = {args.short_line: set(), args.long_line: set()}
    served = 0
    for i, (day, size) in enumerate(zip(camp.days, sizes, strict=True)):
        user, (child,) = holders[day]
        change = actions.Change(child, camp.slot, day)
        now = data.CANCEL_AT + datetime.timedelta(minutes=i)
        seconds, count, outcomes = timed(lambda: actions.cancel(user, [change], now=now))  # noqa: B023
        if outcomes[0].code != actions.CANCELLED:
            raise SystemExit(f"the cancellation was refused: {outcomes[0].message}")
        times[size].append(seconds)
        queries[size].add(count)
        served += WaitlistEntry.objects.filter(
            slot=camp.slot, date=day, status=WaitlistEntry.OFFERED
        ).count()
    short, long = (statistics.median(times[s]) for s in (args.short_line, args.long_line))
    result = {
        "short_line": args.short_line,
        "long_line": args.long_line,
        "cancellations": args.cancellations,
        "offers_made": served,
        "cancel_ms_short": round(short * 1000, 1),
        "cancel_ms_long": round(long * 1000, 1),
        "long_to_short": round(long / short, 2),
        "cancel_queries_short": sorted(queries[args.short_line]),
        "cancel_queries_long": sorted(queries[args.long_line]),
    }
    print(json.dumps(result), flush=True)
    return result


def main():
    args = arguments()
    setup(args.database_url)
    small = measure_allocation(args.families, args.database_url)
    large = measure_allocation(args.families * args.scale, args.database_url)
    lines = measure_lines(args)
    small_s = small["propose_s"] + small["confirm_s"]
    large_s = large["propose_s"] + large["confirm_s"]
    data_growth = large["wishes"] / small["wishes"]  # about the scale (random family sizes)
    summary = {
        "n": small["families"],
        "n_large": large["families"],
        "data_growth": round(data_growth, 2),
        "time_growth": round(large_s / small_s, 2),
        "propose_growth": round(large["propose_s"] / small["propose_s"], 2),
        "confirm_growth": round(large["confirm_s"] / small["confirm_s"], 2),
        "floor_growth": round(large["floor_s"] / small["floor_s"], 2),
        "propose_to_floor": small["propose_to_floor"],
        "propose_to_floor_large": large["propose_to_floor"],
        "propose_queries": small["propose_queries"][-1],
        "propose_queries_large": large["propose_queries"][-1],
        "confirm_queries": small["confirm_queries"],
        "confirm_queries_large": large["confirm_queries"],
        "overbooked_days": small["overbooked_days"] + large["overbooked_days"],
        "refused": small["refused"] + large["refused"],
        "cancel_ms_short": lines["cancel_ms_short"],
        "cancel_ms_long": lines["cancel_ms_long"],
        "line_long_to_short": lines["long_to_short"],
        "cancel_queries_short": lines["cancel_queries_short"],
        "cancel_queries_long": lines["cancel_queries_long"],
        "goal_growth_met": large_s / small_s <= data_growth * 1.1,
        "goal_propose_queries_flat": large["propose_queries"][-1] == small["propose_queries"][-1],
        "goal_line_queries_flat": lines["cancel_queries_long"] == lines["cancel_queries_short"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
