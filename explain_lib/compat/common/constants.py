"""``interpret_community.common.constants``: the enums notebooks pass as options and the string keys of its
explanation properties (``ExplainParams``) and of interpret's ``data()`` dictionaries (``InterpretData``)."""

from .._explainers import ModelTask, ShapValuesOutput

__all__ = ["ExplainParams", "InterpretData", "ModelTask", "ShapValuesOutput"]


class ExplainParams:
    """interpret-community's explanation property names (and options of its explain calls), as strings."""

    BATCH_SIZE = "batch_size"
    CHECK_ADDITIVITY = "check_additivity"
    CLASSES = "classes"
    CLASSIFICATION = "classification"
    EVAL_DATA = "eval_data"
    EVAL_Y_PRED = "eval_y_predicted"
    EVAL_Y_PRED_PROBA = "eval_y_predicted_proba"
    EXPECTED_VALUES = "expected_values"
    EXPLAIN_SUBSET = "explain_subset"
    EXPLANATION_ID = "explanation_id"
    FEATURES = "features"
    GLOBAL_IMPORTANCE_NAMES = "global_importance_names"
    GLOBAL_IMPORTANCE_VALUES = "global_importance_values"
    GLOBAL_IMPORTANCE_RANK = "global_importance_rank"
    GLOBAL_NAMES = "global_names"
    GLOBAL_VALUES = "global_values"
    GLOBAL_RANK = "global_rank"
    ID = "id"
    INCLUDE_LOCAL = "include_local"
    INIT_DATA = "init_data"
    IS_ENG = "is_engineered"
    IS_LOCAL_SPARSE = "is_local_sparse"
    IS_RAW = "is_raw"
    LOCAL_EXPLANATION = "local_explanation"
    LOCAL_IMPORTANCE_VALUES = "local_importance_values"
    METHOD = "method"
    MODEL_ID = "model_id"
    MODEL_TASK = "model_task"
    MODEL_TYPE = "model_type"
    NUM_CLASSES = "num_classes"
    NUM_EXAMPLES = "num_examples"
    NUM_FEATURES = "num_features"
    PER_CLASS_NAMES = "per_class_names"
    PER_CLASS_RANK = "per_class_rank"
    PER_CLASS_VALUES = "per_class_values"
    PROBABILITIES = "probabilities"
    SAMPLING_POLICY = "sampling_policy"
    SHAP_VALUES_OUTPUT = "shap_values_output"

    @classmethod
    def get_serializable(cls) -> set[str]:
        """The names of the constants above (the properties a saved explanation may hold)."""
        return {name for name, value in vars(cls).items() if not name.startswith("_") and isinstance(value, str)}

    @classmethod
    def get_private(cls, explain_param: str) -> str:
        """interpret-community's private attribute name of a property: ``"_" + name``."""
        return "_" + explain_param


class InterpretData:
    """The keys of interpret's ``data()`` dictionaries."""

    BASE_VALUE = "Base Value"
    EXPLANATION_TYPE = "explanation_type"
    EXTRA = "extra"
    FEATURE_LIST = "feature_list"
    GLOBAL_FEATURE_IMPORTANCE = "global_feature_importance"
    INTERCEPT = "intercept"
    LOCAL_FEATURE_IMPORTANCE = "local_feature_importance"
    MLI = "mli"
    NAMES = "names"
    OVERALL = "overall"
    PERF = "perf"
    SCORES = "scores"
    SPECIFIC = "specific"
    TYPE = "type"
    UNIVARIATE = "univariate"
    VALUE = "value"
    VALUES = "values"
    EXPLANATION_CLASS_DIMENSION = "explanation_class_dimension"
    MULTICLASS = "multiclass"
    SINGLE = "single"
