"""Scale-out: throughput of 1, 2 and 4 `inbox-triage worker` processes on one PostgreSQL.

For each worker count: a fresh database on a throwaway PostgreSQL server
(tests/support/postgres; fsync off, as in the tests), the workers started as
real subprocesses, a few warm-up messages per worker processed (so each one
has loaded the model), then the workers are paused (SIGSTOP), N messages are
stored through `store_raw`, and the workers resumed (SIGCONT). Throughput is
N over the time from the resume to the last message's `processed_at`.

    python bench/workers.py [--messages 2000] [--counts 1,2,4] [--postgres-url URL] [--record]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from results import append_row  # noqa: E402
from support.postgres import start_postgres  # noqa: E402
from support.process import cli_environment  # noqa: E402

from inbox_triage.config import load_settings  # noqa: E402
from inbox_triage.context import AppContext  # noqa: E402
from inbox_triage.db.migrate import upgrade  # noqa: E402
from inbox_triage.db.models import Message  # noqa: E402
from inbox_triage.intake.store import store_raw  # noqa: E402


def corpus() -> list[dict[str, str]]:
    """Every corpus item: privacy requests and ordinary support mail, both languages."""
    items = []
    for file in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        items += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    return items


def store(app: AppContext, items: list[dict[str, str]], numbers: range) -> None:
    """Store one message per number, each from its own sender."""
    for number in numbers:
        item = items[(number * 7) % len(items)]
        message = EmailMessage()
        message["From"] = f"Worker Bench {number} <wb{number}@example.hu>"
        message["To"] = "info@clmaster.eu"
        message["Subject"] = item["subject"]
        message["Message-ID"] = f"<workers-{number}@bench.example.hu>"
        message.set_content(item["body"])
        store_raw(app, message.as_bytes(), "smtp")


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new database on the server for one run; dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_workers(url: str, count: int, base: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` real `inbox-triage worker` processes; stopped with SIGTERM afterwards."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    environ = cli_environment(base / "data", url, PYTHONPATH=path)
    log = (base / "workers.log").open("ab")
    command = [sys.executable, "-m", "inbox_triage", "worker"]
    workers = [
        subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(count)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGCONT)
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=30)
        log.close()


def wait_processed(
    app: AppContext, expected: int, workers: list[subprocess.Popen[bytes]], timeout: float = 1800
) -> None:
    """Block until `expected` messages exist and none is still `received`."""
    query = select(func.count(), func.count().filter(Message.state == "received"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            raise RuntimeError("a worker exited; see workers.log")
        with app.engine.connect() as connection:
            total, waiting = connection.execute(query).one()
        if total >= expected and waiting == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"messages still unprocessed after {timeout:.0f} s")


def rss_mb(pid: int) -> float:
    """A process's resident set size in MiB (VmRSS)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
        / 1024
    )


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, every tenant included (/proc/stat)."""
    values = [int(part) for part in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def measure(url: str, count: int, args: argparse.Namespace, base: Path) -> dict[str, object]:
    """One run: warm up `count` workers, pause, store N, resume, time the drain."""
    app = AppContext.create(
        load_settings(
            environ={"INBOX_TRIAGE_DATA_DIR": str(base), "INBOX_TRIAGE_DATABASE_URL": url}
        )
    )
    upgrade(app.engine)
    items = corpus()
    warmup = args.warmup * count
    try:
        with running_workers(url, count, base) as workers:
            store(app, items, range(warmup))
            wait_processed(app, warmup, workers)
            warm_rss = [round(rss_mb(worker.pid)) for worker in workers]
            for worker in workers:
                worker.send_signal(signal.SIGSTOP)
            store(app, items, range(warmup, warmup + args.messages))
            cpu_before = sum(cpu_seconds(worker.pid) for worker in workers)
            machine_before = machine_jiffies()
            resumed = time.time()
            for worker in workers:
                worker.send_signal(signal.SIGCONT)
            wait_processed(app, warmup + args.messages, workers)
            cpu = sum(cpu_seconds(worker.pid) for worker in workers) - cpu_before
            busy, total = (a - b for a, b in zip(machine_jiffies(), machine_before, strict=True))
        with app.engine.connect() as connection:
            last, failed = connection.execute(
                select(
                    func.max(Message.processed_at), func.count().filter(Message.state == "failed")
                )
            ).one()
    finally:
        app.close()
    seconds = last.timestamp() - resumed
    return {
        "workers": count,
        "messages": args.messages,
        "seconds": seconds,
        "messages_per_s": args.messages / seconds,
        "failed": failed,
        "worker_cpu_ms_per_msg": cpu / args.messages * 1000,
        "worker_cores_busy": cpu / seconds,
        "machine_cpu_busy": busy / total,
        "worker_rss_mb_after_warmup": warm_rss,
    }


@contextlib.contextmanager
def postgres(given: str | None) -> Iterator[str]:
    """The admin URL of the given server, or of a throwaway one started here."""
    if given:
        yield given
        return
    base = Path(tempfile.mkdtemp(prefix="bench-workers-pg-"))
    server = start_postgres(base)
    try:
        yield server.url("postgres")
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, object]:
    """Every worker count on its own fresh database."""
    runs = []
    with postgres(args.postgres_url) as admin_url:
        for count in args.counts:
            with fresh_database(admin_url) as url, tempfile.TemporaryDirectory() as directory:
                runs.append(measure(url, count, args, Path(directory)))
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    single = float(runs[0]["messages_per_s"])  # type: ignore[arg-type]
    for result in runs:
        result["speedup"] = float(result["messages_per_s"]) / single  # type: ignore[arg-type]
    return {"cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0], "runs": runs}


def record(result: dict[str, object], messages: int) -> None:
    """Append one row to bench/RESULTS.md."""
    runs: list[dict[str, float]] = result["runs"]  # type: ignore[assignment]
    rates = ", ".join(
        f"{r['workers']}: {r['messages_per_s']:.1f} msg/s (workers {r['worker_cores_busy']:.2f} "
        f"cores, machine {r['machine_cpu_busy']:.0%} busy)"
        for r in runs
    )
    speedups = ", ".join(f"×{r['workers']} {r['speedup']:.2f}" for r in runs[1:])
    append_row(
        "workers: `inbox-triage worker` ×N on PostgreSQL "
        f"(throwaway, fsync off), {messages} stored msgs per run, fresh db each",
        rates,
        "-",
        f"speed-up {speedups}; {result['cpus']} cores, load avg "
        f"{result['load_average_1m']:.1f} (shared machine)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="stored messages per run")
    parser.add_argument("--counts", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up messages per worker")
    parser.add_argument("--postgres-url", help="admin URL of an existing server to use")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    args.counts = [int(part) for part in args.counts.split(",")]
    result = run(args)
    print(json.dumps(result, indent=2))
    if args.record:
        record(result, args.messages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
