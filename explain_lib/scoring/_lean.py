"""Copies of fitted explainers that keep only what explaining new rows needs.

A scoring explainer travels to a server or a Spark executor, so it must not carry the training
data it was built from. Each explainer kind has one function here that returns a shallow copy of
it (the original is never changed) without its training rows:

* ``TreeShap``: the trees (and, for ``output="probability"``, its <= ``n_background`` sampled rows).
* ``LinearShap``: the coefficients and the background *mean* (one row), which is all the
  interventional closed form uses; ``correlation_dependent`` keeps its background (it needs the
  covariance).
* ``KernelShap``: the model and its background summary (<= ``n_background`` weighted rows).
* ``MimicExplainer``: the fitted surrogate and how raw rows become its inputs; the teacher model,
  its training rows and the augmented rows are dropped (a linear surrogate keeps their mean).
* ``DeepShap``: the network and its background summary (<= ``n_background`` weighted rows).
* ``TabularExplainer``: its transformation, feature map and the lean copy of the method it chose.

A new explainer kind becomes scorable by adding its function to ``_LEANERS``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..data import Tabular
from ..errors import UnsupportedModelError
from ..explainers import DeepShap, KernelShap, LinearShap, MimicExplainer, TabularExplainer, TreeShap
from ..explainers._base import Explainer

__all__ = ["lean_copy"]


def _as_is(explainer: Explainer) -> Explainer:
    return copy.copy(explainer)


def _linear(explainer: LinearShap) -> LinearShap:
    lean = copy.copy(explainer)
    if explainer.feature_perturbation == "interventional":  # the closed form reads only the mean
        lean.background = Tabular(explainer.mean.reshape(1, -1).copy(), explainer.background.features)
        lean.background_weights = np.ones(1)
    return lean


def _mimic(explainer: MimicExplainer) -> MimicExplainer:
    if explainer.shap_values_output == "teacher_probability":
        raise UnsupportedModelError(
            "shap_values_output='teacher_probability' rescales each row by the teacher model's own "
            "probabilities, so it needs the teacher at scoring time. Build the scoring explainer from a "
            "MimicExplainer with shap_values_output='default' or 'probability' (the surrogate's own)."
        )
    lean = copy.copy(explainer)  # the surrogate was trained at construction: scoring never needs the teacher
    lean.model = None
    lean._teacher = None
    lean._examples = None
    lean._surrogate_explainer = lean_copy(explainer._surrogate_explainer)  # a linear one keeps only the mean
    return lean


def _tabular(explainer: TabularExplainer) -> TabularExplainer:
    lean = copy.copy(explainer)
    lean.explainer = lean_copy(explainer.explainer)
    return lean


_LEANERS: dict[type, Callable[[Any], Explainer]] = {
    TreeShap: _as_is,
    KernelShap: _as_is,
    DeepShap: _as_is,
    LinearShap: _linear,
    MimicExplainer: _mimic,
    TabularExplainer: _tabular,
}


def lean_copy(explainer: Any) -> Explainer:
    """A copy of a fitted explainer without its training data (see the module docstring)."""
    for kind, make in _LEANERS.items():
        if isinstance(explainer, kind):
            return make(explainer)
    name = type(explainer).__name__
    if name == "PFIExplainer":
        raise UnsupportedModelError(
            "PFIExplainer gives global importances only (a metric's drop over a whole data set), so it cannot "
            "explain single rows at scoring time. Build the scoring explainer from TabularExplainer, TreeShap, "
            "LinearShap, KernelShap, DeepShap or MimicExplainer."
        )
    raise UnsupportedModelError(
        f"A scoring explainer is built from a fitted TabularExplainer, TreeShap, LinearShap, KernelShap, DeepShap "
        f"or MimicExplainer, not {name}. To start from a model, use ScoringExplainer.from_model(model, background)."
    )
