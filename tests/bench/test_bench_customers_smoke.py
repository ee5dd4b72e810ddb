"""Smoke run of the customer import and matching benchmark at a tiny size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_customer_benchmark_smoke() -> None:
    """GIVEN 2,000 generated customers WHEN the benchmark runs THEN it imports them, times the
    matching, and finds the right customer for every sample message."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "customers.py"), "--rows",
                             "2000"], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    values = dict(line.split(": ") for line in result.stdout.strip().splitlines())
    assert float(values["import_s"]) > 0 and float(values["match_median_ms"]) > 0
    assert float(values["found_share"]) == 1.0
