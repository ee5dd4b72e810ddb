"""Fault tests: SIGKILL of a `worker` while it processes, and of the outbox while it sends.

Both run the real program as a subprocess, kill it with SIGKILL at a point
detected from the outside (the database for processing, the relay for sending),
start it again and check that the work was done exactly once in effect.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.long_run import pick
from support.mail import build_message
from support.process import cli_environment, run_cli, start_cli
from support.settings import FixedClock, make_app, make_settings
from support.smtp_sink import start_sink

from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, CaseEvent, Draft, Message, OutboxMessage, utcnow
from inbox_triage.db.session import transaction
from inbox_triage.drafting.store import approve_draft, list_drafts
from inbox_triage.intake.store import store_raw
from inbox_triage.mail.outbox import send_due, stale_after

MESSAGES = pick(short=150, long=1_000)
#: (processed messages, fraction of the next message's time) at which a worker is killed:
#: spread so that the kills land at different stages of a message's transaction.
KILLS = pick(
    short=((25, 0.1), (55, 0.35), (85, 0.6), (115, 0.85)),
    long=tuple((40 + 95 * n, (0.1, 0.35, 0.6, 0.85)[n % 4]) for n in range(10)),
)
PROCESSING_SECONDS = pick(short=120, long=900)  # deadline for all the processing
REPLIES = pick(short=6, long=30)
IN_FLIGHT = pick(short=3, long=15)  # the send the kill interrupts: the ones before it were answered
SENDING_SECONDS = pick(short=30, long=90)  # deadline for reaching the send in flight
RELAY_DELAY = 1.5  # seconds the relay holds back its answer to DATA

REQUESTS = (
    ("Adataim törlése ({n})", "Tisztelt Cloudmaster Kft.!\n\n"
     "Kérem, töröljék az összes személyes adatomat a nyilvántartásukból.\n"),
    ("Access request ({n})", "Dear Cloudmaster,\n\nPlease send me a copy of all the personal "
     "data you hold about me, as Article 15 GDPR allows.\n"),
)  # fmt: skip
SUPPORT = (
    ("Nem működik a weboldalam ({n})",
     "Szia!\n\nA weboldalam nem töltődik be, kérlek nézzétek meg a szervert.\n"),
    ("Invoice question ({n})",
     "Hello,\n\nThe invoice for my domain renewal shows the wrong amount, could you check it?\n"),
)  # fmt: skip


def _mail(number: int) -> bytes:
    """Every third message is support mail, the rest privacy requests; each from its own sender."""
    support = number % 3 == 2
    subject, body = (SUPPORT if support else REQUESTS)[number % 2]
    return build_message(
        subject=subject.format(n=number),
        body=body,
        sender=f"Ügyfél {number} <ugyfel.{number}@example.hu>",
        message_id=f"<{'support' if support else 'request'}-{number}@example.hu>",
    )


def _processed(app: AppContext) -> int:
    with transaction(app.sessions) as session:
        return int(session.scalar(
            select(func.count()).select_from(Message).where(Message.state == "processed")
        ) or 0)  # fmt: skip


def _kill_part_way(worker: subprocess.Popen[bytes], app: AppContext, at_least: int,
                   fraction: float, deadline: float) -> int:  # fmt: skip
    """SIGKILL the worker `fraction` of a message's processing time after `at_least` are
    processed (the time measured while waiting); return how many were processed then."""
    first: tuple[float, int] | None = None
    baseline = _processed(app)
    while (count := _processed(app)) < at_least:
        assert worker.poll() is None, f"the worker exited early with {worker.returncode}"
        assert time.monotonic() < deadline, "the worker did not get far enough in time"
        if first is None and count > baseline:
            first = (time.monotonic(), count)
        time.sleep(0.002)
    if first is not None and count > first[1]:
        time.sleep(fraction * (time.monotonic() - first[0]) / (count - first[1]))
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    return _processed(app)


def _cli_json(environ: dict[str, str], *args: str) -> list[dict[str, object]]:
    result = run_cli(environ, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_worker_sigkilled_while_processing_does_every_message_once(
    tmp_path: Path, database_url: str
) -> None:
    """GIVEN 150 stored messages (privacy requests and support mail, each from its own sender;
    1,000 with --long) WHEN `inbox-triage worker` is SIGKILLed four times (ten with --long)
    part-way and a worker is started again THEN every message is processed once (one
    attempt, at most one case, no case without its message), the references run 0001..N
    without gap or repeat, every case has one opened/message_received/drafted event and one
    draft, and the audit chains verify."""
    app = make_app(make_settings(tmp_path / "data", database_url), clock=FixedClock())
    environ = cli_environment(tmp_path / "data", database_url)
    log = tmp_path / "worker.log"
    deadline = time.monotonic() + PROCESSING_SECONDS
    try:
        for number in range(MESSAGES):
            assert not store_raw(app, _mail(number), "smtp").duplicate
        done_at_kill = []
        for at_least, fraction in KILLS:
            worker = start_cli(environ, log, "worker")
            done_at_kill.append(_kill_part_way(worker, app, at_least, fraction, deadline))
        worker = start_cli(environ, log, "worker")
        try:
            while _processed(app) < MESSAGES and worker.poll() is None:
                assert time.monotonic() < deadline, "messages left unprocessed"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        assert worker.returncode == 0, log.read_text(errors="replace")[-3000:]
        assert all(a <= done < MESSAGES for (a, _), done in zip(KILLS, done_at_kill, strict=True))
        with transaction(app.sessions) as session:
            attempts = dict(session.execute(select(Message.message_id, Message.attempts)).all())
            events = Counter(session.execute(
                select(Case.reference, CaseEvent.kind).join(CaseEvent, CaseEvent.case_id == Case.id)
            ).all())  # fmt: skip
    finally:
        app.close()

    messages = _cli_json(environ, "messages", "list", "--json")
    ids = Counter(row["message_id"] for row in messages)
    assert ids == Counter({f"<{'support' if n % 3 == 2 else 'request'}-{n}@example.hu>": 1
                           for n in range(MESSAGES)})  # fmt: skip
    assert {row["state"] for row in messages} == {"processed"}
    assert set(attempts.values()) == {1}
    cases = _cli_json(environ, "cases", "list", "--json")
    references = [str(case["reference"]) for case in cases]
    messages_per_case = Counter(str(row["case"]) for row in messages if row["case"] is not None)
    assert {row["kind"] for row in messages} == {"request", "other"}
    assert len(cases) == sum(1 for row in messages if row["kind"] == "request")
    assert sorted(int(ref.rsplit("-", 1)[1]) for ref in references) == list(
        range(1, len(cases) + 1)
    )
    assert messages_per_case == Counter(dict.fromkeys(references, 1))
    assert {case["message_count"] for case in cases} == {1}
    for reference in references:
        for kind in ("opened", "message_received", "drafted"):
            assert events[(reference, kind)] == 1, (reference, kind)
    drafts = Counter(str(draft["case"]) for draft in _cli_json(environ, "drafts", "list", "--json"))
    assert drafts == Counter(dict.fromkeys(references, 1))
    verified = run_cli(environ, "audit", "verify")
    assert (verified.returncode, verified.stdout.strip()) == (0, "audit log intact")


def _outbox(app: AppContext) -> dict[str, tuple[str, str]]:
    """Each outbox row's Message-ID with its own state and its draft's."""
    with transaction(app.sessions) as session:
        rows = session.execute(
            select(OutboxMessage.message_id, OutboxMessage.state, Draft.state)
            .join(Draft, Draft.id == OutboxMessage.draft_id)
        ).all()  # fmt: skip
    return {message_id: (state, draft) for message_id, state, draft in rows}


@pytest.mark.slow
def test_outbox_sigkilled_while_sending_never_sends_twice(
    tmp_path: Path, database_url: str
) -> None:
    """GIVEN six approved replies in the outbox (30 with --long) and a relay slow to answer
    DATA WHEN `inbox-triage outbox send` is SIGKILLed while the third (15th) is in flight and
    run again THEN the interrupted one is not resent and becomes `uncertain` once its claim is
    stale, the others are sent exactly once (counted by Message-ID at the relay), and the
    audit chains verify."""
    environ = cli_environment(tmp_path / "data", database_url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number in range(REPLIES):
        (inbox / f"{number}.eml").write_bytes(_mail(number * 3))  # requests only
    ingested = run_cli(environ, "ingest", str(inbox), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["processed"] == REPLIES
    app = make_app(make_settings(tmp_path / "data", database_url))
    sink = start_sink(delay_seconds=RELAY_DELAY)
    sender: subprocess.Popen[bytes] | None = None
    try:
        with transaction(app.sessions) as session:
            waiting = list_drafts(session, state="draft")
            assert len(waiting) == REPLIES
            for draft in waiting:
                approve_draft(session, app, int(draft["id"]), "anna@clmaster.eu")
        relay = {"INBOX_TRIAGE_OUTGOING_HOST": "127.0.0.1",
                 "INBOX_TRIAGE_OUTGOING_PORT": str(sink.port),
                 "INBOX_TRIAGE_OUTGOING_SECURITY": "none",
                 "INBOX_TRIAGE_OUTGOING_TIMEOUT_SECONDS": "30"}  # fmt: skip
        sender = start_cli(environ | relay, tmp_path / "outbox.log", "outbox", "send")
        deadline = time.monotonic() + SENDING_SECONDS
        while sink.handler.data_commands < IN_FLIGHT:
            assert sender.poll() is None, f"the sender exited early with {sender.returncode}"
            assert time.monotonic() < deadline, "the sender never reached the send in flight"
            time.sleep(0.005)
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=30)
        assert sender.returncode == -signal.SIGKILL
        assert len(sink.messages) == sink.handler.data_commands == IN_FLIGHT
        interrupted = str(sink.messages[-1].parsed()["Message-ID"])
        rows = _outbox(app)
        assert rows[interrupted] == ("sending", "approved")
        assert Counter(state for state, _ in rows.values()) == Counter(
            sent=IN_FLIGHT - 1, sending=1, queued=REPLIES - IN_FLIGHT
        )

        rerun = run_cli(environ | relay, "outbox", "send")
        assert rerun.returncode == 0, rerun.stderr
        summary = json.loads(rerun.stdout)
        assert summary == {"sent": REPLIES - IN_FLIGHT, "failed": 0, "uncertain": 0,
                           "deferred": 0, "remaining": 0}  # fmt: skip
        assert _outbox(app)[interrupted] == ("sending", "approved")  # claimed: never resent

        later = FixedClock(utcnow() + stale_after(app) + timedelta(seconds=1))
        outgoing = {"host": "127.0.0.1", "port": sink.port, "security": "none"}
        swept = make_app(make_settings(tmp_path / "data", database_url, outgoing=outgoing), later)
        try:
            assert send_due(swept) == {"sent": 0, "failed": 0, "uncertain": 1, "deferred": 0,
                                       "remaining": 0}  # fmt: skip
        finally:
            swept.close()
        rows = _outbox(app)
    finally:
        if sender is not None and sender.poll() is None:
            sender.kill()
            sender.wait(timeout=30)
        sink.stop()
        app.close()

    at_relay = Counter(str(message.parsed()["Message-ID"]) for message in sink.messages)
    assert at_relay == Counter(dict.fromkeys(rows, 1))
    assert rows.pop(interrupted) == ("uncertain", "approved")
    assert set(rows.values()) == {("sent", "sent")} and len(rows) == REPLIES - 1
    verified = run_cli(environ, "audit", "verify")
    assert (verified.returncode, verified.stdout.strip()) == (0, "audit log intact")
