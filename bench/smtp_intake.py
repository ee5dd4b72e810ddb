"""SMTP intake throughput: the product's intake against a bare aiosmtpd server.

Both servers run in this process's threads on loopback; the same 5 concurrent
smtplib clients send the same messages to each. The bare server discards
what it receives; the product stores every message durably (SQLite, WAL)
before answering 250. Reports messages/s for both and the ratio.

    python bench/smtp_intake.py [--messages 2000] [--clients 5] [--rounds 3] [--record]
"""

from __future__ import annotations

import argparse
import json
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from results import append_row  # noqa: E402

from inbox_triage.config import load_settings  # noqa: E402
from inbox_triage.context import AppContext  # noqa: E402
from inbox_triage.db.migrate import upgrade  # noqa: E402
from inbox_triage.intake.smtp import IntakeController  # noqa: E402

BODY = (
    "Tisztelt Cloudmaster Kft.!\r\n\r\nKérem, hogy a személyes adataimat töröljék.\r\n" * 20
).encode()


class DiscardHandler:
    """The peer: aiosmtpd accepting every message and keeping nothing."""

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        return "250 OK"


def message(number: int) -> bytes:
    headers = (
        f"From: bench{number}@example.hu\r\nTo: info@clmaster.eu\r\n"
        f"Subject: Bench {number}\r\nMessage-ID: <bench-{number}-{time.time_ns()}@example.hu>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return headers.encode() + BODY


def blast(port: int, total: int, clients: int) -> float:
    """Send `total` messages over `clients` connections; return messages per second."""
    payloads = [message(n) for n in range(total)]
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                for index in range(offset, total, clients):
                    client.sendmail("bench@example.hu", ["info@clmaster.eu"], payloads[index])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"client failed: {errors[0]!r}")
    return total / elapsed


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bare_rate(total: int, clients: int) -> float:
    """Messages/s of a bare aiosmtpd server that discards what it gets."""
    port = free_port()
    bare = Controller(DiscardHandler(), hostname="127.0.0.1", port=port)
    bare.start()
    try:
        return blast(port, total, clients)
    finally:
        bare.stop()


def product_rate(total: int, clients: int) -> float:
    """Messages/s of the product's intake, storing every message durably (SQLite)."""
    with tempfile.TemporaryDirectory() as directory:
        settings = load_settings(environ={"INBOX_TRIAGE_DATA_DIR": directory})
        port = free_port()
        settings = replace(settings, smtp=replace(settings.smtp, port=port))
        app = AppContext.create(settings)
        upgrade(app.engine)
        product = IntakeController(app)
        product.start()
        try:
            return blast(port, total, clients)
        finally:
            product.stop()
            app.close()


def run(total: int, clients: int, rounds: int = 3) -> dict[str, float]:
    """Alternate peer and product `rounds` times; report the medians and their ratio."""
    bare, product = [], []
    for _ in range(rounds):
        bare.append(bare_rate(total, clients))
        product.append(product_rate(total, clients))
    bare_median, product_median = statistics.median(bare), statistics.median(product)
    return {
        "bare_msgs_per_s": bare_median,
        "product_msgs_per_s": product_median,
        "ratio": product_median / bare_median,
        "rounds": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per side")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    result = run(args.messages, args.clients, args.rounds)
    print(json.dumps(result, indent=2))
    if args.record:
        append_row(
            f"SMTP intake, {args.messages} msgs, "
            f"{args.clients} clients, median of {args.rounds} alternating rounds",
            f"{result['product_msgs_per_s']:.0f} msg/s",
            f"bare aiosmtpd {result['bare_msgs_per_s']:.0f} msg/s",
            f"ratio {result['ratio']:.2f}",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
