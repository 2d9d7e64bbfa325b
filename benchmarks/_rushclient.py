"""What one simulated family does over HTTP (keep-alive, standard library only), and the sums.

`Client` is one keep-alive connection with its own cookies; `login_token` and `login_session`
log a family in through the API or the portal's form; `run_threads` releases worker threads
together and times them; `summary` turns (seconds, status) samples into the figures reported.
"""

import http.client
import json
import math
import re
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Client:
    """One keep-alive HTTP connection; remembers the cookies the server sets."""

    def __init__(self, port, timeout=60):
        self.port, self.timeout = port, timeout
        self.cookies = {}
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes, seconds); status 0 when the connection failed."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, b"", time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.close()
        return response.status, data, time.perf_counter() - started

    def post_json(self, path, payload, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", path, json.dumps(payload).encode(), headers)


def login_token(client, email, password):
    """A bearer token from POST /api/v1/auth/token: (token or None, seconds, status)."""
    status, data, seconds = client.post_json(
        "/api/v1/auth/token", {"email": email, "password": password, "name": "rush"}
    )
    token = json.loads(data)["token"] if status == 201 else None
    return token, seconds, status


def login_session(client, email, password):
    """Log in through the portal's form; True when the session cookie came back."""
    status, page, _ = client.request("GET", "/compte/connexion/")
    match = CSRF_FIELD.search(page)
    if status != 200 or match is None:
        return False
    form = {"email": email, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = client.request("POST", "/compte/connexion/", urlencode(form).encode(), headers)
    return status == 302 and "sessionid" in client.cookies


def run_threads(count, work, probe=lambda: None):
    """Run work(index, ready) in `count` threads; each calls ready.wait() once set up, and the
    clock starts when all have. Returns (results, seconds, (probe() at start, at the end))."""
    ready = threading.Barrier(count + 1)
    results = [None] * count

    def run(index):
        results[index] = work(index, ready)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    ready.wait()
    started, before = time.perf_counter(), probe()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started, (before, probe())


def percentile(sorted_values, share):
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def summary(samples, seconds, cpu=(None, None)):
    """samples: [(seconds, status)] -> requests, per second, latency percentiles, errors, and
    the CPU milliseconds per request when `cpu` holds two cpu_seconds() readings."""
    latencies = sorted(s for s, _ in samples)
    statuses = [status for _, status in samples]

    def ms(share):
        value = percentile(latencies, share)
        return None if value is None else round(value * 1000, 1)

    return {
        "requests": len(samples),
        "per_s": round(len(samples) / seconds, 1) if seconds else 0.0,
        "p50_ms": ms(0.50),
        "p95_ms": ms(0.95),
        "p99_ms": ms(0.99),
        "errors": sum(1 for s in statuses if not 200 <= s < 300),
        "errors_5xx": sum(1 for s in statuses if s >= 500),
        "connection_errors": sum(1 for s in statuses if s == 0),
        "cpu_ms": cpu_per_request(*cpu, len(samples)) if cpu[0] else None,
    }


def cpu_seconds(master_pid):
    """CPU seconds used so far by (gunicorn's master and workers, every PostgreSQL process on
    the machine, this process), read from /proc (Linux)."""
    import os
    from pathlib import Path

    tick = os.sysconf("SC_CLK_TCK")
    app = db = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        pid, ppid = int(stat.parent.name), int(fields[1])
        own = (int(fields[11]) + int(fields[12])) / tick
        if master_pid in (pid, ppid):
            app += own
        elif comm == "postgres":
            # The postmaster also holds the CPU of the backends that have ended.
            ended = (int(fields[13]) + int(fields[14])) / tick
            db += own + ended
    return app, db, sum(os.times()[:2])


def cpu_per_request(before, after, requests):
    """Milliseconds of CPU per request: {"app", "db", "client"}."""
    names = ("app", "db", "client")
    return {
        name: round((b - a) * 1000 / requests, 2) if requests else None
        for name, a, b in zip(names, before, after, strict=True)
    }
