"""Smoke runs of the intake and classification benchmarks at tiny sizes (never --record)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> dict[str, float]:
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": path})  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_smtp_intake_benchmark_smoke() -> None:
    """GIVEN 40 messages WHEN the intake benchmark runs THEN both sides report a rate."""
    result = _run("smtp_intake.py", "--messages", "40", "--rounds", "1")
    assert result["bare_msgs_per_s"] > 0 and result["product_msgs_per_s"] > 0
    assert result["ratio"] == result["product_msgs_per_s"] / result["bare_msgs_per_s"]


def test_classify_benchmark_smoke() -> None:
    """GIVEN 30 corpus messages as .eml files WHEN classified THEN one line per file is timed."""
    result = _run("classify_throughput.py", "--messages", "30")
    assert result["messages"] == 30 and result["messages_per_s"] > 0
    assert 0 < result["model_load_s"] < 60
