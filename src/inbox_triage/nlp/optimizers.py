"""An optimizer that trains sparse n-gram weights with SGD and dense layers with Adam.

The hashed linear model needs plain SGD: Adam normalises every step, so an
n-gram seen once moves as far as a common one and rare n-grams overfit. The
CNN needs Adam. One spaCy component holds both (AveragedLinearCNN), and
spaCy passes one optimizer to it, so this one routes each parameter.
"""

from __future__ import annotations

from typing import Any

from spacy.util import registry
from thinc.api import Model, Optimizer

SPARSE_NODE_NAME = "sparse_linear"


class SparseDenseOptimizer:
    """Routes the parameters of SparseLinear nodes to `sparse`, all others to `dense`.

    `route(model)` must be called once, after the model is initialised and
    before the first update: node ids are known only then.
    """

    def __init__(self, sparse: Optimizer, dense: Optimizer) -> None:
        self.sparse = sparse
        self.dense = dense
        self.sparse_nodes: set[int] | None = None

    def route(self, model: Model) -> None:
        self.sparse_nodes = {
            node.id for node in model.walk() if node.name.startswith(SPARSE_NODE_NAME)
        }

    def __call__(self, key: tuple[int, str], weights: Any, gradient: Any, **kwargs: Any) -> Any:
        if self.sparse_nodes is None:
            raise RuntimeError("SparseDenseOptimizer.route(model) was not called")
        target = self.sparse if key[0] in self.sparse_nodes else self.dense
        return target(key, weights, gradient, **kwargs)

    @property
    def averages(self) -> dict[Any, Any] | None:
        """The parameter averages of either optimizer that keeps them."""
        merged = {**(self.sparse.averages or {}), **(self.dense.averages or {})}
        return merged or None


@registry.optimizers("inbox_triage.SparseDenseOptimizer.v1")
def sparse_dense_optimizer(sparse: Optimizer, dense: Optimizer) -> SparseDenseOptimizer:
    return SparseDenseOptimizer(sparse, dense)
