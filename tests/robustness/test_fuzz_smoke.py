"""Smoke run of the fuzz target bench/fuzz_parse.py, as CI runs it (about 10 s in all);
--long fuzzes each target for five minutes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.long_run import pick

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "fuzz_parse.py"
PARSE_SECONDS = pick(short=7, long=300)
PIPELINE_SECONDS = pick(short=3, long=300)


def _fuzz(tmp_path: Path, seconds: int, *args: str) -> dict[str, object]:
    crashes = tmp_path / "crashes"
    command = [sys.executable, str(SCRIPT), "--json", "--crashes", str(crashes)]
    result = subprocess.run(
        [*command, "--seconds", str(seconds), *args],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        cwd=ROOT,
    )
    summary = json.loads(result.stdout)
    print(
        f"fuzz {summary['target']}: {summary['iterations']} iterations in {summary['seconds']} s"
        f" ({summary['iterations_per_second']}/s), slowest {summary['slowest_seconds']} s,"
        f" {summary['exceptions']} exception(s)"
    )
    assert result.returncode == (1 if summary["exceptions"] else 0), result.stderr[-2000:]
    assert summary["findings"] == [], summary["findings"]
    assert not crashes.exists() or not any(crashes.iterdir())
    return summary


@pytest.mark.slow
def test_fuzzing_the_parser_finds_nothing(tmp_path: Path) -> None:
    """GIVEN the .eml fixtures mutated at random (fixed seed) WHEN parse_message runs on
    each for 7 s (300 s with --long) THEN no exception or broken invariant, hundreds of
    inputs, none slow."""
    summary = _fuzz(tmp_path, PARSE_SECONDS, "--seed", "20260302")
    assert summary["target"] == "parse" and summary["corpus"] >= 10
    assert summary["iterations"] >= 100  # ~150/s on the 2-core CI machine
    assert float(summary["slowest_seconds"]) < 10  # type: ignore[arg-type]


@pytest.mark.slow
def test_fuzzing_the_whole_processing_finds_nothing(tmp_path: Path) -> None:
    """GIVEN mutated fixtures WHEN each is stored and processed (SQLite) for 3 s (300 s
    with --long) THEN every one ends processed or failed with its reason, nothing raises."""
    summary = _fuzz(tmp_path, PIPELINE_SECONDS, "--seed", "7", "--target", "pipeline")
    assert summary["target"] == "pipeline"
    assert summary["iterations"] >= 10


def test_fuzz_replay_reproduces_a_case(tmp_path: Path) -> None:
    """GIVEN a case seed WHEN replayed twice THEN the same input bytes come out."""
    command = [sys.executable, str(SCRIPT), "--replay", "12345"]
    first = subprocess.run(command, capture_output=True, timeout=60, cwd=ROOT, check=True)
    second = subprocess.run(command, capture_output=True, timeout=60, cwd=ROOT, check=True)
    assert first.stdout == second.stdout and len(first.stdout) > 0
