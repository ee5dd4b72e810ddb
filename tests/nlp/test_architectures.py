"""The averaged linear + CNN classifier and its SGD/Adam optimizer split."""

from __future__ import annotations

from typing import Any

import numpy
import pytest
import spacy
from thinc.api import Model

from inbox_triage.nlp.architectures import averaged_linear_cnn
from inbox_triage.nlp.configs import CONFIG_DIR
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.nlp.optimizers import SparseDenseOptimizer


def _fixed_scores(scores: list[list[float]], received: list[Any]) -> Model:
    """A branch that always outputs `scores` and keeps the gradient it is given."""

    def forward(model: Model, docs: Any, is_train: bool) -> tuple[Any, Any]:
        def backprop(d_scores: Any) -> list[Any]:
            received.append(d_scores)
            return []

        return numpy.asarray(scores, dtype="f"), backprop

    return Model("fixed_scores", forward, dims={"nO": len(scores[0])})


def test_each_branch_learns_from_its_own_loss_and_missing_labels_stay_untouched() -> None:
    """GIVEN branch scores and textcat's gradient (average - truth, 0 where a label is
    missing) WHEN backpropagated THEN each branch gets its own scores - truth, and 0 on
    the missing label."""
    linear_seen: list[Any] = []
    cnn_seen: list[Any] = []
    model = averaged_linear_cnn(
        _fixed_scores([[0.9, 0.2, 0.6]], linear_seen),
        _fixed_scores([[0.5, 0.4, 0.1]], cnn_seen),
        linear_weight=0.75,
    )
    scores, backprop = model(["doc"], is_train=True)
    numpy.testing.assert_allclose(scores, [[0.8, 0.25, 0.475]], rtol=1e-6)
    truth = numpy.asarray([[1.0, 0.0, 1.0]], dtype="f")
    gradient = scores - truth
    gradient[0, 2] = 0.0  # the third label is missing from the gold data
    backprop(gradient)
    numpy.testing.assert_allclose(linear_seen[0], [[-0.1, 0.2, 0.0]], atol=1e-6)
    numpy.testing.assert_allclose(cnn_seen[0], [[-0.5, 0.4, 0.0]], atol=1e-6)


def _averaged_pipeline() -> Any:
    config = spacy.util.load_config(CONFIG_DIR / "textcat_averaged.cfg")
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    textcat = nlp.get_pipe("textcat_multilabel")
    for label in RIGHTS:
        textcat.add_label(label)
    return nlp


def test_sparse_weights_take_sgd_steps_and_the_cnn_takes_adam_steps() -> None:
    """GIVEN the averaged pipeline WHEN its optimizer is routed THEN the SparseLinear
    parameters get a plain SGD step (learn rate x gradient) and the CNN's get Adam's."""
    from spacy.training import Example

    nlp = _averaged_pipeline()
    doc = nlp.make_doc("Kérem, töröljék az adataimat.")
    cats = {label: float(label == "erasure") for label in RIGHTS}
    sample = Example.from_dict(doc, {"cats": cats})
    optimizer = nlp.initialize(lambda: [sample])
    assert isinstance(optimizer, SparseDenseOptimizer)
    with pytest.raises(RuntimeError, match="route"):
        optimizer((0, "W"), numpy.zeros(2, "f"), numpy.ones(2, "f"))
    model = nlp.get_pipe("textcat_multilabel").model
    optimizer.route(model)
    sparse = [node for node in model.walk() if node.name == "sparse_linear"]
    assert len(sparse) == 1 and optimizer.sparse_nodes == {sparse[0].id}
    dense_id = next(n.id for n in model.walk() if n.name != "sparse_linear" and n.param_names)

    weights, gradient = numpy.zeros(3, "f"), numpy.full(3, 0.5, "f")
    stepped, _ = optimizer((sparse[0].id, "W"), weights.copy(), gradient.copy())
    numpy.testing.assert_allclose(stepped, -0.2 * gradient)  # SGD, learn rate 0.2
    stepped, _ = optimizer((dense_id, "W"), weights.copy(), gradient.copy())
    numpy.testing.assert_allclose(stepped, numpy.full(3, -0.001), rtol=1e-3)  # Adam's first step
    assert optimizer.averages and set(optimizer.averages) == {(dense_id, "W")}


def test_training_lowers_the_loss_of_both_branches() -> None:
    """GIVEN a handful of labelled mails WHEN the averaged pipeline trains a few epochs
    THEN both branches score the gold labels better than at the start."""
    from spacy.training import Example

    nlp = _averaged_pipeline()
    texts = {
        "Kérem, töröljék az összes személyes adatomat.": "erasure",
        "Küldjék el a rólam tárolt adatok másolatát.": "access",
        "Nem kérek több hírlevelet, tiltakozom.": "objection",
        "Lejárt a domainem, hogyan hosszabbítsam meg?": None,
    }
    samples = [
        Example.from_dict(nlp.make_doc(text), {"cats": {r: float(r == right) for r in RIGHTS}})
        for text, right in texts.items()
    ]
    optimizer = nlp.initialize(lambda: samples)
    model = nlp.get_pipe("textcat_multilabel").model
    optimizer.route(model)
    truth = numpy.asarray([[float(r == right) for r in RIGHTS] for right in texts.values()])
    docs = [nlp.make_doc(text) for text in texts]

    def branch_losses() -> list[float]:
        return [float(((layer.predict(docs) - truth) ** 2).sum()) for layer in model.layers]

    before = branch_losses()
    for _ in range(15):
        nlp.update(samples, sgd=optimizer)
    after = branch_losses()
    assert after[0] < before[0] * 0.5 and after[1] < before[1] * 0.8


def test_a_saved_averaged_pipeline_loads_and_scores_the_same(tmp_path: Any) -> None:
    """GIVEN an initialised averaged pipeline saved to disk WHEN loaded again THEN it
    gives the same scores (both branches and the linear weight survive the round trip)."""
    from spacy.training import Example

    nlp = _averaged_pipeline()
    cats = {label: float(label == "access") for label in RIGHTS}
    sample = Example.from_dict(nlp.make_doc("Küldjék el az adataimat."), {"cats": cats})
    optimizer = nlp.initialize(lambda: [sample])
    optimizer.route(nlp.get_pipe("textcat_multilabel").model)
    for _ in range(3):
        nlp.update([sample], sgd=optimizer)
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    text = "Kérem a rólam tárolt adatok másolatát."
    assert loaded(text).cats == pytest.approx(nlp(text).cats)
    model = loaded.get_pipe("textcat_multilabel").model
    assert model.name == "averaged_linear_cnn" and model.attrs["linear_weight"] == 0.7
