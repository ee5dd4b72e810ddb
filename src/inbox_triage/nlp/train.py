"""`inbox-triage train`: the per-language spaCy pipelines, their thresholds and EVAL.md.

Reproducible: fixed seeds, the committed config in nlp/configs/, and the
corpus hash recorded in each model's meta. Thresholds are tuned on the dev
split with a model trained on the train split; the shipped model is then
trained again, same seed and epochs, on train + dev. The test split is only
ever used for the report.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from inbox_triage import __version__
from inbox_triage.errors import UsageError
from inbox_triage.nlp import architectures  # noqa: F401  (registers inbox_triage.* layers)
from inbox_triage.nlp.classify import (
    FORMAT_VERSION,
    META_FILE,
    MODEL_LANGUAGES,
    load_language_model,
    model_language_of,
    output_scores,
    uncertain_labels,
)
from inbox_triage.nlp.configs import CONFIG_DIR, CONFIGS, DEFAULT_ARCHITECTURE
from inbox_triage.nlp.corpus import Example, corpus_hash, load_corpus
from inbox_triage.nlp.labels import MODEL_LABELS, PRIVACY_REQUEST, RIGHTS
from inbox_triage.nlp.metrics import (
    PrivacyGate,
    decide,
    dev_score,
    tune_privacy_gate,
    tune_thresholds,
)
from inbox_triage.nlp.optimizers import SparseDenseOptimizer
from inbox_triage.nlp.report import Evaluation, evaluate, write_report

log = logging.getLogger(__name__)

SEED = 20261125


@dataclass(frozen=True)
class TrainingPlan:
    """How long and with which architecture to train."""

    architecture: str = DEFAULT_ARCHITECTURE
    epochs: int = 30
    dropout: float = 0.2
    batch_size: int = 16
    refit_with_dev: bool = True
    # Early stopping: the train-only model is scored on dev after every epoch;
    # the best epoch gives the thresholds and the epoch count of the refit.
    early_stopping: bool = True


def train_all(
    corpus_dir: Path,
    output_dir: Path,
    quick: bool = False,
    architecture: str = DEFAULT_ARCHITECTURE,
) -> dict[str, Evaluation]:
    """Train every model language, write the models and models/EVAL.md.

    A model learns from every example routed to it at run time: the English
    one also from the German (and any other) examples, since it is their
    fallback. The test split is never read until the models are saved.
    """
    examples = load_corpus(corpus_dir)
    learnt = [e for e in examples if e.split != "test"]
    data_hash = corpus_hash(learnt)
    plan = TrainingPlan(architecture=architecture, epochs=3 if quick else TrainingPlan.epochs)
    for language in MODEL_LANGUAGES:
        subset = [e for e in learnt if model_language_of(e.language) == language]
        train = [e for e in subset if e.split == "train"]
        dev = [e for e in subset if e.split == "dev"]
        nlp, thresholds, gate = fit_language(language, train, dev, plan)
        save_model(nlp, output_dir / language, thresholds, gate, data_hash, plan, len(subset))
    return report_models(corpus_dir, output_dir)


def report_models(corpus_dir: Path, output_dir: Path) -> dict[str, Evaluation]:
    """Score the saved models on the corpus's test split, next to the baseline; write EVAL.md.

    Run by `train`, and on its own (`train --report-only`) when test data is
    added: the models must have learnt from exactly this corpus's train and
    dev splits, which their recorded corpus hash checks.
    """
    examples = load_corpus(corpus_dir)
    data_hash = corpus_hash([e for e in examples if e.split != "test"])
    evaluations: dict[str, Evaluation] = {}
    baselines: dict[str, Evaluation | None] = {}
    sizes: dict[str, int] = {}
    gates: dict[str, PrivacyGate | None] = {}
    model_architectures: set[str] = set()
    per_language = Counter(e.language for e in examples)
    for language in MODEL_LANGUAGES:
        model = load_language_model(output_dir / language)
        meta = json.loads((output_dir / language / META_FILE).read_text(encoding="utf-8"))
        if meta.get("corpus_sha256") != data_hash:
            raise UsageError(
                f"the model in {output_dir / language} learnt from other train/dev data than"
                f" {corpus_dir} holds: retrain with `inbox-triage train`"
            )
        model_architectures.add(str(meta.get("architecture")))
        gates[language] = model.gate
        subset = [e for e in examples if model_language_of(e.language) == language]
        by_split = {s: [e for e in subset if e.split == s] for s in ("train", "dev", "test")}
        test = by_split["test"]
        test_scores = predict_scores(model.nlp, test)
        predicted = [decide(s, model.thresholds, model.gate) for s in test_scores]
        flagged = [
            e.language != language or bool(uncertain_labels(s, model.thresholds, model.gate))
            for e, s in zip(test, test_scores, strict=True)
        ]
        baseline = baseline_predictions(by_split)
        for test_language in sorted({e.language for e in test}, key=_report_order):
            indexes = [i for i, e in enumerate(test) if e.language == test_language]
            section = (
                test_language
                if test_language == language
                else f"{test_language} (through the {language} model)"
            )
            sizes[section] = per_language[test_language]
            examples_in = [test[i] for i in indexes]
            evaluations[section] = evaluate(
                examples_in, [predicted[i] for i in indexes], [flagged[i] for i in indexes]
            )
            baselines[section] = (
                evaluate(examples_in, [baseline[i] for i in indexes]) if baseline else None
            )
    write_report(
        output_dir / "EVAL.md",
        evaluations,
        baselines,
        data_hash,
        " / ".join(sorted(model_architectures)),
        sizes,
        gates,
    )
    return evaluations


def fit_language(
    language: str, train: list[Example], dev: list[Example], plan: TrainingPlan
) -> tuple[Any, dict[str, float], PrivacyGate | None]:
    """The shipped recipe for one language: tune on dev, then refit on train + dev.

    The epoch count, thresholds and privacy gate come from the train-only run
    scored on dev; the returned pipeline is the refit with that epoch count.
    """
    nlp, epochs, decision = train_pipeline(language, train, plan, dev=dev)
    assert decision is not None  # tuned on dev
    thresholds, gate = decision
    log.info("%s: %d epochs chosen on dev, gate %s", language, epochs, gate)
    if plan.refit_with_dev:
        nlp, _, _ = train_pipeline(language, train + dev, plan, epochs=epochs)
    return nlp, thresholds, gate


def _report_order(language: str) -> tuple[int, str]:
    """Model languages first, then the fallback languages alphabetically."""
    return (0 if language in MODEL_LANGUAGES else 1, language)


def train_pipeline(
    language: str,
    train: list[Example],
    plan: TrainingPlan,
    dev: list[Example] | None = None,
    epochs: int | None = None,
) -> tuple[Any, int, tuple[dict[str, float], PrivacyGate | None] | None]:
    """A blank `language` pipeline with textcat_multilabel, trained with fixed seeds.

    The pipeline learns the ten rights and `privacy_request` (any right at all).
    With `dev`, thresholds are tuned on it after every epoch and, with early
    stopping, the epoch with the best dev score is kept; the privacy gate is
    tuned on that epoch's dev scores. Returns the pipeline, its epoch count and
    the dev thresholds and gate (None without dev).
    """
    import spacy
    from spacy.training import Example as SpacyExample
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(SEED)
    rng = random.Random(SEED)
    config_file = CONFIGS.get(plan.architecture, f"textcat_{plan.architecture}.cfg")
    config = spacy.util.load_config(CONFIG_DIR / config_file, overrides={"nlp.lang": language})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    textcat = nlp.get_pipe("textcat_multilabel")
    for label in MODEL_LABELS:
        textcat.add_label(label)
    samples = [SpacyExample.from_dict(nlp.make_doc(e.text), {"cats": _cats(e)}) for e in train]
    optimizer = nlp.initialize(lambda: samples)
    if isinstance(optimizer, SparseDenseOptimizer):
        optimizer.route(textcat.model)
    total = epochs or plan.epochs
    gold = [set(e.rights) for e in dev] if dev else []
    best = _BestEpoch(epoch=total)
    for epoch in tqdm(range(1, total + 1), desc=f"train {language}", unit="epoch", leave=False):
        rng.shuffle(samples)
        for batch in minibatch(samples, size=plan.batch_size):
            nlp.update(batch, sgd=optimizer, drop=plan.dropout)
        if dev and (plan.early_stopping or epoch == total):
            with _final_params(nlp, optimizer):
                scores = predict_scores(nlp, dev)
                thresholds = tune_thresholds(gold, scores)
                value = dev_score(gold, scores, thresholds)
                log.info("%s epoch %d: dev score %.4f", language, epoch, value)
                if value > best.score + 1e-9 or not plan.early_stopping:
                    snapshot = nlp.to_bytes() if plan.early_stopping else None
                    best = _BestEpoch(value, epoch, thresholds, snapshot, scores)
    if best.snapshot is None and optimizer.averages:
        with nlp.use_params(optimizer.averages):
            best.snapshot = nlp.to_bytes()
    if best.snapshot is not None:
        nlp.from_bytes(best.snapshot)
    nlp.meta["inbox_triage_dev_score"] = best.score
    if best.thresholds is None:
        return nlp, best.epoch, None
    gate = tune_privacy_gate(gold, best.dev_scores, best.thresholds)
    return nlp, best.epoch, (best.thresholds, gate)


@dataclass
class _BestEpoch:
    """The epoch early stopping keeps: its dev score, thresholds, weights and dev scores."""

    score: float = -1.0
    epoch: int = 0
    thresholds: dict[str, float] | None = None
    snapshot: bytes | None = None
    dev_scores: list[dict[str, float]] = field(default_factory=list)


def _cats(example: Example) -> dict[str, float]:
    """The gold outputs: each right, and privacy_request when any right is there."""
    cats = {label: float(label in example.rights) for label in RIGHTS}
    cats[PRIVACY_REQUEST] = float(bool(example.rights))
    return cats


def _final_params(nlp: Any, optimizer: Any) -> Any:
    """The averaged weights when the optimizer keeps averages (use_averages), else as is."""
    from contextlib import nullcontext

    return nlp.use_params(optimizer.averages) if optimizer.averages else nullcontext()


def predict_scores(nlp: Any, examples: list[Example]) -> list[dict[str, float]]:
    """Every output's score for each example (privacy_request when the pipeline has it)."""
    return [output_scores(doc.cats) for doc in nlp.pipe([e.text for e in examples], batch_size=64)]


def save_model(
    nlp: Any,
    directory: Path,
    thresholds: dict[str, float],
    gate: PrivacyGate | None,
    data_hash: str,
    plan: TrainingPlan,
    size: int,
) -> None:
    """Write the pipeline and its meta (version, data hash, thresholds)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    nlp.meta["name"] = "inbox_triage_rights"
    nlp.meta["version"] = __version__
    nlp.to_disk(directory)
    meta = {
        "format": FORMAT_VERSION,
        "version": f"{__version__}+{data_hash[:12]}",
        "language": nlp.lang,
        "architecture": plan.architecture,
        "epochs": plan.epochs,
        "seed": SEED,
        "corpus_sha256": data_hash,
        "corpus_examples": size,
        "labels": list(RIGHTS),
        "thresholds": thresholds,
    }
    if gate is not None:
        meta["privacy_gate"] = gate.to_json()
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def baseline_predictions(by_split: dict[str, list[Example]]) -> list[set[str]] | None:
    """TF-IDF + logistic regression on the same splits (needs scikit-learn, a dev extra).

    Returns its label sets for the test split, in order.
    """
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline, make_union
    except ImportError:
        log.warning("scikit-learn not installed: the baseline is left out of EVAL.md")
        return None

    def fit(examples: list[Example]) -> Any:
        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        )
        model = make_pipeline(
            features,
            OneVsRestClassifier(LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")),
        )
        matrix = [[float(label in e.rights) for label in RIGHTS] for e in examples]
        return model.fit([e.text for e in examples], matrix)

    def scores(model: Any, examples: list[Example]) -> list[dict[str, float]]:
        rows = model.predict_proba([e.text for e in examples])
        return [dict(zip(RIGHTS, map(float, row), strict=True)) for row in rows]

    model = fit(by_split["train"])
    dev_gold = [set(e.rights) for e in by_split["dev"]]
    thresholds = tune_thresholds(dev_gold, scores(model, by_split["dev"]))
    model = fit(by_split["train"] + by_split["dev"])
    return [decide(s, thresholds) for s in scores(model, by_split["test"])]
