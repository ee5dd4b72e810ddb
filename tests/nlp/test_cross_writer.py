"""A smoke run of scripts/cross_writer.py (the full run trains for many minutes)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "corpus"


def _writer_files(target: Path) -> None:
    """Two small "writers" per language, cut from training files (test files never used)."""
    target.mkdir()
    for name, source, count in (
        ("hu-a.jsonl", "hu-extra-a.jsonl", 90),
        ("hu-b.jsonl", "hu-extra-b.jsonl", 60),
        ("en-a.jsonl", "en-extra-b.jsonl", 90),
        ("en-b.jsonl", "en-extra-c.jsonl", 60),
    ):
        lines = (CORPUS / source).read_text(encoding="utf-8").splitlines()[:count]
        (target / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_held_out_writers_are_scored_against_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN corpus files of four writers WHEN two are held out THEN each language's table
    scores the baseline and the pipeline on exactly the held-out files."""
    _writer_files(tmp_path / "corpus")
    script = runpy.run_path(str(ROOT / "scripts" / "cross_writer.py"))
    code = script["main"](
        ["--corpus", str(tmp_path / "corpus"), "--hold-out", "hu-b.jsonl",
         "--hold-out", "en-b.jsonl", "--quick"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "### hu model: 60 held-out messages" in out and "### en model: 60" in out
    assert "| model | pooled | hu-b.jsonl |" in out and "hu-a.jsonl" not in out
    rows = [line for line in out.splitlines() if line.startswith(("| TF-IDF", "| spaCy"))]
    assert len(rows) == 4
    for row in rows:
        macro, privacy = (float(x) for x in row.split("|")[2].split("/"))
        assert 0.0 <= macro <= 1.0 and 0.0 < privacy <= 1.0


def test_test_files_cannot_be_held_out(tmp_path: Path) -> None:
    """GIVEN a file with test-split messages WHEN held out THEN refused: it is not a writer."""
    _writer_files(tmp_path / "corpus")
    row = json.loads((CORPUS / "hu-extra-a.jsonl").read_text(encoding="utf-8").splitlines()[0])
    (tmp_path / "corpus" / "hu-t.jsonl").write_text(
        json.dumps({**row, "id": "t-1", "split": "test"}) + "\n", encoding="utf-8"
    )
    script = runpy.run_path(str(ROOT / "scripts" / "cross_writer.py"))
    with pytest.raises(SystemExit) as exit_info:
        script["main"](["--corpus", str(tmp_path / "corpus"), "--hold-out", "hu-t.jsonl"])
    assert exit_info.value.code == 2
