"""Registered spaCy/thinc architectures of the rights classifier.

`inbox_triage.HashedNgramBOW.v1` is the TF-IDF + linear baseline rebuilt inside
spaCy: every document becomes a sparse vector of hashed word uni-/bigrams and
character 2-5-grams taken inside word boundaries (sklearn's ``char_wb``), with
sublinear term frequency and one L2 normalisation per feature group, scored by
thinc's SparseLinear (each key hashed into two buckets) and a logistic output.
Character n-grams see the stems of Hungarian words whatever suffixes follow,
and survive typos and missing accents. It can stand alone or be the
``linear_model`` of ``spacy.TextCatEnsemble.v2``.

The module must be imported before a pipeline that uses it is built or loaded
(train.py and classify.py import it).
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any, cast

import numpy
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import hash_string
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, with_cpu
from thinc.layers.resizable import resize_linear_weighted

from inbox_triage.nlp import optimizers  # noqa: F401  (registers the training optimizer)

NEG_VALUE = -5000
_CHAR_SEED_PREFIX = "\x01"


@registry.architectures("inbox_triage.HashedNgrams.v1")
def hashed_ngrams(
    word_ngrams: int = 2,
    char_min: int = 2,
    char_max: int = 5,
    word_weight: float = 1.0,
    char_weight: float = 1.0,
    feature_dropout: float = 0.0,
) -> Model:
    """Docs -> (keys, values, lengths) for SparseLinear: words and char_wb n-grams."""
    model: Model = Model(
        "hashed_ngrams",
        _ngrams_forward,
        attrs={
            "word_ngrams": word_ngrams,
            "char_min": char_min,
            "char_max": char_max,
            "word_weight": word_weight,
            "char_weight": char_weight,
            # not "dropout_rate": nlp.update(drop=...) would overwrite that one
            "feature_dropout": feature_dropout,
        },
    )
    return model


@lru_cache(maxsize=200_000)
def _char_keys(word: str, lo: int, hi: int) -> numpy.ndarray:
    """Hashes of the char n-grams of one space-padded word (sklearn's char_wb)."""
    padded = f" {word} "
    grams = [padded[i : i + n] for n in range(lo, hi + 1) for i in range(len(padded) - n + 1)]
    return numpy.fromiter(
        (hash_string(_CHAR_SEED_PREFIX + g) for g in grams), dtype="uint64", count=len(grams)
    )


def _weighted(keys: numpy.ndarray, weight: float) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Unique keys with sublinear tf values, L2-normalised and scaled by `weight`."""
    if not len(keys):
        return keys, numpy.zeros((0,), dtype="f")
    unique, counts = numpy.unique(keys, return_counts=True)
    values = 1.0 + numpy.log(counts.astype("f"))
    values *= weight / numpy.sqrt((values**2).sum())
    return unique, values.astype("f")


def _ngrams_forward(model: Model, docs: list[Any], is_train: bool) -> tuple[Any, Any]:
    ops = model.ops
    drop = float(model.attrs["feature_dropout"]) if is_train else 0.0
    lo, hi = model.attrs["char_min"], model.attrs["char_max"]
    batch_keys = []
    batch_vals = []
    for doc in docs:
        words = [t for t in doc if not (t.is_punct or t.is_space)]
        orths = numpy.asarray([t.orth for t in words], dtype="uint64")
        word_parts = [orths]
        for n in range(2, model.attrs["word_ngrams"] + 1):
            if len(orths) >= n:
                word_parts.append(numpy.asarray(ops.ngrams(n, orths), dtype="uint64"))
        word_keys = numpy.concatenate(word_parts) if word_parts else orths
        char_parts = [_char_keys(t.text, lo, hi) for t in doc if not t.is_space]
        char_keys = (
            numpy.concatenate(char_parts) if char_parts else numpy.zeros((0,), dtype="uint64")
        )
        if drop:
            word_keys = word_keys[numpy.random.random(len(word_keys)) >= drop]
            char_keys = char_keys[numpy.random.random(len(char_keys)) >= drop]
        wk, wv = _weighted(word_keys, model.attrs["word_weight"])
        ck, cv = _weighted(char_keys, model.attrs["char_weight"])
        batch_keys.append(numpy.concatenate([wk, ck]))
        batch_vals.append(numpy.concatenate([wv, cv]))
    lengths = numpy.asarray([len(k) for k in batch_keys], dtype="int32")
    keys = numpy.ascontiguousarray(
        numpy.concatenate(batch_keys) if batch_keys else numpy.zeros((0,), "uint64"),
        dtype="uint64",
    )
    vals = numpy.ascontiguousarray(
        numpy.concatenate(batch_vals) if batch_vals else numpy.zeros((0,), "f"), dtype="f"
    )

    def backprop(_: Any) -> list[Any]:
        return []

    return (keys, vals, lengths), backprop


@registry.architectures("inbox_triage.HashedNgramBOW.v1")
def hashed_ngram_bow(
    exclusive_classes: bool = False,
    word_ngrams: int = 2,
    char_min: int = 2,
    char_max: int = 5,
    word_weight: float = 1.0,
    char_weight: float = 1.0,
    feature_dropout: float = 0.0,
    length: int = 262144,
    nO: int | None = None,
) -> Model:
    """Hashed word + char_wb n-grams >> SparseLinear >> Logistic (a multi-label BOW)."""
    if exclusive_classes:
        raise ValueError("inbox_triage.HashedNgramBOW.v1 is multi-label only")
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model = resizable(
        sparse_linear,
        resize_layer=partial(resize_linear_weighted, fill_defaults={"b": NEG_VALUE, "W": 0}),
    )
    extractor = hashed_ngrams(
        word_ngrams, char_min, char_max, word_weight, char_weight, feature_dropout
    )
    model = with_cpu(chain(extractor, resizable_layer), extractor.ops)
    model = chain(model, with_cpu(Logistic(), extractor.ops))
    if nO is not None:
        model.set_dim("nO", cast(int, nO))
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = True
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model


@registry.architectures("inbox_triage.PositiveWeighted.v1")
def positive_weighted(model: Model, positive_weight: float = 1.0) -> Model:
    """`model` unchanged at prediction time; in training, missed positives weigh more.

    textcat_multilabel's gradient is ``score - truth``: negative exactly where the
    gold label is present. Scaling those entries by `positive_weight` is a
    class-weighted log loss (like sklearn's class_weight), which lifts the
    recall of the rarer rights without touching the prediction path.
    """
    wrapper: Model = Model(
        "positive_weighted",
        _positive_forward,
        init=_positive_init,
        layers=[model],
        attrs={"positive_weight": positive_weight, "multi_label": model.attrs["multi_label"]},
        dims={"nO": model.maybe_get_dim("nO")},
    )
    for name in model.ref_names:
        if model.has_ref(name):
            wrapper.set_ref(name, model.get_ref(name))
    return wrapper


def _positive_init(model: Model, X: Any = None, Y: Any = None) -> Model:
    inner = model.layers[0]
    inner.initialize(X=X, Y=Y)
    model.set_dim("nO", inner.get_dim("nO"), force=True)
    return model


def _positive_forward(model: Model, docs: Any, is_train: bool) -> tuple[Any, Any]:
    scores, backprop_inner = model.layers[0](docs, is_train)
    weight = model.attrs["positive_weight"]

    def backprop(d_scores: Any) -> Any:
        if weight != 1.0:
            d_scores = model.ops.xp.where(d_scores < 0, d_scores * weight, d_scores)
        return backprop_inner(d_scores)

    return scores, backprop


@registry.architectures("inbox_triage.AveragedLinearCNN.v1")
def averaged_linear_cnn(linear_model: Model, cnn_model: Model, linear_weight: float = 0.7) -> Model:
    """``linear_weight`` x the linear model's scores + the rest x the CNN's.

    Each branch is trained on its own log loss against the gold labels (not on
    the loss of the average), so each is a full classifier on its own and the
    average is a two-model ensemble in one spaCy component. The hashed linear
    model reads n-grams; the CNN reads word shapes and affixes in context, and
    the two err on different messages (configs/textcat_averaged.cfg).
    """
    model: Model = Model(
        "averaged_linear_cnn",
        _averaged_forward,
        init=_averaged_init,
        layers=[linear_model, cnn_model],
        attrs={"linear_weight": linear_weight, "multi_label": True},
        dims={"nO": linear_model.maybe_get_dim("nO")},
    )
    return model


def _averaged_init(model: Model, X: Any = None, Y: Any = None) -> Model:
    for layer in model.layers:
        layer.initialize(X=X, Y=Y)
    model.set_dim("nO", model.layers[0].get_dim("nO"), force=True)
    return model


def _averaged_forward(model: Model, docs: Any, is_train: bool) -> tuple[Any, Any]:
    weight = model.attrs["linear_weight"]
    linear, backprop_linear = model.layers[0](docs, is_train)
    cnn, backprop_cnn = model.layers[1](docs, is_train)
    scores = weight * linear + (1.0 - weight) * cnn

    def backprop(d_scores: Any) -> list[Any]:
        # textcat_multilabel's gradient is scores - truth, zero where a label
        # is missing from the gold data; recover the truth and give each branch
        # its own gradient (branch scores - truth) under the same mask.
        truth = scores - d_scores
        known = d_scores != 0
        backprop_linear(model.ops.xp.where(known, linear - truth, 0.0))
        backprop_cnn(model.ops.xp.where(known, cnn - truth, 0.0))
        return []

    return scores, backprop
