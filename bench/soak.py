"""Soak: memory of one process storing and processing a long stream of mail.

The serving process's core loop in-process: chunks of messages built from the
whole corpus (requests and ordinary mail, a pool of senders who write more
than once) are stored through `store_raw` and processed by one long-lived
`Processor` on a fresh SQLite database. The resident set size (psutil if
installed, else /proc/self/status VmRSS) is sampled every --sample-every
messages; the figure is its growth from message --baseline-at to the end
(before that the model, caches and SQLite pages warm up).

    python bench/soak.py [--messages 50000] [--sample-every 1000] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from results import append_row  # noqa: E402

from inbox_triage.config import load_settings  # noqa: E402
from inbox_triage.context import AppContext  # noqa: E402
from inbox_triage.db.migrate import upgrade  # noqa: E402
from inbox_triage.db.models import Message  # noqa: E402
from inbox_triage.intake.store import store_raw  # noqa: E402
from inbox_triage.pipeline import Processor  # noqa: E402

TARGET_GROWTH_MB = 50.0
MB = 1024 * 1024


def rss_mb() -> float:
    """This process's resident set size in MiB."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        status = Path("/proc/self/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    return psutil.Process().memory_info().rss / MB


def corpus() -> list[dict[str, str]]:
    """Every corpus item: privacy requests and ordinary support mail, both languages."""
    items = []
    for file in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        items += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    return items


def build(items: list[dict[str, str]], number: int, senders: int) -> bytes:
    """Message `number`: a corpus item from one of `senders` addresses."""
    item = items[(number * 7) % len(items)]
    message = EmailMessage()
    message["From"] = f"Soak Sender {number % senders} <soak{number % senders}@example.hu>"
    message["To"] = "info@clmaster.eu"
    message["Subject"] = item["subject"]
    message["Message-ID"] = f"<soak-{number}@bench.example.hu>"
    message.set_content(item["body"])
    return message.as_bytes()


def slope_mb_per_10k(samples: list[tuple[int, float]]) -> float:
    """Least-squares growth of RSS in MiB per 10,000 messages."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [x for x, _ in samples], [y for _, y in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return covariance / spread * 10_000 if spread else 0.0


def soak(app: AppContext, args: argparse.Namespace) -> dict[str, object]:
    """Store and process in chunks, sampling RSS; return the figures."""
    items = corpus()
    processor = Processor(app)
    samples: list[tuple[int, float, float]] = []  # (messages, rss MiB, seconds)
    started = time.perf_counter()
    for first in range(0, args.messages, args.chunk):
        last = min(first + args.chunk, args.messages)
        for number in range(first, last):
            store_raw(app, build(items, number, args.senders), "smtp")
        processor.run_pending()
        if last % args.sample_every == 0 or last == args.messages:
            samples.append((last, rss_mb(), time.perf_counter() - started))
            print(f"{last} messages, RSS {samples[-1][1]:.1f} MiB", file=sys.stderr, flush=True)
    return summarise(app, args, samples)


def summarise(
    app: AppContext, args: argparse.Namespace, samples: list[tuple[int, float, float]]
) -> dict[str, object]:
    """Memory growth after the baseline, throughput early and late, failures."""
    baseline = next(s for s in samples if s[0] >= args.baseline_at)
    end = samples[-1]
    late_start = next(s for s in samples if s[0] >= end[0] - baseline[0])
    after = [(count, rss) for count, rss, _ in samples if count >= baseline[0]]
    with app.engine.connect() as connection:
        query = select(Message.state, func.count()).group_by(Message.state)
        states = {state: count for state, count in connection.execute(query)}
    return {
        "messages": args.messages,
        "seconds": end[2],
        "messages_per_s": args.messages / end[2],
        "first_window_messages_per_s": _rate((0, 0.0, 0.0), baseline),
        "last_window_messages_per_s": _rate(late_start, end),
        "states": states,
        "baseline_at": baseline[0],
        "rss_baseline_mb": baseline[1],
        "rss_end_mb": end[1],
        "rss_max_mb": max(rss for _, rss, _ in samples),
        "growth_mb": end[1] - baseline[1],
        "slope_mb_per_10k": slope_mb_per_10k(after),
        "target_growth_mb": TARGET_GROWTH_MB,
        "load_average_1m": os.getloadavg()[0],
        "samples": [[count, round(rss, 1)] for count, rss, _ in samples],
    }


def _rate(start: tuple[int, float, float], end: tuple[int, float, float]) -> float | None:
    """Messages per second between two samples."""
    return (end[0] - start[0]) / (end[2] - start[2]) if end[2] > start[2] else None


def run(args: argparse.Namespace) -> dict[str, object]:
    """A fresh SQLite database in a temporary directory, soaked, then removed."""
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as directory:
        app = AppContext.create(load_settings(environ={"INBOX_TRIAGE_DATA_DIR": directory}))
        upgrade(app.engine)
        try:
            return soak(app, args)
        finally:
            app.close()


def record(result: dict[str, object]) -> None:
    """Append one row to bench/RESULTS.md."""
    met = "met" if float(result["growth_mb"]) < TARGET_GROWTH_MB else "NOT met"  # type: ignore[arg-type]
    append_row(
        "soak: store_raw + Processor in-process (SQLite), "
        f"{result['messages']} msgs, RSS every {result['sample_every']}",
        f"RSS {result['rss_baseline_mb']:.0f} → {result['rss_end_mb']:.0f} MiB from msg "
        f"{result['baseline_at']} (growth {result['growth_mb']:+.1f} MiB, trend "
        f"{result['slope_mb_per_10k']:+.1f} MiB/10k msgs)",
        "-",
        f"target growth < 50 MB {met}; "
        f"{result['messages_per_s']:.0f} msg/s; load avg {result['load_average_1m']:.1f} "
        "(shared machine)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--sample-every", type=int, default=1_000)
    parser.add_argument("--baseline-at", type=int, default=5_000)
    parser.add_argument("--chunk", type=int, default=100, help="stored, then processed")
    parser.add_argument("--senders", type=int, default=5_000, help="distinct sender addresses")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    if args.sample_every % args.chunk or args.baseline_at % args.sample_every:
        parser.error(
            "--sample-every must be a multiple of --chunk, --baseline-at of --sample-every"
        )
    result = run(args) | {"sample_every": args.sample_every}
    print(json.dumps(result, indent=2))
    if args.record:
        record(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
