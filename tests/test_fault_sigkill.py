"""Fault test: SIGKILL of the serving process in the middle of an SMTP burst."""

from __future__ import annotations

import json
import signal
import smtplib
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from support.long_run import pick
from support.mail import build_message
from support.postgres import free_port
from support.process import cli_environment, run_cli, start_serve, wait_for_port

BURST = pick(short=220, long=2_000)
#: How many messages have been acknowledged when serve is SIGKILLed (and restarted), kill by kill.
KILLS_AFTER = pick(short=(90,), long=(250, 600, 950, 1_300, 1_650))
DEADLINE_SECONDS = pick(short=240, long=1_200)


def _send_until_acknowledged(port: int, raw: bytes, deadline: float) -> None:
    """Deliver like an MTA: retry on any failure until a 250 (or the deadline)."""
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("sender@example.hu", ["info@clmaster.eu"], raw)
            return
        except (OSError, smtplib.SMTPException):
            time.sleep(0.2)
    raise AssertionError("a message was never acknowledged")


@pytest.mark.slow
def test_every_acknowledged_message_survives_sigkill(tmp_path: Path, database_url: str) -> None:
    """GIVEN serve receiving a burst of 220 messages (2,000 with --long) WHEN it is SIGKILLed
    part-way and restarted (five times with --long) THEN every message that got a 250 is
    stored exactly once and every stored one is processed."""
    port = free_port()
    environ = cli_environment(tmp_path / "data", database_url, INBOX_TRIAGE_SMTP_PORT=str(port))
    log = tmp_path / "serve.log"
    server = start_serve(environ, log)
    wait_for_port(port, server)
    acknowledged: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_SECONDS

    def client(offset: int) -> None:
        for number in range(offset, BURST, 5):
            message_id = f"<burst-{number}@example.hu>"
            raw = build_message(subject=f"Adataim törlése #{number}", message_id=message_id)
            _send_until_acknowledged(port, raw, deadline)
            with lock:
                acknowledged.append(message_id)

    threads = [threading.Thread(target=client, args=(offset,)) for offset in range(5)]
    for thread in threads:
        thread.start()
    killed_at: list[int] = []
    try:
        for kill_after in KILLS_AFTER:
            while len(acknowledged) < kill_after and time.monotonic() < deadline:
                time.sleep(0.01)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
            killed_at.append(len(acknowledged))
            server = start_serve(environ, log)
            wait_for_port(port, server)
        for thread in threads:
            thread.join(timeout=DEADLINE_SECONDS)
        assert len(acknowledged) == BURST
        assert all(after <= at < BURST for after, at in zip(KILLS_AFTER, killed_at, strict=True))
        rows = _wait_until_processed(environ, deadline)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    counts = Counter(row["message_id"] for row in rows)
    assert all(counts[message_id] == 1 for message_id in acknowledged)
    assert len(rows) == BURST
    assert {row["state"] for row in rows} == {"processed"}
    assert server.returncode == 0


def _wait_until_processed(environ: dict[str, str], deadline: float) -> list[dict[str, object]]:
    while True:
        result = run_cli(environ, "messages", "list", "--json")
        assert result.returncode == 0, result.stderr
        rows = json.loads(result.stdout)
        if all(row["state"] != "received" for row in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)
