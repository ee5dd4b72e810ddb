"""Scale-out on PostgreSQL: three `inbox-triage worker` processes share one queue.

300 privacy requests (3,000 with --long) from as many senders are stored with store_raw; three
worker processes (`worker --once`, started again while work is left, since a run
ends when the rest is locked by the others) process them concurrently. Each message
must be processed exactly once and each case numbered once, without gaps.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.long_run import pick
from support.mail import build_message
from support.process import cli_environment, run_cli
from support.settings import FixedClock, make_app, make_settings

from inbox_triage.db.models import Case, CaseCounter, CaseEvent, Message
from inbox_triage.intake.store import store_raw

REQUESTS = pick(short=300, long=3_000)
DEADLINE_SECONDS = pick(short=240, long=1_800)
WORKERS = 3
BODY = "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat.\n"


def _pending(app_sessions) -> int:  # type: ignore[no-untyped-def]
    with app_sessions() as session:
        return session.scalar(
            select(func.count()).select_from(Message).where(Message.state != "processed")
        )


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_workers_process_every_message_exactly_once(
    tmp_path: Path, database_url: str
) -> None:
    """GIVEN 300 stored erasure requests from 300 senders on PostgreSQL (3,000 with --long)
    WHEN three `inbox-triage worker --once` processes run concurrently until none is left
    THEN every message is processed once (one attempt, one case, one opened and one
    message_received event per case), nothing failed, and the references are
    GDPR-2026-0001 ... GDPR-2026-0300 with no gap or repeat."""
    clock = FixedClock()  # received Monday 2 March 2026: the references are 2026's
    app = make_app(make_settings(tmp_path / "data", database_url), clock=clock)
    try:
        for number in range(REQUESTS):
            raw = build_message(
                subject=f"Adataim törlése ({number})",
                body=BODY,
                sender=f"Ügyfél {number} <ugyfel.{number}@example.hu>",
                message_id=f"<scale-{number}@example.hu>",
            )
            assert not store_raw(app, raw, "smtp").duplicate
        environ = cli_environment(tmp_path / "data", database_url)
        runs: list[tuple[int, int, str]] = []  # (worker, exit code, stderr tail)
        lock = threading.Lock()
        deadline = time.monotonic() + DEADLINE_SECONDS

        def worker(number: int) -> None:
            while _pending(app.sessions) and time.monotonic() < deadline:
                done = subprocess.run(
                    [sys.executable, "-m", "inbox_triage", "worker", "--once"],
                    env=environ, capture_output=True, text=True, timeout=DEADLINE_SECONDS,
                )  # fmt: skip
                with lock:
                    runs.append((number, done.returncode, done.stderr[-2000:]))

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE_SECONDS + 60)
        elapsed = time.perf_counter() - started
        print(f"{REQUESTS} messages, {WORKERS} workers, {len(runs)} runs: {elapsed:.1f} s")
        assert [code for _, code, _ in runs] == [0] * len(runs), runs
        assert {number for number, _, _ in runs} == set(range(WORKERS))

        with app.sessions() as session:
            messages = session.scalars(select(Message)).all()
            cases = session.scalars(select(Case)).all()
            events = Counter(
                (case_id, kind)
                for case_id, kind in session.execute(select(CaseEvent.case_id, CaseEvent.kind))
            )
            counter = session.get(CaseCounter, 2026)
        assert Counter(m.state for m in messages) == {"processed": REQUESTS}
        assert {m.attempts for m in messages} == {1}
        assert {m.kind for m in messages} == {"request"}
        assert len({m.case_id for m in messages}) == REQUESTS
        assert len(cases) == REQUESTS
        for case in cases:
            assert events[(case.id, "opened")] == 1, case.reference
            assert events[(case.id, "message_received")] == 1, case.reference
        expected = {f"GDPR-2026-{number:04d}" for number in range(1, REQUESTS + 1)}
        assert sorted(c.reference for c in cases) == sorted(expected)
        assert counter is not None and counter.last_number == REQUESTS

        listed = run_cli(environ, "cases", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        references = [row["reference"] for row in json.loads(listed.stdout)]
        assert sorted(references) == sorted(expected)
    finally:
        app.close()
