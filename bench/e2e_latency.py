"""End-to-end latency: SMTP 250 to the reply draft being ready, through `inbox-triage serve`.

Starts the real `serve` (subprocess, SQLite) and sends privacy requests from
the corpus (each from its own sender, so each opens a case) at a steady rate
over a few SMTP connections. A message's latency is its draft's `created_at`
(stamped inside the message's transaction, committed milliseconds later)
minus the moment the client got the 250; timestamps are read afterwards over
a read-only SQLite connection. A few warm-up messages load the model first.
The processor's idle poll interval is set through
INBOX_TRIAGE_PROCESSOR_POLL_INTERVAL_SECONDS (--poll-interval) and recorded.

    python bench/e2e_latency.py [--rate 20] [--duration 60] [--poll-interval 0.05] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import sys
import tempfile
import threading
import time
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import and_, create_engine, func, select
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from results import append_row  # noqa: E402
from support.postgres import free_port  # noqa: E402
from support.process import (  # noqa: E402
    cli_environment,
    start_serve,
    stop_process,
    wait_for_port,
)

from inbox_triage.db.models import Draft, Message  # noqa: E402

TARGET_P95_S = 1.0


def privacy_requests() -> list[dict[str, str]]:
    """Corpus items that invoke at least one right (Hungarian and English)."""
    items = []
    for file in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        items += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    return [item for item in items if item["rights"] and item["language"] in ("hu", "en")]


def build(item: dict[str, str], number: int, tag: str) -> tuple[str, bytes]:
    """One request from its own sender; returns its Message-ID and bytes."""
    message_id = f"<{tag}-{number}@bench.example.hu>"
    message = EmailMessage()
    message["From"] = f"Bench Sender {number} <sender{number}.{tag}@example.hu>"
    message["To"] = "info@clmaster.eu"
    message["Subject"] = item["subject"]
    message["Message-ID"] = message_id
    message.set_content(item["body"])
    return message_id, message.as_bytes()


def send_steady(
    port: int, mails: list[bytes], rate: float, clients: int
) -> tuple[list[float], float]:
    """Send mail i at start + i/rate over `clients` connections.

    Returns each 250's wall time, and the seconds from the first scheduled send to the last 250.
    """
    acked = [0.0] * len(mails)
    errors: list[BaseException] = []
    start = time.monotonic() + 0.5

    def client(offset: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
                for index in range(offset, len(mails), clients):
                    time.sleep(max(0.0, start + index / rate - time.monotonic()))
                    smtp.sendmail("bench@example.hu", ["info@clmaster.eu"], mails[index])
                    acked[index] = time.time()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"SMTP client failed: {errors[0]!r}")
    return acked, time.monotonic() - start


def wait_processed(engine: Engine, expected: int, timeout: float = 600) -> None:
    """Block until `expected` messages are stored and none is still `received`."""
    deadline = time.monotonic() + timeout
    query = select(func.count(), func.count().filter(Message.state == "received"))
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            total, waiting = connection.execute(query).one()
        if total >= expected and waiting == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"messages still unprocessed after {timeout:.0f} s")


def draft_times(engine: Engine, message_ids: list[str]) -> dict[str, tuple[str, datetime | None]]:
    """Message-ID -> (state, created_at of the draft its case got after it arrived)."""
    joined = and_(Draft.case_id == Message.case_id, Draft.created_at >= Message.received_at)
    query = (
        select(Message.message_id, Message.state, func.min(Draft.created_at))
        .outerjoin(Draft, joined)
        .where(Message.message_id.in_(message_ids))
        .group_by(Message.id)
    )
    with engine.connect() as connection:
        return {row[0]: (row[1], row[2]) for row in connection.execute(query)}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def measure(port: int, engine: Engine, args: argparse.Namespace) -> dict[str, object]:
    """Warm up, send the steady stream, and compute the latencies."""
    items = privacy_requests()
    warmup = [build(items[n % len(items)], n, "warm")[1] for n in range(args.warmup)]
    send_steady(port, warmup, rate=args.rate, clients=1)
    wait_processed(engine, len(warmup))
    total = round(args.rate * args.duration)
    built = [build(items[(n * 7) % len(items)], n, "e2e") for n in range(total)]
    acked, send_seconds = send_steady(port, [raw for _, raw in built], args.rate, args.clients)
    wait_processed(engine, len(warmup) + total)
    found = draft_times(engine, [message_id for message_id, _ in built])
    latencies = []
    for (message_id, _), ack in zip(built, acked, strict=True):
        created = found.get(message_id, ("missing", None))[1]
        if created is not None:
            latencies.append(created.timestamp() - ack)
    states = [state for state, _ in found.values()]
    if not latencies:
        raise SystemExit(f"no drafts were made for the {total} requests (states: {set(states)})")
    return {
        "messages": total,
        "rate_msgs_per_s": args.rate,
        "achieved_rate_msgs_per_s": total / send_seconds,
        "poll_interval_s": args.poll_interval,
        "drafts": len(latencies),
        "failed": states.count("failed"),
        "p50_s": percentile(latencies, 0.50),
        "p95_s": percentile(latencies, 0.95),
        "max_s": max(latencies),
        "target_p95_s": TARGET_P95_S,
        "load_average_1m": os.getloadavg()[0],
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    """Start serve on a fresh SQLite database, measure, stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as directory:
        base = Path(directory)
        database = base / "bench.db"
        port = free_port()
        environ = cli_environment(
            base / "data",
            f"sqlite:///{database}",
            INBOX_TRIAGE_SMTP_PORT=str(port),
            INBOX_TRIAGE_WEB_PORT=str(free_port()),
            INBOX_TRIAGE_PROCESSOR_POLL_INTERVAL_SECONDS=str(args.poll_interval),
            PYTHONPATH=product_path(),
        )
        server = start_serve(environ, base / "serve.log")
        engine = create_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
        try:
            wait_for_port(port, server)
            return measure(port, engine, args)
        finally:
            engine.dispose()
            stop_process(server)


def product_path() -> str:
    """PYTHONPATH for product subprocesses: this checkout's src/ first."""
    return os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))


def record(result: dict[str, object]) -> None:
    """Append one row to bench/RESULTS.md."""
    met = "met" if float(result["p95_s"]) < TARGET_P95_S else "NOT met"  # type: ignore[arg-type]
    append_row(
        "e2e latency SMTP 250 → draft, `serve` (SQLite), "
        f"{result['rate_msgs_per_s']} msg/s × {result['messages']} msgs, processor poll interval "
        f"{result['poll_interval_s']} s",
        f"p50 {result['p50_s']:.2f} s, p95 {result['p95_s']:.2f} s, max {result['max_s']:.2f} s",
        "-",
        f"target p95 < 1 s {met}; load avg {result['load_average_1m']:.1f} (shared machine)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sending")
    parser.add_argument("--clients", type=int, default=4, help="SMTP connections")
    parser.add_argument("--warmup", type=int, default=5, help="messages sent before measuring")
    parser.add_argument("--poll-interval", type=float, default=0.05, help="processor idle poll")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2))
    if args.record:
        record(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
