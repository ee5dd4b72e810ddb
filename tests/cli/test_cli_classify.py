"""`classify` through the real program: a fresh process loads the shipped models."""

from __future__ import annotations

import json
from pathlib import Path

from support.mail import build_message
from support.process import cli_environment, run_cli

from inbox_triage.nlp.labels import RIGHTS

ACCESS = "Hello,\n\nplease send me a copy of all the personal data you hold about me.\n"
GERMAN = "Guten Tag,\n\nbitte löschen Sie alle meine personenbezogenen Daten.\n\nMfG\nJ. Huber\n"
SUPPORT = "Sziasztok, a webmail nem enged belépni, elfelejtettem a jelszavamat. Segítenétek?\n"


def test_classify_one_file_prints_the_contract_shape(tmp_path: Path) -> None:
    """GIVEN an English access request WHEN `classify FILE --json` runs in its own process
    THEN the shipped English model answers (not the unavailable-model fallback)."""
    path = tmp_path / "access.eml"
    path.write_bytes(build_message(body=ACCESS, subject="My data"))
    result = run_cli(cli_environment(tmp_path / "data", ""), "classify", str(path), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"language", "rights", "scores", "needs_review"}
    assert answer["language"] == "en" and "access" in answer["rights"]
    assert list(answer["scores"]) == list(RIGHTS)
    assert "unavailable" not in result.stderr


def test_classify_directory_loads_once_and_routes_german_to_english(tmp_path: Path) -> None:
    """GIVEN a Hungarian support mail and a German erasure request WHEN `classify DIR --jsonl`
    THEN one line per file in name order; German is answered by the English model, flagged."""
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "a.eml").write_bytes(build_message(body=SUPPORT, subject="Jelszó"))
    (tmp_path / "mail" / "b.eml").write_bytes(build_message(body=GERMAN, subject="Löschung"))
    result = run_cli(
        cli_environment(tmp_path / "data", ""), "classify", str(tmp_path / "mail"), "--jsonl"
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["file"].endswith("a.eml") and first["rights"] == []
    assert second["language"] == "de" and second["rights"] == ["erasure"]
    assert second["needs_review"] is True
