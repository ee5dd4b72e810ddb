"""Multi-label metrics for the evaluation report and threshold tuning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from inbox_triage.nlp.labels import RIGHTS

THRESHOLD_GRID = tuple(round(0.05 * step, 2) for step in range(2, 19))


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
    """Per label, the threshold with the best dev F1 (the lowest on a tie: recall first)."""
    thresholds = {}
    for label in RIGHTS:
        truth = [label in g for g in gold]
        if sum(truth) < 3:
            thresholds[label] = 0.5
            continue
        best = (-1.0, 0.5)
        for threshold in THRESHOLD_GRID:
            predicted = [s[label] >= threshold for s in scores]
            tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
            fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
            fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
            f1 = _f1(tp, fp, fn)[2]
            if f1 > best[0] + 1e-9:
                best = (f1, threshold)
        thresholds[label] = best[1]
    return thresholds


def decide(scores: dict[str, float], thresholds: dict[str, float]) -> set[str]:
    """The labels whose score reaches their threshold."""
    return {label for label in RIGHTS if scores[label] >= thresholds[label]}
