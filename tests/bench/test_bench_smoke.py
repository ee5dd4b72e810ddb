"""Smoke runs of the production benchmarks at tiny sizes (never with --record)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def run_bench(script: str, *args: str) -> dict[str, object]:
    """Run one benchmark script to completion; return the JSON it prints."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_run_lists_every_benchmark() -> None:
    """GIVEN the scripts in bench/ WHEN `make bench` runs bench/run.py THEN it runs them all."""
    source = (BENCH / "run.py").read_text()
    for script in ("e2e_latency.py", "soak.py", "workers.py"):
        assert f'"{script}"' in source


@pytest.mark.slow
def test_e2e_latency_smoke() -> None:
    """GIVEN serve on SQLite WHEN a few requests arrive over SMTP
    THEN every one gets a draft and the latencies are reported."""
    result = run_bench("e2e_latency.py", "--rate", "5", "--duration", "1", "--warmup", "1")
    assert result["messages"] == 5
    assert result["drafts"] == 5 and result["failed"] == 0
    assert 0 < result["p50_s"] <= result["p95_s"] <= result["max_s"]  # type: ignore[operator]


@pytest.mark.slow
def test_soak_smoke() -> None:
    """GIVEN a short soak WHEN it runs THEN every message is processed and RSS is sampled."""
    result = run_bench(
        "soak.py", "--messages", "60", "--chunk", "20", "--sample-every", "20",
        "--baseline-at", "20",
    )  # fmt: skip
    assert result["states"] == {"processed": 60}
    assert [count for count, _ in result["samples"]] == [20, 40, 60]  # type: ignore[union-attr]
    assert result["rss_end_mb"] > 0  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.postgres
def test_workers_smoke(postgres_server: PostgresServer | str) -> None:
    """GIVEN PostgreSQL WHEN 1 and 2 workers drain a few stored messages
    THEN both runs finish without failures and report a rate."""
    admin = postgres_server
    if isinstance(postgres_server, PostgresServer):
        admin = postgres_server.url("postgres")
    result = run_bench(
        "workers.py", "--messages", "10", "--counts", "1,2", "--warmup", "1",
        "--postgres-url", admin,
    )  # fmt: skip
    runs = result["runs"]
    assert [run["workers"] for run in runs] == [1, 2]  # type: ignore[index, union-attr]
    assert all(run["failed"] == 0 and run["messages_per_s"] > 0 for run in runs)  # type: ignore
