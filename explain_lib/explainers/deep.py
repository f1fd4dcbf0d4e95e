"""Deep SHAP for PyTorch tabular networks: DeepLIFT's rescale rule averaged over a background."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np

from .._validation import check_positive_int
from ..data import as_weights
from ..errors import InvalidParameterError, UnsupportedModelError
from ..explanation import Explanation
from ..models import check_fitted, infer_task, torch_network
from ._background import summarize, unwrap_summary
from ._base import Explainer, binary_pair, resolve_classes
from ._deeplift import Network, deeplift_values, import_torch, unsupported_module

__all__ = ["DeepShap"]

_OUTPUTS = ("auto", "margin", "probability")
_CHECK_ROWS = 8  # background rows on which our reading of the network is compared with its own forward()


class DeepShap(Explainer):
    """SHAP values of a PyTorch network by Deep SHAP (Lundberg & Lee 2017), as ``shap.DeepExplainer``.

    For a row ``x`` and each background row ``r``, DeepLIFT's rescale rule gives multipliers ``m``
    with ``sum_j m_j (x_j - r_j) = f(x) - f(r)``; the SHAP values are their weighted average::

        local[k, i, j] = sum_b w_b * m_kj(x_i, r_b) * (x_ij - r_bj)
        expected[k]    = sum_b w_b * f_k(r_b)

    so ``local.sum(-1) + expected == f(x)`` (additivity) up to float64 rounding. For a network
    without nonlinearities the values are exactly the interventional SHAP values (those of
    LinearShap). Every nonlinearity of the network gets the rescale multiplier (softmax: the
    exponential by the rescale rule, the division by the Shapley values of its two inputs); the
    network is traced with ``torch.fx`` and evaluated here in float64, so the model itself is never
    touched (no hooks, no mode switch, no ``requires_grad`` change). BatchNorm1d and Dropout are
    explained as in eval mode, whatever mode the model is in. An operation not handled is refused
    by name, never approximated.

    Parameters
    ----------
    model : torch.nn.Module, or a scikit-learn-style wrapper holding one as ``module_`` (skorch),
        whose ``classes_`` and task are then used. The network takes one 2-D float tensor of rows.
    background : array-like
        Reference rows (numeric). More than ``n_background`` rows are summarized by weighted k-means,
        as KernelShap does; ``params["background_summary"]`` says so.
    output : {"auto", "margin", "probability"}
        ``"auto"``: what the network returns — probabilities when it ends in a softmax or a sigmoid,
        else its raw output (logits of a classifier: ``"margin"``; a regressor: ``"raw"``).
        ``"margin"``: the network without its final softmax / sigmoid (the logits).
        ``"probability"``: the network's probabilities — its own final softmax / sigmoid, or one
        appended to its logits (softmax for several outputs, sigmoid for one).
    max_batch_pairs : int
        At most this many (row, background row) pairs are evaluated in one pass (memory bound).

    Notes
    -----
    A network that ends in a softmax or a sigmoid is a classifier; one with one output and no
    final activation a regressor, and with several outputs a classifier explained on its logits
    (pass ``model_task=`` to override). A binary classifier with one output is reported as two
    classes, class 0's values the negation of class 1's (margin) or of ``1 - p`` (probability).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from explain_lib import DeepShap
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).double()
    >>> explanation = DeepShap(net, X[:20]).explain(X[:3])
    >>> explanation.task, explanation.output_space
    ('regression', 'raw')
    >>> output = net(torch.tensor(X[:3])).detach().numpy()[:, 0]
    >>> bool(np.allclose(explanation.local[0].sum(axis=1) + explanation.expected[0], output))  # additivity
    True
    """

    method = "shap.deep"

    @staticmethod
    def supports(network: Any) -> bool:
        """Whether every layer of ``network`` (a ``torch.nn.Module``) is one the rescale rule propagates through
        (:func:`~explain_lib.explainers._deeplift.unsupported_module`); TabularExplainer asks before choosing
        DeepShap, and explains any other network with KernelShap."""
        return unsupported_module(network) is None

    def __init__(self, model: Any, background: Any, *, output: str = "auto", n_background: int = 100,
                 max_batch_pairs: int = 20_000, background_weights: Any = None, features: Any = None,
                 classes: Any = None, model_task: str = "auto", random_state: int | None = 0):
        check_fitted(model)
        network = torch_network(model)  # torch is loaded whenever a network exists
        if network is None:
            raise UnsupportedModelError(
                f"DeepShap explains torch.nn.Module networks (or wrappers holding one as module_), not "
                f"{type(model).__name__}. Use KernelShap for other models, or TabularExplainer to choose."
            )
        if output not in _OUTPUTS:
            raise InvalidParameterError(f"output must be one of {_OUTPUTS}, got {output!r}.")
        check_positive_int(n_background, "n_background", allow_none=False)
        check_positive_int(max_batch_pairs, "max_batch_pairs", allow_none=False)
        super().__init__(model, features=features, classes=None, model_task=model_task)
        self.network = network
        self.output = output
        self.n_background = n_background
        self.max_batch_pairs = max_batch_pairs
        self.random_state = random_state
        background, background_weights, given_summary = unwrap_summary(background, background_weights)
        tab = self._check_rows(background, name="background", allow_nan=False, numeric=True)
        weights = as_weights(background_weights, tab.n_rows)
        if given_summary:
            self.background, self.background_weights, self.summary = tab, weights, "given"
        else:
            self.background, self.background_weights, self.summary = summarize(tab, weights, n_background,
                                                                                random_state)
        # rows are checked against the background: its width, and a DataFrame's column order (reordered by name)
        self._input = dataclasses.replace(self._input, n_features=tab.n_features, allow_nan=False,
                                          feature_names=tab.features if tab.is_frame else None)
        graph = Network(network)
        width = self._check_forward(graph)
        self.final_activation = graph.final
        self.task = self._task(model, model_task, graph.final, width)
        self.head, self.output_space = self._head(graph.final, width)
        self.classes = resolve_classes(self.task, model, classes, max(width, 2))
        if self.task == "classification" and width > 1 and len(self.classes) != width:
            raise InvalidParameterError(
                f"The network has {width} outputs but there are {len(self.classes)} classes; pass classes= with "
                "one label per output."
            )
        if self.task == "regression" and width > 1:
            raise UnsupportedModelError(
                f"DeepShap does not explain multi-target regressors ({width} outputs); explain one output at a "
                "time, or pass model_task='classification' if the outputs are class scores."
            )

    def _check_forward(self, graph: Network) -> int:
        """The network's output width, after checking our reading of it against its own eval-mode forward()."""
        torch = import_torch()
        sample = self.background.to_numpy().astype(np.float64)[:_CHECK_ROWS]
        with torch.no_grad():
            ours = graph.run(torch.as_tensor(sample), n_ref=len(sample), head="as_is")
            twin = copy.deepcopy(self.network).eval()  # a copy: the model's own mode is never switched
            for module in twin.modules():  # and the user's hooks (shared closures) never see the copy run
                for hooks in (module._forward_hooks, module._forward_pre_hooks, module._backward_hooks,
                              module._backward_pre_hooks):
                    hooks.clear()
            dtype = next((p.dtype for p in twin.parameters() if p.is_floating_point()), torch.float32)
            device = next((p.device for p in twin.parameters()), torch.device("cpu"))
            theirs = twin(torch.as_tensor(sample, dtype=dtype, device=device))
        ours = ours.reshape(len(sample), -1).numpy()
        theirs = theirs.detach().to("cpu", torch.float64).reshape(len(sample), -1).numpy()
        tolerance = 1e-4 if dtype == torch.float32 else 1e-8
        if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=tolerance, atol=tolerance):
            raise UnsupportedModelError(
                f"DeepShap's reading of {type(self.network).__name__}.forward() does not reproduce its output "
                "on the background rows, so its values would be wrong. Explain this model with "
                "KernelShap(predict_function, background)."
            )
        return ours.shape[1]

    @staticmethod
    def _task(model: Any, model_task: str, final: str | None, width: int) -> str:
        wrapper_task = None if torch_network(model) is model else infer_task(model, model_task)
        if wrapper_task is not None:
            return wrapper_task
        task = infer_task(model, model_task) if model_task != "auto" else None
        if task is not None:
            return task
        return "classification" if final is not None or width > 1 else "regression"

    def _head(self, final: str | None, width: int) -> tuple[str, str]:
        """How the network's end is run ("as_is", "without", "softmax", "sigmoid") and the output space."""
        if self.task == "regression":
            if self.output != "auto":
                raise InvalidParameterError(f"output={self.output!r} applies to classifiers; this is a regressor.")
            return "as_is", "raw"
        if self.output == "margin" or self.output == "auto" and final is None:
            return ("without" if final is not None else "as_is"), "margin"
        if final is not None:
            return "as_is", "probability"
        return ("softmax" if width > 1 else "sigmoid"), "probability"

    def _prediction_scores(self, X: Any) -> np.ndarray:
        """The network's outputs in the explained space (for stratified sampling); one column: 1-D,
        a binary classifier's as probabilities."""
        torch = import_torch()
        rows = self._check_rows(X, numeric=True).to_numpy().astype(np.float64)
        with torch.no_grad():
            out = Network(self.network).run(torch.as_tensor(rows), n_ref=len(rows), head=self.head)
        scores = out.reshape(len(rows), -1).numpy()
        if scores.shape[1] > 1:
            return scores
        if self.task == "classification" and self.output_space == "margin":
            return 1 / (1 + np.exp(-scores[:, 0]))
        return scores[:, 0]

    def explain(self, X: Any, y: Any = None) -> Explanation:
        tab = self._check_rows(X, numeric=True)
        rows = tab.to_numpy().astype(np.float64)
        local, expected = deeplift_values(
            Network(self.network), rows, self.background.to_numpy().astype(np.float64), self.background_weights,
            head=self.head, max_batch_pairs=self.max_batch_pairs,
        )
        if self.task == "classification" and local.shape[0] == 1:
            local, expected = binary_pair(local[0], float(expected[0]),
                                          1.0 if self.output_space == "probability" else 0.0)
        params = {
            "output": self.output,
            "final_activation": self.final_activation,
            "head": self.head,
            "mode": "eval",
            "n_background": int(self.background.n_rows),
            "background_summary": self.summary,
            "rule": "rescale",
        }
        return self._explanation(tab, local, expected, output_space=self.output_space, params=params)
