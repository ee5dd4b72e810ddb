"""Multi-label metrics, and the decision rule tuned on dev: thresholds and the privacy gate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from inbox_triage.nlp.labels import PRIVACY_REQUEST, RIGHTS

THRESHOLD_GRID = tuple(round(0.05 * step, 2) for step in range(2, 19))
NEVER = 1.01  # a gate bound no sigmoid score reaches
RAISE_GRID = (*THRESHOLD_GRID[4:], NEVER)
DROP_GRID = (0.0, *THRESHOLD_GRID[:8])


@dataclass(frozen=True)
class PrivacyGate:
    """When the model's own "privacy request at all?" score overrules the per-label thresholds.

    A request phrased in an unusual way often scores under every right's
    threshold while its privacy_request score, learnt from all rights' examples
    together, is high: then the likeliest right is taken (`raise_at`). Rights
    that pass their thresholds on a mail whose privacy_request score is very low
    are dropped (`drop_below`). Both bounds are tuned on the dev split.
    """

    raise_at: float = NEVER
    drop_below: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {"raise_at": self.raise_at, "drop_below": self.drop_below}

    @classmethod
    def from_json(cls, data: dict[str, float]) -> PrivacyGate:
        return cls(float(data["raise_at"]), float(data["drop_below"]))


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall and F1 of one label."""

    precision: float
    recall: float
    f1: float
    support: int


def _f1(true_positive: int, false_positive: int, false_negative: int) -> tuple[float, float, float]:
    precision = (
        true_positive / (true_positive + false_positive) if true_positive + false_positive else 0.0
    )
    recall = (
        true_positive / (true_positive + false_negative) if true_positive + false_negative else 0.0
    )
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def label_scores(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> dict[str, LabelScore]:
    """Per-label precision/recall/F1."""
    result = {}
    for label in RIGHTS:
        tp = sum(label in g and label in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, predicted, strict=True))
        result[label] = LabelScore(*_f1(tp, fp, fn), support=tp + fn)
    return result


def macro_f1(scores: dict[str, LabelScore]) -> float:
    """Mean F1 over labels that occur in the gold data."""
    present = [score.f1 for score in scores.values() if score.support]
    return sum(present) / len(present) if present else 0.0


def privacy_f1(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> float:
    """F1 of 'is a privacy request' (non-empty set) against 'is not'."""
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(bool(g) and bool(p) for g, p in pairs)
    fp = sum(not g and bool(p) for g, p in pairs)
    fn = sum(bool(g) and not p for g, p in pairs)
    return _f1(tp, fp, fn)[2]


def exact_accuracy(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> float:
    """Share of messages whose whole label set is right."""
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0


def confusions(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> Counter[tuple[str, str]]:
    """(gold label or 'none', wrongly predicted label or 'none') pair counts."""
    counts: Counter[tuple[str, str]] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        missed = (g - p) or ({"none"} if p - g else set())
        extra = (p - g) or ({"none"} if g - p else set())
        for m in missed:
            for e in extra:
                counts[(m, e)] += 1
    return counts


def tune_thresholds(
    gold: Sequence[set[str]], scores: Sequence[dict[str, float]]
) -> dict[str, float]:
    """Per-label thresholds tuned on dev, shrunk halfway towards one global threshold.

    Dev sets hold only a handful of examples per label, so a threshold tuned for
    one label alone follows the noise of those few examples; the global
    threshold (best macro-F1 over all labels) is stable but blind to labels that
    score differently. Their midpoint did best on held-out data (models/EVAL.md).
    """
    shared = global_threshold(gold, scores)
    thresholds = {}
    for label in RIGHTS:
        truth = [label in g for g in gold]
        if sum(truth) < 3:
            thresholds[label] = shared
            continue
        best = (-1.0, shared)
        for threshold in THRESHOLD_GRID:
            predicted = [s[label] >= threshold for s in scores]
            f1 = _f1(*_counts(truth, predicted))[2]
            if f1 > best[0] + 1e-9:
                best = (f1, threshold)
        thresholds[label] = round((best[1] + shared) / 2, 3)
    return thresholds


def global_threshold(gold: Sequence[set[str]], scores: Sequence[dict[str, float]]) -> float:
    """The one threshold for every label with the best dev macro-F1 (lowest on a tie)."""
    best = (-1.0, 0.5)
    for threshold in THRESHOLD_GRID:
        predicted = [decide(s, dict.fromkeys(RIGHTS, threshold)) for s in scores]
        value = macro_f1(label_scores(gold, predicted))
        if value > best[0] + 1e-9:
            best = (value, threshold)
    return best[1]


def _counts(truth: list[bool], predicted: list[bool]) -> tuple[int, int, int]:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    return tp, fp, fn


def decide(
    scores: dict[str, float], thresholds: dict[str, float], gate: PrivacyGate | None = None
) -> set[str]:
    """The labels whose score reaches their threshold, then the privacy gate if any."""
    rights = {label for label in RIGHTS if scores[label] >= thresholds[label]}
    request_score = scores.get(PRIVACY_REQUEST)
    if gate is None or request_score is None:
        return rights
    if rights and request_score < gate.drop_below:
        return set()
    if not rights and request_score >= gate.raise_at:
        return {max(RIGHTS, key=lambda label: scores[label] / thresholds[label])}
    return rights


def tune_privacy_gate(
    gold: Sequence[set[str]], scores: Sequence[dict[str, float]], thresholds: dict[str, float]
) -> PrivacyGate | None:
    """The gate with the best dev score; on a tie the one that overrules least.

    None when the scores have no privacy_request output (older pipelines).
    """
    if not scores or PRIVACY_REQUEST not in scores[0]:
        return None
    best = (-1.0, PrivacyGate())
    for raise_at in reversed(RAISE_GRID):
        for drop_below in DROP_GRID:
            gate = PrivacyGate(raise_at, drop_below)
            value = dev_score(gold, scores, thresholds, gate)
            if value > best[0] + 1e-9:
                best = (value, gate)
    return best[1]


def dev_score(
    gold: Sequence[set[str]],
    scores: Sequence[dict[str, float]],
    thresholds: dict[str, float],
    gate: PrivacyGate | None = None,
) -> float:
    """What early stopping and the gate maximise: macro-F1 + half the privacy-vs-not F1."""
    predicted = [decide(s, thresholds, gate) for s in scores]
    return macro_f1(label_scores(gold, predicted)) + 0.5 * privacy_f1(gold, predicted)
