"""Classification throughput: `inbox-triage classify DIR --jsonl` over a backlog.

Writes N .eml files built from the corpus (subject + body, quoted history
included where the corpus has it) and runs the real command once, timing
the whole run including parsing and language detection; model load time is
measured separately in a fresh process.

    python bench/classify_throughput.py [--messages 2000] [--record]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from results import append_row

ROOT = Path(__file__).resolve().parent.parent


def write_backlog(directory: Path, count: int) -> None:
    lines = []
    for file in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        lines += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    for number in range(count):
        item = lines[number % len(lines)]
        message = EmailMessage()
        message["From"] = f"sender{number}@example.hu"
        message["To"] = "info@clmaster.eu"
        message["Subject"] = item["subject"]
        message["Message-ID"] = f"<bench-{number}@example.hu>"
        body = item["body"] + ("\n\n" + item["quoted"] if item.get("quoted") else "")
        message.set_content(body)
        (directory / f"{number:05d}.eml").write_bytes(message.as_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    command = [sys.executable, "-m", "inbox_triage"]
    with tempfile.TemporaryDirectory() as directory:
        backlog = Path(directory)
        write_backlog(backlog, args.messages)
        load_probe = (
            "import time; t=time.perf_counter();"
            "from inbox_triage.nlp.classify import Classifier; Classifier.load();"
            "print(time.perf_counter()-t)"
        )
        load_seconds = float(
            subprocess.run(
                [sys.executable, "-c", load_probe], check=True, capture_output=True, text=True
            ).stdout
        )
        started = time.perf_counter()
        result = subprocess.run(
            [*command, "classify", str(backlog), "--jsonl"],
            check=True,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
    lines = result.stdout.splitlines()
    assert len(lines) == args.messages, "every file must produce one line"
    report = {
        "messages": args.messages,
        "seconds": elapsed,
        "messages_per_s": args.messages / elapsed,
        "model_load_s": load_seconds,
    }
    print(json.dumps(report, indent=2))
    if args.record:
        append_row(
            f"classify DIR --jsonl, {args.messages} msgs (whole command incl. start-up)",
            f"{report['messages_per_s']:.0f} msg/s",
            f"model load {load_seconds:.2f} s",
            "-",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
