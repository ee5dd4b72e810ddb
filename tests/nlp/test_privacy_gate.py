"""The privacy gate: when the privacy_request output overrules the per-label thresholds."""

from __future__ import annotations

from inbox_triage.nlp.classify import uncertain_labels
from inbox_triage.nlp.labels import PRIVACY_REQUEST, RIGHTS
from inbox_triage.nlp.metrics import NEVER, PrivacyGate, decide, tune_privacy_gate

THRESHOLDS = dict.fromkeys(RIGHTS, 0.5) | {"objection": 0.4}


def _scores(request: float | None = None, **rights: float) -> dict[str, float]:
    scores = dict.fromkeys(RIGHTS, 0.05) | rights
    if request is not None:
        scores[PRIVACY_REQUEST] = request
    return scores


def test_a_confident_request_with_no_right_over_threshold_takes_the_likeliest_right() -> None:
    """GIVEN no right over its threshold but privacy_request over raise_at THEN the right
    closest to its own threshold (score / threshold) is taken, not the highest score."""
    gate = PrivacyGate(raise_at=0.7, drop_below=0.1)
    scores = _scores(0.8, erasure=0.45, objection=0.38)
    assert decide(scores, THRESHOLDS) == set()
    assert decide(scores, THRESHOLDS, gate) == {"objection"}  # 0.38/0.4 > 0.45/0.5
    assert decide(_scores(0.6, erasure=0.45), THRESHOLDS, gate) == set()  # under raise_at


def test_rights_on_mail_that_is_clearly_no_request_are_dropped() -> None:
    """GIVEN a right over its threshold but privacy_request under drop_below THEN no right;
    above drop_below the thresholds stand."""
    gate = PrivacyGate(raise_at=NEVER, drop_below=0.2)
    assert decide(_scores(0.1, erasure=0.6), THRESHOLDS, gate) == set()
    assert decide(_scores(0.3, erasure=0.6), THRESHOLDS, gate) == {"erasure"}


def test_without_a_privacy_request_output_the_thresholds_alone_decide() -> None:
    """GIVEN scores of an older pipeline (no privacy_request) THEN the gate changes nothing
    and tuning returns no gate."""
    gate = PrivacyGate(raise_at=0.3, drop_below=0.9)
    assert decide(_scores(None, erasure=0.6), THRESHOLDS, gate) == {"erasure"}
    assert tune_privacy_gate([{"erasure"}], [_scores(None, erasure=0.6)], THRESHOLDS) is None


def test_tuning_finds_the_gate_dev_asks_for_and_otherwise_overrules_nothing() -> None:
    """GIVEN dev mail where under-threshold requests have high privacy_request scores
    THEN the tuned gate raises them and keeps the true negatives; GIVEN dev mail the
    thresholds already get right THEN the tuned gate is the no-op one."""
    missed = [_scores(0.9, objection=0.3), _scores(0.85, erasure=0.4)]
    negatives = [_scores(0.2, erasure=0.3), _scores(0.4), _scores(0.1)]
    gold = [{"objection"}, {"erasure"}, set(), set(), set()]
    gate = tune_privacy_gate(gold, missed + negatives, THRESHOLDS)
    assert gate is not None and 0.4 < gate.raise_at <= 0.85
    assert [decide(s, THRESHOLDS, gate) for s in missed + negatives] == gold

    easy = [_scores(0.9, erasure=0.9), _scores(0.2)]
    assert tune_privacy_gate([{"erasure"}, set()], easy, THRESHOLDS) == PrivacyGate()


def test_a_decision_the_gate_made_or_nearly_made_goes_to_a_person() -> None:
    """GIVEN the gate overruled the thresholds, or privacy_request sits near the bound
    that applies THEN privacy_request is among the uncertain outputs; far from it, not."""
    gate = PrivacyGate(raise_at=0.7, drop_below=0.1)
    assert PRIVACY_REQUEST in uncertain_labels(_scores(0.95, erasure=0.3), THRESHOLDS, gate)
    assert PRIVACY_REQUEST in uncertain_labels(_scores(0.6), THRESHOLDS, gate)
    assert uncertain_labels(_scores(0.2), THRESHOLDS, gate) == []
    assert uncertain_labels(_scores(0.9, erasure=0.9), THRESHOLDS, gate) == []
