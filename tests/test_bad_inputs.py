"""Bad input at the explainers and the Explanation: each case gets our error type and a message naming
the problem (columns, NaN, malformed rows and models are in test_bad_columns.py; the run-history,
command-line, scorecard and pipeline doors in test_bad_inputs_logged.py; damaged saved folders in
test_explanation_format.py).

Silently-wrong inputs (reordered columns whose names look generated, overflowing values) have their
own tests with known answers: the explanation must equal the one of the correctly ordered rows, or
be refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from explain_lib import Explanation
from explain_lib.errors import (
    InvalidInputError,
    InvalidParameterError,
    ModelNotFittedError,
    UnsupportedModelError,
)
from explain_lib.explainers import KernelShap, LinearShap, MimicExplainer, PFIExplainer, TabularExplainer, TreeShap


# ----------------------------------------------------------------------------------------- tiny models
@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["f0", "f1", "f2"])
    y_reg = 3.0 * X.f0 - 2.0 * X.f1 + 0.5 * X.f2
    y_cls = (X.f0 + X.f1 > 0).astype(int)
    return X, y_reg, y_cls


@pytest.fixture(scope="module")
def models(data):
    X, y_reg, y_cls = data
    return {
        "linear": LinearRegression().fit(X, y_reg),
        "logistic": LogisticRegression().fit(X, y_cls),
        "forest": RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(X, y_reg),
        "forest_cls": RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y_cls),
        "generic_names": LinearRegression().fit(X.set_axis(["Column_0", "Column_1", "Column_2"], axis=1), y_reg),
    }


def _explainers(models, X):
    """One explainer of every kind that takes rows, each built on the correctly ordered background."""
    return {
        "linear": LinearShap(models["linear"], X),
        "tree": TreeShap(models["forest"]),
        "kernel": KernelShap(models["linear"], X.iloc[:10]),
        "tabular": TabularExplainer(models["forest_cls"], X),
        "mimic": MimicExplainer(models["linear"], X, "linear"),
    }


REORDERED = ["f2", "f0", "f1"]


@pytest.mark.parametrize("kind", ["linear", "tree", "kernel", "tabular", "mimic"])
def test_reordered_generic_looking_columns_are_matched_by_name(models, data, kind):
    """f0..fN are real names sklearn stored: a reordered frame gives the same explanation as the ordered one."""
    X, _, _ = data
    explainer = _explainers(models, X)[kind]
    ordered = explainer.explain(X.iloc[:8])
    reordered = explainer.explain(X.iloc[:8][REORDERED])
    assert reordered.features == ("f0", "f1", "f2")
    assert_allclose(reordered.local, ordered.local, atol=1e-9)


def test_reordered_columns_for_pfi_are_matched_by_name(models, data):
    X, y_reg, _ = data
    explainer = PFIExplainer(models["linear"], n_repeats=2)
    ordered = explainer.explain(X, y_reg)
    reordered = explainer.explain(X[REORDERED], y_reg)
    assert reordered.features == ordered.features
    assert_allclose(reordered.global_, ordered.global_)


def test_column_n_names_are_real_names_too(models, data):
    X, _, _ = data
    named = X.set_axis(["Column_0", "Column_1", "Column_2"], axis=1)
    explainer = LinearShap(models["generic_names"], named)
    assert_allclose(explainer.explain(named[["Column_2", "Column_0", "Column_1"]]).local,
                    explainer.explain(named).local)
    with pytest.raises(InvalidInputError, match="Column_0"):
        explainer.explain(X)  # f0.. are not the names it was fitted with


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("kind", ["linear", "tree", "kernel", "tabular", "mimic"])
def test_infinite_input_is_refused_naming_column_and_row(models, data, kind, value):
    X, _, _ = data
    bad = X.iloc[:6].copy()
    bad.iloc[4, 1] = value
    with pytest.raises(InvalidInputError, match=r"infinite value in column 'f1', row 4"):
        _explainers(models, X)[kind].explain(bad)


def test_overflowing_values_are_refused_not_explained(models, data):
    """1e308 is finite, but 3 * 1e308 is not: the local value overflows and must not come back as inf."""
    X, _, _ = data
    bad = X.iloc[:6].copy()
    bad.iloc[2, 0] = 1e308
    with pytest.raises(InvalidInputError, match=r"row 2, feature 'f0'"):
        LinearShap(models["linear"], X).explain(bad)


def test_infinite_importance_is_refused_at_the_door():
    with pytest.raises(InvalidInputError, match="non-finite"):
        Explanation(local=None, expected=None, features=["a", "b"], task="regression", output_space="metric",
                    method="pfi", global_=[1.0, np.inf])


# ----------------------------------------------------------------------------------- the bad-input matrix
def _interactions_chunked(explainer, X):
    from explain_lib.engine import interactions_chunked

    return interactions_chunked(explainer, X, workers=1)


def _unfitted(kind):
    def build(ctx):
        X = ctx["X"]
        model = {"linear": LinearRegression(), "forest": RandomForestRegressor()}["forest" if kind == "tree" else
                                                                                  "linear"]
        return {
            "linear": lambda: LinearShap(model, X),
            "tree": lambda: TreeShap(model),
            "kernel": lambda: KernelShap(model, X),
            "tabular": lambda: TabularExplainer(model, X),
            "pfi": lambda: PFIExplainer(model),
            "mimic": lambda: MimicExplainer(model, X, "linear", model_task="regression"),
        }[kind]()
    return build


def _with_strings(ctx):
    frame = ctx["X"].iloc[:5].copy()
    frame["f1"] = ["a", "b", "c", "d", "e"]
    return frame


def _with_value(row, column, value):
    def build(ctx):
        frame = ctx["X"].iloc[:6].copy()
        frame.iloc[row, column] = value
        return frame
    return build


def _sparse_with_inf(ctx):
    import scipy.sparse as sp

    values = ctx["X"].iloc[:6].to_numpy().copy()
    values[5, 2] = np.inf
    return sp.csr_matrix(values)


EXPLAINER_CASES = {
    # unfitted models say "not fitted"
    **{f"unfitted_{kind}": (_unfitted(kind), ModelNotFittedError, "not fitted")
       for kind in ("linear", "tree", "kernel", "tabular", "pfi", "mimic")},
    "model_class_not_instance": (lambda c: LinearShap(LinearRegression, c["X"]), InvalidParameterError,
                                 "class LinearRegression"),
    "not_a_linear_model": (lambda c: LinearShap(c["models"]["forest"], c["X"]), UnsupportedModelError,
                           "LinearShap explains"),
    "tree_output_unknown": (lambda c: TreeShap(c["models"]["forest"], output="logit"), InvalidParameterError,
                            "output must be"),
    # rows the model cannot take
    "linear_string_column": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(_with_strings(c)),
                             InvalidInputError, r"non-numeric columns \['f1'\]"),
    "tree_string_column": (lambda c: TreeShap(c["models"]["forest"]).explain(_with_strings(c)),
                           InvalidInputError, r"non-numeric columns \['f1'\]"),
    "kernel_string_column": (lambda c: KernelShap(c["models"]["linear"], c["X"].iloc[:5]).explain(_with_strings(c)),
                             InvalidInputError, "cannot take the rows of X"),
    "pfi_string_column": (lambda c: PFIExplainer(c["models"]["linear"]).explain(_with_strings(c), c["y_reg"][:5]),
                          InvalidInputError, "cannot take the rows of X"),
    "renamed_column": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(
        c["X"].rename(columns={"f0": "g0"})), InvalidInputError, r"missing \['f0'\]"),
    "missing_column": (lambda c: TreeShap(c["models"]["forest"]).explain(c["X"][["f0", "f1"]]), InvalidInputError,
                       "missing"),
    "too_few_array_columns": (lambda c: KernelShap(c["models"]["linear"], c["X"].iloc[:5]).explain(
        np.zeros((2, 2))), InvalidInputError, "2 columns but the model was fitted with 3"),
    "rows_none": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(None), InvalidInputError, "X is None"),
    "rows_1d": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(np.zeros(3)), InvalidInputError,
                "must be 2-D"),
    "rows_empty": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(c["X"].iloc[:0]), InvalidInputError,
                   "is empty"),
    "rows_series": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(c["X"].iloc[0]), InvalidInputError,
                    "Series"),
    "repeated_columns": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(
        c["X"].set_axis(["f0", "f0", "f2"], axis=1)), InvalidInputError, "repeated column names"),
    "linear_nan": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(_with_value(1, 2, np.nan)(c)),
                   InvalidInputError, "missing values"),
    "tree_nan": (lambda c: TreeShap(c["models"]["forest"]).explain(_with_value(1, 2, np.nan)(c)), InvalidInputError,
                 "missing values"),
    "sparse_inf": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain(_sparse_with_inf(c)),
                   InvalidInputError, "infinite value in column 'f2', row 5"),
    "background_inf": (lambda c: KernelShap(c["models"]["linear"], _with_value(0, 0, -np.inf)(c)),
                       InvalidInputError, "background has an infinite value in column 'f0', row 0"),
    "kernel_overflow": (lambda c: KernelShap(c["models"]["linear"], c["X"].iloc[:5]).explain(
        _with_value(3, 0, 1e308)(c)), InvalidInputError, "non-finite"),
    "negative_background_weights": (lambda c: LinearShap(c["models"]["linear"], c["X"].iloc[:3],
                                                         background_weights=[1, -1, 1]),
                                    InvalidInputError, "non-negative"),
    "max_rows_zero": (lambda c: LinearShap(c["models"]["linear"], c["X"]).explain_global(c["X"], max_rows=0),
                      InvalidParameterError, "max_rows"),
    # exact interaction values
    "interactions_unknown_feature": (lambda c: TreeShap(c["models"]["forest"]).interactions(
        c["X"], features=["f7"]), InvalidParameterError, "Unknown feature 'f7'"),
    "interactions_feature_twice": (lambda c: TreeShap(c["models"]["forest"]).interactions(
        c["X"], features=["f1", 1]), InvalidParameterError, r"more than once: \['f1'\]"),
    "interactions_position_out_of_range": (lambda c: TreeShap(c["models"]["forest"]).interactions(
        c["X"], features=[3]), InvalidParameterError, "out of range; X has 3 columns"),
    "interactions_features_and_top_k": (lambda c: TreeShap(c["models"]["forest"]).interactions(
        c["X"], features=["f1"], top_k=2), InvalidParameterError, "not both"),
    "interactions_top_k_zero": (lambda c: TreeShap(c["models"]["forest"]).interactions(c["X"], top_k=0),
                                InvalidParameterError, "top_k must be a positive integer"),
    "interactions_string_column": (lambda c: TreeShap(c["models"]["forest"]).interactions(_with_strings(c)),
                                   InvalidInputError, r"non-numeric columns \['f1'\]"),
    "interactions_nan_sklearn": (lambda c: TreeShap(c["models"]["forest"]).interactions(
        _with_value(1, 2, np.nan)(c)), InvalidInputError, "missing values"),
    "interactions_probability_output": (lambda c: TreeShap(c["models"]["forest_cls"], c["X"],
                                                           output="probability").interactions(c["X"]),
                                        UnsupportedModelError, "output='probability' is interventional"),
    "interactions_chunked_not_tree": (lambda c: _interactions_chunked(LinearShap(c["models"]["linear"], c["X"]),
                                                                      c["X"]),
                                      InvalidParameterError, r"LinearShap has no interactions\(\)"),
    # true labels for permutation importance
    "pfi_y_missing": (lambda c: PFIExplainer(c["models"]["linear"]).explain(c["X"]), InvalidInputError,
                      "needs the true labels"),
    "pfi_y_text_for_regression": (lambda c: PFIExplainer(c["models"]["linear"]).explain(
        c["X"], np.array(["a"] * 60)), InvalidInputError, "must hold numbers"),
    "pfi_y_nan_regression": (lambda c: PFIExplainer(c["models"]["linear"]).explain(
        c["X"], np.where(np.arange(60) == 7, np.nan, 1.0)), InvalidInputError, "missing labels .first at row 7"),
    "pfi_y_nan_classification": (lambda c: PFIExplainer(c["models"]["logistic"]).explain(
        c["X"], np.where(np.arange(60) == 3, np.nan, 1.0)), InvalidInputError, "missing labels"),
    "pfi_y_other_label_type": (lambda c: PFIExplainer(c["models"]["logistic"]).explain(
        c["X"], np.where(c["y_cls"] == 1, "yes", "no")), InvalidInputError, "not among the model's classes"),
    "pfi_y_wrong_length": (lambda c: PFIExplainer(c["models"]["linear"]).explain(c["X"], c["y_reg"][:10]),
                           InvalidInputError, "one label per row"),
    "pfi_y_infinite": (lambda c: PFIExplainer(c["models"]["linear"]).explain(
        c["X"], np.where(np.arange(60) == 2, np.inf, 1.0)), InvalidInputError, "infinite value at row 2"),
    "pfi_unknown_metric": (lambda c: PFIExplainer(c["models"]["linear"], metric="r3"), InvalidParameterError,
                           "Unknown metric 'r3'"),
    "pfi_repeats_zero": (lambda c: PFIExplainer(c["models"]["linear"], n_repeats=0), InvalidParameterError,
                         "n_repeats"),
    # the Explanation itself
    "explanation_nan_local": (lambda c: Explanation(local=np.full((1, 2, 2), np.nan), expected=[0.0],
                                                    features=["a", "b"], task="regression", output_space="raw",
                                                    method="m"), InvalidInputError, "non-finite"),
    "explanation_inf_expected": (lambda c: Explanation(local=np.zeros((1, 2, 2)), expected=[np.inf],
                                                       features=["a", "b"], task="regression", output_space="raw",
                                                       method="m"), InvalidInputError, "non-finite"),
    "explanation_no_classes": (lambda c: Explanation(local=np.zeros((2, 2, 2)), expected=[0.0, 0.0],
                                                     features=["a", "b"], task="classification",
                                                     output_space="margin", method="m"), InvalidInputError,
                               "needs its classes"),
    "explanation_top_k_zero": (lambda c: c["explanation"].global_importance(top_k=0), InvalidParameterError, "top_k"),
    "explanation_save_float16": (lambda c: c["explanation"].save(c["tmp"] / "f16", dtype="float16"),
                                 InvalidInputError, "dtype must be"),
    "load_missing_folder": (lambda c: Explanation.load(c["tmp"] / "nothing-here"), InvalidInputError,
                            "explanation.json is missing"),
}


# ------------------------------------------------------------------------- the dashboard's model options
DASHBOARD_CASES = {
    "ice_features_negative": ({"ice_features": -1}, InvalidParameterError, "ice_features must be a count"),
    "ice_features_one_name": ({"ice_features": "f0"}, InvalidParameterError, "wrap one name in a list"),
    "ice_features_unknown": ({"ice_features": ["f9"]}, InvalidParameterError, "does not have"),
    "grid_size_zero": ({"grid_size": 0}, InvalidParameterError, "grid_size"),
    "not_the_explained_model": ({"model": "logistic"}, InvalidParameterError,
                                "not the model this explanation explains"),
}


@pytest.mark.parametrize("case", sorted(DASHBOARD_CASES))
def test_dashboard_refuses_bad_model_options_before_writing(ctx, case):
    options, error, message = dict(DASHBOARD_CASES[case][0]), *DASHBOARD_CASES[case][1:]
    model = ctx["models"][options.pop("model", "linear")]
    path = ctx["tmp"] / f"{case}.html"
    with pytest.raises(error, match=message):
        ctx["explanation"].to_html(path, model=model, **options)
    assert not path.exists()


@pytest.fixture(scope="module")
def ctx(models, data, tmp_path_factory):
    X, y_reg, y_cls = data
    return {"X": X, "y_reg": y_reg.to_numpy(), "y_cls": y_cls.to_numpy(), "models": models,
            "explanation": LinearShap(models["linear"], X).explain(X.iloc[:5]), "tmp": tmp_path_factory.mktemp("m")}


@pytest.mark.parametrize("case", sorted(EXPLAINER_CASES))
def test_explainer_and_explanation_refuse_bad_input(ctx, case):
    call, error, message = EXPLAINER_CASES[case]
    with pytest.raises(error, match=message):
        call(ctx)
