"""The GDPR-right classifier at run time: trained spaCy pipelines from models/.

One pipeline per language (hu, en); any other language goes through the
English one and is flagged for review. Decisions use per-label thresholds
and the privacy gate (metrics.PrivacyGate), tuned on the dev split and stored
beside each model. A missing or broken model never crashes processing: the
message is routed to human review.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox_triage.context import AppContext
from inbox_triage.errors import ModelError
from inbox_triage.mail.parsed import ParsedMail
from inbox_triage.nlp.labels import PRIVACY_REQUEST, RIGHTS
from inbox_triage.nlp.metrics import PrivacyGate, decide
from inbox_triage.nlp.text import model_input
from inbox_triage.resources import resource_path

log = logging.getLogger(__name__)

MODEL_LANGUAGES = ("hu", "en")
FALLBACK_LANGUAGE = "en"
META_FILE = "inbox_triage.json"
FORMAT_VERSION = 1
REVIEW_MARGIN = 0.15


@dataclass(frozen=True)
class Classification:
    """The rights a message invokes, with every right's score."""

    language: str
    rights: tuple[str, ...]
    scores: dict[str, float]
    needs_review: bool
    review_reasons: tuple[str, ...] = ()
    model_version: str | None = None
    request_score: float | None = None  # the privacy_request output, when the model has it

    def to_json(self) -> dict[str, Any]:
        """The `classify --json` shape."""
        return {
            "language": self.language,
            "rights": sorted(self.rights),
            "scores": {label: round(self.scores.get(label, 0.0), 4) for label in RIGHTS},
            "needs_review": self.needs_review,
        }


@dataclass
class LanguageModel:
    """One loaded pipeline with its decision thresholds."""

    nlp: Any
    thresholds: dict[str, float]
    version: str
    gate: PrivacyGate | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scores(self, texts: list[str]) -> list[dict[str, float]]:
        """Each right's score, and privacy_request's when the pipeline has that output."""
        with self.lock:
            docs = list(self.nlp.pipe(texts, batch_size=64))
        return [output_scores(doc.cats) for doc in docs]


def output_scores(cats: dict[str, float]) -> dict[str, float]:
    """A doc's ten right scores, and privacy_request's when the pipeline has that output."""
    scores = {label: float(cats.get(label, 0.0)) for label in RIGHTS}
    if PRIVACY_REQUEST in cats:
        scores[PRIVACY_REQUEST] = float(cats[PRIVACY_REQUEST])
    return scores


def load_language_model(directory: Path) -> LanguageModel:
    """Load one pipeline and check its meta; raise ModelError when unusable."""
    import spacy

    from inbox_triage.nlp import architectures  # noqa: F401  (the pipelines' own layers)

    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise ModelError(f"no trained model in {directory} (run `inbox-triage train`)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ModelError(
                f"model in {directory} has format {meta.get('format')!r}, "
                f"this version reads {FORMAT_VERSION}"
            )
        nlp = spacy.load(directory)
    except ModelError:
        raise
    except Exception as error:
        raise ModelError(f"model in {directory} cannot be loaded: {error}") from error
    thresholds = {label: float(meta["thresholds"].get(label, 0.5)) for label in RIGHTS}
    gate = PrivacyGate.from_json(meta["privacy_gate"]) if "privacy_gate" in meta else None
    return LanguageModel(nlp, thresholds, str(meta.get("version")), gate)


def model_language_of(language: str) -> str:
    """The pipeline that classifies `language`: its own, or the English fallback."""
    return language if language in MODEL_LANGUAGES else FALLBACK_LANGUAGE


class Classifier:
    """Both language pipelines, loaded once per process."""

    def __init__(self, models: dict[str, LanguageModel], problems: dict[str, str]) -> None:
        self.models = models
        self.problems = problems

    @classmethod
    def load(cls, root: Path | None = None) -> Classifier:
        root = root or resource_path("models")
        models: dict[str, LanguageModel] = {}
        problems: dict[str, str] = {}
        for language in MODEL_LANGUAGES:
            try:
                models[language] = load_language_model(root / language)
            except ModelError as error:
                log.error("classifier for %s unavailable: %s", language, error)
                problems[language] = str(error)
        return cls(models, problems)

    def classify_many(self, items: list[tuple[str, str, str]]) -> list[Classification]:
        """Classify (language, subject, new_text) triples, batching per model."""
        results: list[Classification | None] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for index, (language, _, _) in enumerate(items):
            groups.setdefault(model_language_of(language), []).append(index)
        for model_language, indexes in groups.items():
            model = self.models.get(model_language)
            if model is None:
                for index in indexes:
                    results[index] = _unavailable(items[index][0], self.problems[model_language])
                continue
            texts = [model_input(items[i][1], items[i][2]) for i in indexes]
            for index, scores in zip(indexes, model.scores(texts), strict=True):
                results[index] = _decide(items[index][0], model_language, scores, model)
        return [result for result in results if result is not None]

    def classify(self, language: str, subject: str, new_text: str) -> Classification:
        return self.classify_many([(language, subject, new_text)])[0]


def _decide(
    language: str, model_language: str, scores: dict[str, float], model: LanguageModel
) -> Classification:
    rights = tuple(sorted(decide(scores, model.thresholds, model.gate)))
    reasons: list[str] = []
    if language != model_language:
        reasons.append(f"no model for language {language!r}; used {model_language!r}")
    uncertain = uncertain_labels(scores, model.thresholds, model.gate)
    if uncertain:
        reasons.append("uncertain: " + ", ".join(uncertain))
    return Classification(
        language,
        rights,
        {label: scores[label] for label in RIGHTS},
        bool(reasons),
        tuple(reasons),
        model.version,
        scores.get(PRIVACY_REQUEST),
    )


def uncertain_labels(
    scores: dict[str, float], thresholds: dict[str, float], gate: PrivacyGate | None = None
) -> list[str]:
    """Outputs too close to their bound to decide without a person.

    A right near its threshold; privacy_request near the gate bound that
    applies, or whenever the gate overruled the thresholds.
    """
    labels = [label for label in RIGHTS if abs(scores[label] - thresholds[label]) < REVIEW_MARGIN]
    request_score = scores.get(PRIVACY_REQUEST)
    if gate is None or request_score is None:
        return labels
    by_thresholds = decide(scores, thresholds)
    bound = gate.drop_below if by_thresholds else gate.raise_at
    if (
        abs(request_score - bound) < REVIEW_MARGIN
        or decide(scores, thresholds, gate) != by_thresholds
    ):
        labels.append(PRIVACY_REQUEST)
    return labels


def _unavailable(language: str, problem: str) -> Classification:
    return Classification(
        language,
        (),
        {label: 0.0 for label in RIGHTS},
        True,
        (f"classifier unavailable: {problem}",),
        None,
    )


def get_classifier(app: AppContext) -> Classifier:
    """The process-wide classifier of this context (loaded on first use)."""
    return app.cached("classifier", Classifier.load)


def classify_parsed(app: AppContext, parsed: ParsedMail, language: str) -> Classification:
    """Classify the sender's own new text of a parsed message."""
    return get_classifier(app).classify(language, parsed.subject, parsed.new_text)
