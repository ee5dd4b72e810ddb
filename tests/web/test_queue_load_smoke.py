"""The queue load benchmark (bench/queue_load.py) runs and reports its numbers, in small."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "queue_load.py"


def test_queue_load_benchmark_reports_median_and_p95() -> None:
    """GIVEN 200 cases and 20 requests WHEN the benchmark runs without --record THEN it
    prints the median and 95th percentile response times, and RESULTS.md is untouched."""
    results = BENCH.parent / "RESULTS.md"
    before = results.read_text(encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--cases", "200", "--requests", "20", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    report = json.loads(finished.stdout)
    assert report["cases"] == 200 and report["requests"] == 20
    assert 0 < report["median_ms"] <= report["p95_ms"] <= report["max_ms"]
    assert report["requests_per_s"] > 0
    assert results.read_text(encoding="utf-8") == before
