"""The labelled corpus under data/corpus/: loading, validation and its hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from inbox_triage.errors import UsageError
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.nlp.text import model_input

SPLITS = ("train", "dev", "test")
REQUIRED = {"id", "language", "subject", "body", "rights", "split"}


@dataclass(frozen=True)
class Example:
    """One labelled message of the corpus."""

    id: str
    language: str
    subject: str
    body: str
    rights: tuple[str, ...]
    split: str
    #: The corpus file it came from: one file is one writer's work.
    source: str = field(default="", compare=False)

    @property
    def text(self) -> str:
        """What the model sees: subject and the sender's new text (never quoted history)."""
        return model_input(self.subject, self.body)


def load_corpus(directory: Path) -> list[Example]:
    """Every example of every .jsonl file, validated; bad lines are named."""
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise UsageError(f"{directory}: no corpus files (*.jsonl)")
    examples: list[Example] = []
    seen: set[str] = set()
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            example = _parse_line(line, f"{file.name}:{number}", file.name)
            if example.id in seen:
                raise UsageError(f"{file.name}:{number}: duplicate id {example.id!r}")
            seen.add(example.id)
            examples.append(example)
    return examples


def _parse_line(line: str, where: str, source: str = "") -> Example:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise UsageError(f"{where}: not valid JSON: {error.msg}") from None
    missing = REQUIRED - set(data)
    if missing:
        raise UsageError(f"{where}: missing keys {sorted(missing)}")
    unknown = [right for right in data["rights"] if right not in RIGHTS]
    if unknown:
        raise UsageError(f"{where}: unknown rights {unknown}")
    if data["split"] not in SPLITS:
        raise UsageError(f"{where}: split must be one of {SPLITS}")
    return Example(
        str(data["id"]),
        data["language"],
        data["subject"] or "",
        data["body"] or "",
        tuple(sorted(data["rights"])),
        data["split"],
        source,
    )


def corpus_hash(examples: list[Example]) -> str:
    """SHA-256 over the examples' content, recorded in each model's meta."""
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda e: e.id):
        digest.update(
            json.dumps(
                [
                    example.id,
                    example.language,
                    example.subject,
                    example.body,
                    example.rights,
                    example.split,
                ]
            ).encode("utf-8")
        )
    return digest.hexdigest()
