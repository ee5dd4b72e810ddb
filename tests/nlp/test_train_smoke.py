"""A small smoke run of `inbox-triage train` (full training is not part of CI)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from inbox_triage.errors import UsageError
from inbox_triage.nlp.classify import Classifier
from inbox_triage.nlp.train import report_models, train_all

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


def _small_corpus(target: Path) -> None:
    """A few examples of every language and split, sampled with a fixed seed."""
    rows = [json.loads(line) for file in sorted(CORPUS.glob("*.jsonl"))
            for line in file.read_text(encoding="utf-8").splitlines()]  # fmt: skip
    rng = random.Random(5)
    rng.shuffle(rows)
    picked: list[dict[str, object]] = []
    for language, counts in (("hu", (80, 30, 30)), ("en", (80, 30, 30)), ("de", (20, 5, 10))):
        for split, count in zip(("train", "dev", "test"), counts, strict=True):
            picked += [r for r in rows if r["language"] == language and r["split"] == split][:count]
    target.mkdir()
    (target / "sample.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in picked) + "\n", encoding="utf-8"
    )


def test_train_writes_loadable_models_and_the_report(tmp_path: Path) -> None:
    """GIVEN a small corpus WHEN trained quickly THEN both pipelines load with their meta and
    thresholds, the English one also learnt the German examples, and EVAL.md compares them
    with the baseline per test language."""
    _small_corpus(tmp_path / "corpus")
    evaluations = train_all(tmp_path / "corpus", tmp_path / "models", quick=True)
    assert set(evaluations) == {"hu", "en", "de (through the en model)"}
    assert evaluations["de (through the en model)"].size == 10
    report = (tmp_path / "models" / "EVAL.md").read_text(encoding="utf-8")
    assert "| macro-F1 (ten labels) |" in report and "baseline" in report
    assert "## de (through the en model)" in report
    german = evaluations["de (through the en model)"]
    assert german.flagged == 10 and german.wrong_flagged == german.wrong  # no German model
    assert "| flagged needs_review |" in report and "hu privacy gate (tuned on dev)" in report
    meta = json.loads((tmp_path / "models" / "hu" / "inbox_triage.json").read_text())
    assert meta["corpus_examples"] == 80 + 30 and len(meta["thresholds"]) == 10  # train + dev
    assert set(meta["privacy_gate"]) == {"raise_at", "drop_below"}
    english = json.loads((tmp_path / "models" / "en" / "inbox_triage.json").read_text())
    assert english["corpus_examples"] == 110 + 25
    classifier = Classifier.load(tmp_path / "models")
    assert classifier.problems == {}
    result = classifier.classify("hu", "Adataim", "Kérem, töröljék az adataimat.")
    assert set(result.scores) == set(meta["labels"])  # the ten rights, not privacy_request
    assert result.request_score is not None and 0.0 <= result.request_score <= 1.0


def test_training_twice_gives_byte_identical_models(tmp_path: Path) -> None:
    """GIVEN the same corpus WHEN trained twice THEN both runs write the same model bytes
    (fixed seeds: `inbox-triage train` is reproducible)."""
    _small_corpus(tmp_path / "corpus")
    train_all(tmp_path / "corpus", tmp_path / "first", quick=True)
    train_all(tmp_path / "corpus", tmp_path / "second", quick=True)
    for language in ("hu", "en"):
        first = tmp_path / "first" / language
        second = tmp_path / "second" / language
        files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
        for name in files:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_report_only_rescores_saved_models_after_test_data_is_added(tmp_path: Path) -> None:
    """GIVEN trained models WHEN a test file is added and `train --report-only` runs THEN
    EVAL.md counts the new test messages without retraining; changed train data is refused."""
    _small_corpus(tmp_path / "corpus")
    train_all(tmp_path / "corpus", tmp_path / "models", quick=True)
    model_bytes = (tmp_path / "models" / "hu" / "textcat_multilabel" / "model").read_bytes()
    rows = [json.loads(line) for line in (tmp_path / "corpus" / "sample.jsonl").read_text(
        encoding="utf-8").splitlines()]  # fmt: skip
    extra = [{**r, "id": f"new-{i}", "split": "test"} for i, r in enumerate(rows[:12])]
    (tmp_path / "corpus" / "more-test.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in extra) + "\n", encoding="utf-8"
    )
    evaluations = report_models(tmp_path / "corpus", tmp_path / "models")
    hungarian_extra = sum(r["language"] == "hu" for r in extra)
    assert hungarian_extra and evaluations["hu"].size == 30 + hungarian_extra
    assert (tmp_path / "models" / "hu" / "textcat_multilabel" / "model").read_bytes() == model_bytes
    (tmp_path / "corpus" / "more-train.jsonl").write_text(
        json.dumps({**rows[0], "id": "new-train", "split": "train"}) + "\n", encoding="utf-8"
    )
    with pytest.raises(UsageError, match="retrain"):
        report_models(tmp_path / "corpus", tmp_path / "models")
