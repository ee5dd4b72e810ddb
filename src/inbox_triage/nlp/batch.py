"""`classify FILE.eml --json` and `classify DIR --jsonl`: parse, detect, classify.

The model loads once; a directory is classified in batches so a large
backlog goes through at full speed. Nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from inbox_triage.errors import UsageError
from inbox_triage.mail.parse import parse_message
from inbox_triage.nlp.classify import Classifier
from inbox_triage.nlp.language import detect_language

BATCH_SIZE = 256


def classify_paths(
    path: Path, jsonl: bool, out: TextIO, classifier: Classifier | None = None
) -> int:
    """Classify one file (JSON) or every .eml of a directory (JSON Lines)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
        classifier = classifier or Classifier.load()
        for batch in _batches(files):
            for file, result in zip(batch, _classify_files(classifier, batch), strict=True):
                out.write(json.dumps({"file": file.name, **result}, ensure_ascii=False) + "\n")
        return 0
    if not path.is_file():
        raise UsageError(f"{path}: no such file or directory")
    if jsonl:
        raise UsageError("--jsonl needs a directory; use --json for one file")
    result = _classify_files(classifier or Classifier.load(), [path])[0]
    out.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


def _batches(files: list[Path]) -> Iterator[list[Path]]:
    for start in range(0, len(files), BATCH_SIZE):
        yield files[start : start + BATCH_SIZE]


def _classify_files(classifier: Classifier, files: list[Path]) -> list[dict[str, object]]:
    items = []
    for file in files:
        try:
            raw = file.read_bytes()
        except OSError as error:
            raise UsageError(f"{file}: cannot read: {error.strerror}") from None
        parsed = parse_message(raw)
        language = detect_language(parsed.subject, parsed.new_text)
        items.append((language, parsed.subject, parsed.new_text))
    return [result.to_json() for result in classifier.classify_many(items)]
