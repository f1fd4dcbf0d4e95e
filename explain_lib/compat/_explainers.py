"""interpret-community's SHAP explainer names, as thin subclasses that translate its keyword names.

``KernelExplainer(model, initialization_examples, nclusters=10, nsamples="auto", ...)`` is our
:class:`~explain_lib.KernelShap` with ``n_background=nclusters`` and ``n_samples``; the tree and linear
ones are :class:`~explain_lib.TreeShap` / :class:`~explain_lib.LinearShap`. Options interpret-community
has and these do not (``transformations`` on a single-method explainer, ``explain_subset``) get an
error naming the replacement, never a silent no-op. ``DeepExplainer`` is :class:`~explain_lib.DeepShap`
(PyTorch networks; ``nclusters`` is ``n_background``).
"""

from __future__ import annotations

import enum
from typing import Any

from ..errors import InvalidParameterError, UnsupportedModelError
from ..explainers import DeepShap, KernelShap, LinearShap, TreeShap
from ..explainers import MimicExplainer as _MimicExplainer

__all__ = ["DeepExplainer", "GPUKernelExplainer", "KernelExplainer", "LIMEExplainer", "LinearExplainer",
           "MimicExplainer", "ModelTask", "ShapValuesOutput", "TreeExplainer"]

#: interpret-community's seed for its surrogates (its DEFAULT_RANDOM_STATE)
COMMUNITY_RANDOM_STATE = 123


class ModelTask(str, enum.Enum):
    """interpret-community's model task names (our ``model_task=`` takes the enum or its value)."""

    Classification = "classification"
    Regression = "regression"
    Unknown = "unknown"


class ShapValuesOutput(str, enum.Enum):
    """interpret-community's SHAP output spaces for MimicExplainer."""

    DEFAULT = "default"
    PROBABILITY = "probability"
    TEACHER_PROBABILITY = "teacher_probability"


def _refuse_unmapped(name: str, transformations: Any, explain_subset: Any) -> None:
    if transformations is not None:
        raise InvalidParameterError(
            f"{name}(transformations=...) is not supported: raw-feature explanations go through "
            "TabularExplainer(model, initialization_examples, transformations=...), which picks this same "
            "method for the model and maps the engineered values back to raw features."
        )
    if explain_subset is not None:
        raise InvalidParameterError(
            f"{name}(explain_subset=...) is not supported: explain every column and keep the ones you want, "
            "e.g. explanation.local_frame()[names], or use MimicExplainer(explain_subset=...)."
        )


def _task(model_task: Any) -> str:
    value = getattr(model_task, "value", model_task)
    return "auto" if value == "unknown" else value


class KernelExplainer(KernelShap):
    """interpret-community's ``KernelExplainer``: :class:`KernelShap` with its keyword names.

    ``nclusters`` (default 10, as there) is ``n_background``; ``nsamples="auto"`` is ``n_samples=None``;
    ``show_progress`` is ``progress``.
    """

    def __init__(self, model: Any, initialization_examples: Any, is_function: bool = False, explain_subset: Any = None,
                 nsamples: Any = "auto", features: Any = None, classes: Any = None, nclusters: int = 10,
                 show_progress: bool = True, transformations: Any = None, allow_all_transformations: bool = False,
                 model_task: Any = "unknown", **kwargs: Any):
        _refuse_unmapped("KernelExplainer", transformations, explain_subset)
        super().__init__(model, initialization_examples, n_background=nclusters,
                         n_samples=None if nsamples in ("auto", None) else int(nsamples), features=features,
                         classes=classes, model_task=_task(model_task), progress=None if show_progress else False,
                         **kwargs)


class TreeExplainer(TreeShap):
    """interpret-community's ``TreeExplainer``: :class:`TreeShap` (exact, the model's own output space)."""

    def __init__(self, model: Any, explain_subset: Any = None, features: Any = None, classes: Any = None,
                 shap_values_output: Any = "default", transformations: Any = None,
                 allow_all_transformations: bool = False, **kwargs: Any):
        _refuse_unmapped("TreeExplainer", transformations, explain_subset)
        if getattr(shap_values_output, "value", shap_values_output) != "default":
            raise InvalidParameterError(
                "TreeExplainer(shap_values_output=...) is not supported: TreeShap explains the model in its own "
                "output space (margins for boosted trees, probabilities for sklearn forests); pass "
                "TreeShap(model, background, output='probability') for probabilities."
            )
        super().__init__(model, features=features, classes=classes, **kwargs)


class LinearExplainer(LinearShap):
    """interpret-community's ``LinearExplainer``: :class:`LinearShap` (closed form)."""

    def __init__(self, model: Any, initialization_examples: Any, explain_subset: Any = None, features: Any = None,
                 classes: Any = None, transformations: Any = None, allow_all_transformations: bool = False,
                 **kwargs: Any):
        _refuse_unmapped("LinearExplainer", transformations, explain_subset)
        super().__init__(model, initialization_examples, features=features, classes=classes, **kwargs)


class DeepExplainer(DeepShap):
    """interpret-community's ``DeepExplainer``: :class:`DeepShap` (PyTorch networks) with its keyword names.

    ``nclusters`` (default 10, as there) is ``n_background``: a larger background is summarized by
    weighted k-means. ``is_classifier=True/False`` is ``model_task="classification"/"regression"``.
    TensorFlow models are not supported (explain them with KernelExplainer).
    """

    def __init__(self, model: Any, initialization_examples: Any, explain_subset: Any = None, nclusters: int = 10,
                 features: Any = None, classes: Any = None, transformations: Any = None,
                 allow_all_transformations: bool = False, model_task: Any = "unknown", is_classifier: Any = None,
                 **kwargs: Any):
        _refuse_unmapped("DeepExplainer", transformations, explain_subset)
        task = _task(model_task)
        if is_classifier is not None and task == "auto":
            task = "classification" if is_classifier else "regression"
        super().__init__(model, initialization_examples, n_background=nclusters, features=features,
                         classes=classes, model_task=task, **kwargs)


class MimicExplainer(_MimicExplainer):
    """interpret-community's ``MimicExplainer``: :class:`~explain_lib.MimicExplainer` training its surrogate as
    interpret-community 0.32 trains it, so migrated code gets the surrogate it got there.

    The defaults differ from ``explain_lib.MimicExplainer``'s: every initialization row trains the surrogate
    (``holdout_fraction=0``; ``fidelity`` is then measured on the training rows), seeded with
    interpret-community's 123, with its estimator defaults and augmentation (``training="interpret-community"``:
    LightGBM's own 100 trees of 31 leaves, SGD on unscaled features, no augmentation unless there are twice as
    many columns as rows). Pass any of them to choose otherwise. A binary teacher is still distilled by
    regression on its log-odds. As there, the explanations hold the initialization rows (``init_data``: one copy
    the explainer makes, shared by its explanations, left out of our saved format); sparse rows are not held.
    """

    def __init__(self, model: Any, initialization_examples: Any, explainable_model: Any, *,
                 random_state: int | None = COMMUNITY_RANDOM_STATE, holdout_fraction: float = 0.0,
                 training: str = "interpret-community", **kwargs: Any):
        super().__init__(model, initialization_examples, explainable_model, random_state=random_state,
                         holdout_fraction=holdout_fraction, training=training, **kwargs)
        self._held_examples = self._examples.to_frame()


class LIMEExplainer:
    """interpret-community's ``LIMEExplainer``: not provided (local linear fits, not Shapley values)."""

    def __init__(self, model: Any, initialization_examples: Any = None, *args: Any, **kwargs: Any):
        raise UnsupportedModelError(
            "LIMEExplainer is not part of explain-lib: its local surrogate values do not add up to the model "
            "output. TabularExplainer(model, initialization_examples) gives additive local values (Kernel SHAP "
            "for any model with predict / predict_proba) in the same explanation format."
        )


class GPUKernelExplainer:
    """interpret-community's ``GPUKernelExplainer`` (cuML on a GPU): not provided; ``KernelExplainer`` batches its
    model calls on the CPU."""

    def __init__(self, model: Any, initialization_examples: Any = None, *args: Any, **kwargs: Any):
        raise UnsupportedModelError(
            "GPUKernelExplainer (cuML) is not part of explain-lib. KernelExplainer(model, initialization_examples) "
            "computes the same Kernel SHAP values on the CPU, evaluating many coalitions per model call."
        )
