"""The opening rush: N families log in and book the same few holiday days at once, over HTTP.

    make rush            # or: .venv/bin/python benchmarks/rush.py --families 1000 --clients 50

Drops and creates its own PostgreSQL database, migrates it, builds the families, starts gunicorn
and runs C client threads: log in (API token), then book (POST /api/v1/bookings), most of them
on the first two days. Then the same booking transaction in raw SQL (the floor), the calendar
page against a bare page, and what one request costs in queries. Last line: one JSON object.
See benchmarks/README.md for how to read it.
"""

import argparse
import itertools
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _rushclient as web  # noqa: E402
from benchmarks import _rushdata as data  # noqa: E402

# The smallest HTML page of ours for a logged-in family: middleware, session and user, base
# template, no domain query. /api/v1/health (no session, no template) is measured too.
SMALL_PAGE = "/compte/connexion/"


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, help="booking requests (default 3 per family)")
    parser.add_argument("--duration", type=float, help="book for this many seconds instead")
    parser.add_argument("--places", type=int, default=48, help="places per day")
    parser.add_argument("--days", type=int, default=10, help="days of the holiday period")
    parser.add_argument("--page-seconds", type=float, default=10.0)
    parser.add_argument(
        "--hot-share", type=float, default=0.7, help="share of bookings on the first two days"
    )
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument(
        "--worker-connections",
        type=int,
        help="keep-alive connections per worker (default: the clients spread evenly)",
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/marmots_rush")
    return parser.parse_args()


def environment(args, var_dir):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.rush_settings",
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "CONN_MAX_AGE": "600",
        "MARMOTS_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(args, env, var_dir):
    """gunicorn on a free port: gthread workers, keep-alive connections spread evenly (left to
    itself, one worker may accept most of the 50 long-lived connections and compute on one
    core while the others idle)."""
    port = free_port()
    spread = args.worker_connections or -(-args.clients // args.workers) + 1
    log = open(var_dir / "gunicorn.log", "w")  # the process keeps it open until it ends
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--chdir", str(ROOT), "--bind", f"127.0.0.1:{port}",
        "--worker-class", args.worker_class, "--workers", str(args.workers),
        "--threads", str(args.threads), "--keep-alive", "60", "--backlog", "2048",
        "--worker-connections", str(spread),
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = web.Client(port)
    for _ in range(300):
        if client.request("GET", "/api/v1/health")[0] == 200:
            client.close()
            return process, port
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"gunicorn did not start; see {var_dir / 'gunicorn.log'}")


def booking_items(args, plan):
    """Per client thread: [(family, day)]. Each family is one client's and asks for three days
    in turn, most of them among the first two days of the period."""
    rng = random.Random(7)
    share = min(args.hot_share, 0.99)
    hot = max(share / (1 - share) * (len(plan.days) - 2) / 2, 1e-9)
    weights = [hot, hot] + [1] * (len(plan.days) - 2)
    items = []
    for index, family in enumerate(plan.families):
        days = set()
        while len(days) < min(3, len(plan.days)):
            days.add(rng.choices(plan.days, weights)[0])
        items += [(index, family, day) for day in sorted(days, key=plan.days.index)]
    shares = [[] for _ in range(args.clients)]
    for position in range(args.requests or len(items)):
        index, family, day = items[position % len(items)]
        shares[index % args.clients].append((family, day))
    return shares


def web_rush(args, port, plan, shares, probe):
    """Log every family in, then book over HTTP: (logins, bookings, acknowledged booking ids)."""

    def work(index, ready):
        client, tokens, logins = web.Client(port), {}, []
        started = time.perf_counter()
        for family, _ in shares[index]:
            if family.email not in tokens:
                token, seconds, status = web.login_token(client, family.email, data.PASSWORD)
                tokens[family.email] = token
                logins.append((seconds, status))
        client.close()
        login_seconds = time.perf_counter() - started
        ready.wait()
        booked = book_over_http(client, tokens, shares[index], plan, args.duration)
        return logins, login_seconds, booked

    results, seconds, cpu = web.run_threads(args.clients, work, probe)
    logins = [sample for result in results for sample in result[0]]
    login_seconds = max(result[1] for result in results)
    samples = [s for result in results for s in result[2][0]]
    acked = [i for result in results for i in result[2][1]]
    return web.summary(logins, login_seconds), web.summary(samples, seconds, cpu), acked


def in_turn(items, duration):
    """The items once each; with a duration, over and over until it has passed."""
    if not duration:
        yield from items
        return
    stop = time.perf_counter() + duration
    for item in itertools.cycle(items):
        if time.perf_counter() >= stop:
            return
        yield item


def book_over_http(client, tokens, items, plan, duration):
    samples, acked = [], []
    for family, day in in_turn(items, duration):
        change = {"child_id": family.child_id, "slot_id": plan.slot_id, "date": day.isoformat()}
        status, body, seconds = client.post_json(
            "/api/v1/bookings", {"changes": [{**change, "with_apc": False}]}, tokens[family.email]
        )
        samples.append((seconds, status))
        if 200 <= status < 300:
            outcomes = json.loads(body)["outcomes"]
            acked += [o["booking_id"] for o in outcomes if o.get("booking_id")]
    return samples, acked


def floor_rush(args, plan, shares, probe):
    """The same booking transactions in raw SQL, one psycopg connection per client thread."""
    import psycopg

    def work(index, ready):
        samples, acked = [], []
        conn = psycopg.connect(data.dsn(args.database_url))
        ready.wait()
        for family, day in in_turn(shares[index], args.duration):
            started = time.perf_counter()
            booking = data.floor_booking(conn, plan, family, day)
            samples.append((time.perf_counter() - started, 200))
            acked += [booking] if booking else []
        return samples, acked, conn  # closed once the CPU is read: its backend counts

    results, seconds, cpu = web.run_threads(args.clients, work, probe)
    for result in results:
        result[2].close()
    samples = [s for result in results for s in result[0]]
    return web.summary(samples, seconds, cpu), [i for result in results for i in result[1]]


def pages(args, port, plan, probe):
    """The calendar page, a small page and a bare one, each hammered by C logged-in clients."""

    def hammer(path):
        def work(index, ready):
            client = web.Client(port)
            family = plan.families[index % len(plan.families)]
            logged_in = web.login_session(client, family.email, data.PASSWORD)
            ready.wait()
            samples, stop = [], time.perf_counter() + args.page_seconds
            while time.perf_counter() < stop:
                status, _, seconds = client.request("GET", path)
                # The small page answers 200 to anyone: a failed login must still count.
                samples.append((seconds, status if logged_in else 401))
            client.close()
            return samples

        results, seconds, cpu = web.run_threads(args.clients, work, probe)
        return web.summary([s for result in results for s in result], seconds, cpu)

    calendar = hammer(f"/portail/reservations/?mois={plan.month}")
    small = hammer(SMALL_PAGE)
    bare = hammer("/api/v1/health")
    return calendar, small, bare


def request_costs(plan, repeat=20):
    """Queries and in-process milliseconds of one request of each kind, without contention."""
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from marmots.accounts.models import ApiToken, User

    def measure(send):
        reset_queries()  # each request clears the log: start from an empty one
        with CaptureQueriesContext(connection) as queries:
            status = send(0)
        count = len(queries)  # now: the next request clears the log it reads from
        started = time.perf_counter()
        for index in range(1, repeat + 1):
            send(index)
        return count, status, round((time.perf_counter() - started) * 1000 / repeat, 1)

    families = plan.families[-repeat - 1 :]
    tokens = [ApiToken.issue(User.objects.get(pk=f.user_id), "profil")[1] for f in families]
    client = Client()

    def book(index):
        family = families[index]
        change = {"child_id": family.child_id, "slot_id": plan.slot_id, "with_apc": False}
        body = {"changes": [{**change, "date": plan.days[-1].isoformat()}]}
        auth = f"Bearer {tokens[index]}"
        response = client.post(
            "/api/v1/bookings", body, content_type="application/json", HTTP_AUTHORIZATION=auth
        )
        return response.status_code

    booking = measure(book)
    client.force_login(User.objects.get(pk=families[0].user_id))
    path = f"/portail/reservations/?mois={plan.month}"
    calendar = measure(lambda index: client.get(path).status_code)
    small = measure(lambda index: client.get(SMALL_PAGE).status_code)
    bare = measure(lambda index: client.get("/api/v1/health").status_code)
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode(data.PASSWORD, hasher.salt())
    started = time.perf_counter()
    hasher.verify(data.PASSWORD, encoded)
    argon2_ms = round((time.perf_counter() - started) * 1000, 1)
    names = ("queries", "status", "ms")
    return {
        "booking": dict(zip(names, booking, strict=True)),
        "calendar": dict(zip(names, calendar, strict=True)),
        "small_page": dict(zip(names, small, strict=True)),
        "bare_api": dict(zip(names, bare, strict=True)),
        "argon2_verify_ms": argon2_ms,
    }


def ratio(a, b):
    return round(a / b, 3) if b else None


def report(args, logins, rush, checked, floor, floor_checked, pages, costs):
    calendar, small, bare = pages
    figures = {
        "families": args.families,
        "clients": args.clients,
        "places_per_day": args.places,
        "days": args.days,
        "hot_share": args.hot_share,
        "gunicorn": f"{args.worker_class} {args.workers}x{args.threads}",
        "bookings_per_s": rush["per_s"],
        "booking_requests": rush["requests"],
        "booked": checked[2],
        "p50_ms": rush["p50_ms"],
        "p95_ms": rush["p95_ms"],
        "p99_ms": rush["p99_ms"],
        "errors": rush["errors"],
        "errors_5xx": rush["errors_5xx"],
        "overbooked_slot_days": checked[0],
        "acked_missing": checked[1],
        "floor_per_s": floor["per_s"],
        "floor_p95_ms": floor["p95_ms"],
        "cpu_ms_per_floor_booking": floor["cpu_ms"],
        "floor_booked": floor_checked[2],
        "floor_overbooked_slot_days": floor_checked[0],
        "web_to_floor": ratio(rush["per_s"], floor["per_s"]),
        "logins_per_s": logins["per_s"],
        "login_errors": logins["errors"],
        "login_p95_ms": logins["p95_ms"],
        "calendar_per_s": calendar["per_s"],
        "calendar_p95_ms": calendar["p95_ms"],
        "calendar_errors": calendar["errors"],
        "small_page_per_s": small["per_s"],
        "small_page_errors": small["errors"],
        "calendar_to_small_page": ratio(calendar["per_s"], small["per_s"]),
        "bare_api_per_s": bare["per_s"],
        "bare_api_errors": bare["errors"],
        "calendar_to_bare_api": ratio(calendar["per_s"], bare["per_s"]),
        "cpu_ms_per_booking": rush["cpu_ms"],
        "cpu_ms_per_calendar": calendar["cpu_ms"],
        "cpu_ms_per_small_page": small["cpu_ms"],
        "cpu_ms_per_bare_api": bare["cpu_ms"],
        "costs": costs,
    }
    figures["goals"] = {
        "quarter_of_floor": (figures["web_to_floor"] or 0) >= 0.25,
        "p95_under_100ms": rush["p95_ms"] is not None and rush["p95_ms"] < 100,
        "calendar_half_of_small_page": (figures["calendar_to_small_page"] or 0) >= 0.5,
        "no_overbooking_no_loss_no_5xx": checked[0] == checked[1] == rush["errors_5xx"] == 0,
    }
    return figures


def say(*parts):
    print(*parts, flush=True)


def measure(args, plan, shares, process, port):
    """Every phase against the running server: the figures, as report() takes them."""
    probe = lambda: web.cpu_seconds(process.pid)  # noqa: E731
    logins, rush, acked = web_rush(args, port, plan, shares, probe)
    say("== logins:", logins, "\n== web rush:", rush)
    checked = data.check(args.database_url, plan, acked)
    calendar, small, bare = pages(args, port, plan, probe)
    say("== calendar page:", calendar, "\n   small page:", small, "\n   bare API:", bare)
    data.reset_bookings(args.database_url)
    floor, floor_acked = floor_rush(args, plan, shares, probe)
    say("== raw-SQL floor:", floor)
    floor_checked = data.check(args.database_url, plan, floor_acked)
    data.reset_bookings(args.database_url)
    costs = request_costs(plan)
    say("== one request of each kind, in process:", costs)
    return logins, rush, checked, floor, floor_checked, (calendar, small, bare), costs


def main():
    args = arguments()
    var_dir = Path(tempfile.mkdtemp(prefix="marmots-rush-"))
    (var_dir / "static").mkdir()  # STATIC_ROOT: whitenoise warns when it is missing
    env = environment(args, var_dir)
    os.environ.update(env)
    say(f"== database {args.database_url}: drop, create, migrate")
    data.recreate(args.database_url)
    data.migrate(env)
    import django

    django.setup()
    plan = data.build(args.families, args.places, args.days)
    say(f"== {args.families} families; {args.places} places a day, {plan.days[0]}..{plan.days[-1]}")
    shares = booking_items(args, plan)
    process, port = start_gunicorn(args, env, var_dir)
    say(f"== gunicorn {args.worker_class}, {args.workers} workers x {args.threads} threads")
    try:
        figures = report(args, *measure(args, plan, shares, process, port))
    finally:
        process.terminate()
        process.wait(timeout=30)
    shutil.rmtree(var_dir)  # kept when something failed: it holds gunicorn.log
    say(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
