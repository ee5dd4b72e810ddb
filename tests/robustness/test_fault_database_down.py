"""Fault: the PostgreSQL server goes away for a while under a running `serve`.

A dedicated server (its own temp dir and port) is stopped with `pg_ctl stop -m fast`
while SMTP clients keep sending, then started again. The intake must answer 451 while
the database is down (never 250, never 5xx), lose nothing it acknowledged, and the
processor must pick up again once the server is back. --long sends ten times as many
messages through an outage of 20 s.
"""

from __future__ import annotations

import json
import signal
import smtplib
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from support import postgres_control
from support.long_run import pick
from support.mail import build_message
from support.postgres import free_port
from support.process import cli_environment, run_cli, start_serve, wait_for_port

from inbox_triage.db.models import Message

MESSAGES = pick(short=45, long=450)
CLIENTS = 3
DOWN_SECONDS = pick(short=4.0, long=20.0)
DEADLINE_SECONDS = pick(short=150, long=900)


@dataclass(frozen=True)
class Reply:
    """One end-of-DATA answer the intake gave, and when (time.monotonic)."""

    message_id: str
    code: int
    at: float


@dataclass
class Mta:
    """Delivers like a sending MTA: retry on 4xx after a pause, give up on 5xx."""

    port: int
    replies: list[Reply]
    errors: list[str]
    lock: threading.Lock

    def deliver(self, message_id: str, raw: bytes, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
                    client.ehlo()
                    client.mail("sender@example.hu")
                    client.rcpt("info@clmaster.eu")
                    code, _ = client.data(raw)
            except smtplib.SMTPDataError as error:  # 4xx/5xx at the end of DATA
                code = error.smtp_code
            except (OSError, smtplib.SMTPException) as error:
                with self.lock:
                    self.errors.append(f"{message_id}: {type(error).__name__}: {error}")
                time.sleep(0.2)
                continue
            with self.lock:
                self.replies.append(Reply(message_id, code, time.monotonic()))
            if code == 250 or code >= 500:
                return
            time.sleep(0.25)
        raise AssertionError(f"{message_id} was never acknowledged")


def _messages() -> list[tuple[str, bytes]]:
    out = []
    for number in range(MESSAGES):
        message_id = f"<dbdown-{number}@example.hu>"
        raw = build_message(
            subject=f"Adataim törlése {number}",
            sender=f"Ügyfél {number} <ugyfel{number}@example.hu>",
            message_id=message_id,
        )
        out.append((message_id, raw))
    return out


def _rows(environ: dict[str, str]) -> list[dict[str, object]]:
    result = run_cli(environ, "messages", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.postgres
def test_database_outage_answers_451_and_loses_nothing(tmp_path: Path) -> None:
    """GIVEN `serve` on a dedicated PostgreSQL and three clients sending 45 messages (450
    with --long) WHEN the server is stopped (pg_ctl stop -m fast) for 4 s (20 s) and started again
    THEN every DATA answered while it was down is 451 (no 250, no 5xx), every message
    is eventually acknowledged and stored exactly once, and every stored one is processed."""
    with postgres_control.dedicated_postgres() as server:
        url = postgres_control.create_database(server, "outage")
        port = free_port()
        environ = cli_environment(
            tmp_path / "data",
            url,
            INBOX_TRIAGE_SMTP_PORT=str(port),
            INBOX_TRIAGE_WEB_PORT=str(free_port()),
            INBOX_TRIAGE_PROCESSOR_RETRY_DELAY_SECONDS="1",
        )
        serve = start_serve(environ, tmp_path / "serve.log")
        try:
            wait_for_port(port, serve)
            mta = Mta(port, [], [], threading.Lock())
            deadline = time.monotonic() + DEADLINE_SECONDS
            queue = _messages()
            threads = [
                threading.Thread(
                    target=lambda mine=queue[offset::CLIENTS]: [
                        mta.deliver(message_id, raw, deadline) for message_id, raw in mine
                    ]
                )
                for offset in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            while sum(r.code == 250 for r in mta.replies) < 10 and time.monotonic() < deadline:
                time.sleep(0.02)
            postgres_control.stop(server, "fast")
            down_from = time.monotonic()
            time.sleep(DOWN_SECONDS)
            down_until = time.monotonic()
            postgres_control.start(server)
            for thread in threads:
                thread.join(timeout=DEADLINE_SECONDS + 30)
            assert serve.poll() is None, "serve died during the outage"
            rows = _wait_until_settled(environ, deadline)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
        log = (tmp_path / "serve.log").read_text(errors="replace")

    during = [r for r in mta.replies if down_from < r.at < down_until]
    codes = Counter(r.code for r in mta.replies)
    print(f"answers: {dict(codes)}; while down: {dict(Counter(r.code for r in during))}")
    assert len(during) >= CLIENTS, "the clients did not try during the outage"
    assert {r.code for r in during} == {451}
    assert set(codes) == {250, 451}, codes  # never a 5xx, nothing else
    assert mta.errors == []  # the intake itself stayed up: no dropped connections
    acknowledged = [r.message_id for r in mta.replies if r.code == 250]
    assert sorted(acknowledged) == sorted(message_id for message_id, _ in queue)
    stored = Counter(row["message_id"] for row in rows)
    assert all(stored[message_id] == 1 for message_id in acknowledged)
    assert len(rows) == MESSAGES
    assert {row["state"] for row in rows} == {"processed"}, Counter(r["state"] for r in rows)
    assert "451" in log or "database unavailable" in log  # the outage was noticed and logged
    assert serve.returncode == 0


def _wait_until_settled(environ: dict[str, str], deadline: float) -> list[dict[str, object]]:
    """`messages list --json` once every stored message is processed (or at the deadline);
    the waiting reads the database directly, which is much quicker than the CLI."""
    engine = create_engine(environ["INBOX_TRIAGE_DATABASE_URL"])
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                waiting = connection.scalar(
                    select(func.count()).select_from(Message).where(Message.state != "processed")
                )
            if waiting == 0:
                break
            time.sleep(0.2)
    finally:
        engine.dispose()
    return _rows(environ)
