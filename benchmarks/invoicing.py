"""The monthly invoicing run at two sizes, beside one SQL aggregate over the same rows.

    make invoicing-bench          # or: .venv/bin/python benchmarks/invoicing.py --children 5000

For N children (default 5,000) and then 10 N, drops and creates its own PostgreSQL database,
writes a month of bookings and attendance (benchmarks/_invoicedata.py), then times, in the same
run: the floor (one SQL aggregate per child over the month's bookings, events and marks, best
of three), the draft (`actions.start_run`: gather, price, write the invoices and lines) and the
issue (`actions.issue_run`: numbering). Last line: one JSON object. Goals: invoicing (draft +
issue) within 3 times the floor; 10 times the data costing no more than 11 times the time.
"""

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _rushdata as db  # noqa: E402


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--scale", type=int, default=10, help="the second size, in times N")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/marmots_invoicing"
    )
    return parser.parse_args()


def setup(url):
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.invoicing_settings",
            "DATABASE_URL": url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "MARMOTS_VAR_DIR": "/tmp/marmots-invoicing-bench",
        }
    )
    import django

    django.setup()


def best_of(count, function):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(children, url):
    from django.db import connection

    from benchmarks import _invoicedata as data
    from marmots.billing import actions
    from marmots.billing.models import InvoiceLine, InvoicingRun

    connection.close()
    db.recreate(url)
    db.migrate({**os.environ, "PYTHONPATH": str(ROOT)})
    started = time.perf_counter()
    structure = data.build(children)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM bookings_booking),"
            " (SELECT count(*) FROM checkin_checkinevent),"
            " (SELECT count(*) FROM checkin_registermark)"
        )
        bookings, events, marks = cursor.fetchone()
    built = time.perf_counter() - started
    floor = best_of(3, data.floor_query)

    start = time.perf_counter()
    run = actions.start_run(structure, data.MONTH, None)
    drafted = time.perf_counter() - start
    run.refresh_from_db()
    if run.status != InvoicingRun.DRAFTED:
        raise SystemExit(f"the run did not draft: {run.status} {run.error}")
    run.anomalies.update(reviewed_at=run.created_at)
    start = time.perf_counter()
    actions.issue_run(run, None)
    issued = time.perf_counter() - start
    lines = InvoiceLine.objects.filter(invoice__run=run).count()
    invoices = run.invoices.count()
    result = {
        "children": children,
        "bookings": bookings,
        "events": events,
        "marks": marks,
        "invoices": invoices,
        "lines": lines,
        "build_s": round(built, 2),
        "floor_s": round(floor, 4),
        "draft_s": round(drafted, 3),
        "issue_s": round(issued, 3),
        "invoicing_s": round(drafted + issued, 3),
        "invoicing_to_floor": round((drafted + issued) / floor, 1),
    }
    print(json.dumps(result), flush=True)
    return result


def main():
    args = arguments()
    setup(args.database_url)
    small = measure(args.children, args.database_url)
    large = measure(args.children * args.scale, args.database_url)
    growth = large["invoicing_s"] / small["invoicing_s"]
    summary = {
        "n": small["children"],
        "n_large": large["children"],
        "floor_s": small["floor_s"],
        "invoicing_s": small["invoicing_s"],
        "invoicing_to_floor": small["invoicing_to_floor"],
        "floor_s_large": large["floor_s"],
        "invoicing_s_large": large["invoicing_s"],
        "invoicing_to_floor_large": large["invoicing_to_floor"],
        "data_growth": args.scale,
        "time_growth": round(growth, 2),
        "floor_growth": round(large["floor_s"] / small["floor_s"], 2),
        "goal_to_floor_met": small["invoicing_to_floor"] <= 3,
        "goal_growth_met": growth <= args.scale * 1.1,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
