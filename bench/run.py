"""Run every benchmark with its default size and record the results in bench/RESULTS.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "smtp_intake.py",
    "classify_throughput.py",
    "e2e_latency.py",
    "customers.py",
    "queue_load.py",
    "workers.py",
    "soak.py",  # the long one (about an hour on the 2-core development machine): last
]


def main() -> int:
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        subprocess.run([sys.executable, str(HERE / name), "--record"], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
