"""Queue page under load: N cases in SQLite, uvicorn serving, concurrent signed-in clients.

Cases are bulk-inserted rows with due dates spread around today (not run through
the classifier), a tenth of them assigned to staff. The web UI runs under
uvicorn in a child process (as in production, it does not share its
interpreter with the clients); `--workers` threads, each an httpx client with
the same session cookie, fetch the queue page `--requests` times in all.
Reports the median and 95th percentile response time.

    python bench/queue_load.py [--cases 10000] [--requests 400] [--workers 4] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from results import append_row  # noqa: E402

from inbox_triage.config import Settings, load_settings  # noqa: E402
from inbox_triage.context import AppContext  # noqa: E402
from inbox_triage.db.migrate import upgrade  # noqa: E402
from inbox_triage.db.models import Case, CaseEvent  # noqa: E402
from inbox_triage.db.session import transaction  # noqa: E402
from inbox_triage.web.app import run_web  # noqa: E402
from inbox_triage.web.auth import add_user  # noqa: E402

STAFF = ("anna.staff@clmaster.eu", "bela.staff@clmaster.eu")
PASSWORD = "bench password 12345"
OPEN = ("new", "awaiting_verification", "in_progress", "awaiting_approval", "extended")
RIGHTS = ("access", "erasure", "objection", "rectification", "information", "portability")
TARGET_P95_MS = 200.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def case_row(number: int, today: date, rng: random.Random) -> dict[str, Any]:
    """One case as a plain row: open mostly, due within +-60 days, a few undated."""
    received = datetime.combine(today, datetime.min.time(), UTC) - timedelta(
        days=rng.randint(0, 60)
    )
    due = None if number % 50 == 0 else today + timedelta(days=rng.randint(-30, 60))
    return {
        "reference": f"GDPR-2026-{number:05d}",
        "status": "closed" if number % 10 == 0 else rng.choice(OPEN),
        "opened_at": received,
        "receipt_at": received,
        "receipt_basis": "smtp_accepted",
        "requester_address": f"requester{number}@example.hu",
        "requester_name": f"Kérelmező {number}",
        "subject": f"Adatvédelmi kérelem {number}",
        "normalized_subject": f"adatvédelmi kérelem {number}",
        "language": "hu",
        "rights": sorted(rng.sample(RIGHTS, rng.randint(1, 2))),
        "identity": rng.choice(("verified", "unverified")),
        "flags": [],
        "evidence": [],
        "gdpr_due": due,
        "policy_due": due,
        "due": due,
        "basis": "policy" if due else None,
    }


def fill(app: AppContext, cases: int, seed: int = 7) -> None:
    """Bulk-insert the cases, and an `assigned` event for every tenth one."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    rows = [case_row(number, today, rng) for number in range(1, cases + 1)]
    with transaction(app.sessions) as session:
        session.execute(insert(Case), rows)
        events = [
            {
                "case_id": case_id,
                "sequence": 1,
                "kind": "assigned",
                "actor": STAFF[0],
                "at": datetime.now(UTC),
                "details": {"assignee": STAFF[case_id % 2], "previous": None},
                "previous_hash": "0" * 64,
                "hash": f"{case_id:064x}",
            }
            for case_id in range(1, cases + 1, 10)
        ]
        if events:
            session.execute(insert(CaseEvent), events)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def login(base_url: str) -> httpx.Cookies:
    """Sign in through the login form; returns the session cookie."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        found = _CSRF.search(client.get("/login").text)
        assert found, "login page without CSRF token"
        form = {"email": STAFF[0], "password": PASSWORD, "csrf_token": found.group(1)}
        response = client.post("/login", data=form)
        if response.status_code != 303:
            raise RuntimeError(f"login failed: HTTP {response.status_code}")
        return client.cookies


def hammer(base_url: str, cookies: httpx.Cookies, requests: int, workers: int) -> list[float]:
    """Fetch the queue page `requests` times from `workers` threads; latencies in ms."""

    def worker(count: int) -> list[float]:
        timings = []
        with httpx.Client(base_url=base_url, cookies=cookies, timeout=60) as client:
            for _ in range(count):
                started = time.perf_counter()
                response = client.get("/")
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or "data-reference" not in response.text:
                    raise RuntimeError(f"queue page failed: HTTP {response.status_code}")
        return timings

    shares = [requests // workers + (1 if i < requests % workers else 0) for i in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(worker, [share for share in shares if share]))
    return [timing for timings in results for timing in timings]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of the values."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def settings_for(directory: str, port: int) -> Settings:
    """The benchmark installation: SQLite in `directory`, the web UI on a loopback port."""
    settings = load_settings(environ={"INBOX_TRIAGE_DATA_DIR": directory})
    return replace(settings, web=replace(settings.web, host="127.0.0.1", port=port))


def serve(directory: str, port: int) -> int:
    """Child process: serve the prepared database until SIGTERM."""
    app = AppContext.create(settings_for(directory, port))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = run_web(app, stop)
    stop.wait()
    thread.join(timeout=15)
    app.close()
    return 0


def start_server(directory: str, port: int) -> subprocess.Popen[bytes]:
    """Start the child server and wait until /healthz answers."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", directory, "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"server exited with {child.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return child
        except httpx.TransportError:
            time.sleep(0.1)
    child.terminate()
    raise RuntimeError("server did not start within 60 s")


def run(cases: int, requests: int, workers: int) -> dict[str, Any]:
    """Build the database, serve it from a child process, measure; returns the report."""
    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        app = AppContext.create(settings_for(directory, port))
        try:
            upgrade(app.engine)
            fill(app, cases)
            add_user(app, STAFF[0], "staff", PASSWORD)
            add_user(app, STAFF[1], "staff", PASSWORD)
        finally:
            app.close()
        child = start_server(directory, port)
        try:
            base_url = f"http://127.0.0.1:{port}"
            cookies = login(base_url)
            hammer(base_url, cookies, min(workers * 2, requests), workers)  # warm-up
            started = time.perf_counter()
            timings = hammer(base_url, cookies, requests, workers)
            elapsed = time.perf_counter() - started
        finally:
            child.terminate()
            child.wait(timeout=30)
    return {
        "cases": cases,
        "requests": len(timings),
        "workers": workers,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        "requests_per_s": round(len(timings) / elapsed, 1),
        "target_p95_ms": TARGET_P95_MS,
        "load_average": round(os.getloadavg()[0], 1),
    }


def record(result: dict[str, Any]) -> None:
    """Append one row to bench/RESULTS.md in its table format."""
    met = "met" if result["p95_ms"] < TARGET_P95_MS else "MISSED"
    append_row(
        f"queue page, {result['cases']} cases (SQLite), "
        f"{result['requests']} req, {result['workers']} workers",
        f"p50 {result['median_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms",
        "–",
        f"target p95 < {TARGET_P95_MS:.0f} ms: {met}; {result['requests_per_s']:.0f} req/s, "
        f"load average {result['load_average']}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.port)
    if args.cases < 1 or args.requests < 1 or args.workers < 1:
        parser.error("--cases, --requests and --workers must be positive")
    result = run(args.cases, args.requests, args.workers)
    print(json.dumps(result, indent=2))
    if args.record:
        record(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
