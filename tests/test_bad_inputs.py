"""Bad input at the explainers and the Explanation: each case gets our error type and a message naming
the problem (the run-history, command-line, scorecard and pipeline doors are in test_bad_inputs_logged.py;
damaged saved folders in test_explanation_format.py).

Silently-wrong inputs (reordered columns whose names look generated, overflowing values) have their
own tests with known answers: the explanation must equal the one of the correctly ordered rows, or
be refused.
"""

from __future__ import annotations

import re

import lightgbm
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVC

import explain_lib
from explain_lib import Explanation
from explain_lib.errors import (
    ExplainLibError,
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


# ================================================ columns, NaN, shapes and models, through real explainers
COLUMNS = ["a", "b", "c"]


def make_data(n_rows: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=COLUMNS)
    y = (X["a"] + 0.5 * X["b"] - 0.3 * X["c"] + 0.3 * rng.normal(size=n_rows) > 0).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def abc_data():
    return make_data()


@pytest.fixture(scope="module")
def lgbm(abc_data):
    X, y = abc_data
    return lightgbm.LGBMClassifier(n_estimators=15, num_leaves=7, min_child_samples=5, verbose=-1).fit(X, y)


@pytest.fixture(scope="module")
def tree(lgbm):
    return TreeShap(lgbm)


@pytest.fixture(scope="module")
def logistic_frame(abc_data):
    """A LogisticRegression fitted on the DataFrame (it records feature names a, b, c)."""
    X, y = abc_data
    return LogisticRegression().fit(X, y)


@pytest.fixture(scope="module")
def kernel(abc_data, logistic_frame):
    X, _ = abc_data
    return KernelShap(logistic_frame, X.iloc[:10])


def raised(call) -> Exception:
    with pytest.raises(ExplainLibError) as info:
        call()
    return info.value


# ----------------------------------------------------------------------- column count, names and order
@pytest.mark.parametrize("n_columns", [2, 4])
def test_wrong_number_of_columns_names_both_counts(tree, abc_data, n_columns):
    X, _ = abc_data
    rows = np.random.default_rng(1).normal(size=(4, n_columns))
    error = raised(lambda: tree.explain(rows))
    assert isinstance(error, InvalidInputError)
    message = str(error)
    assert re.search(rf"\b{n_columns}\b", message), message
    assert re.search(r"\b3\b", message), message


def test_kernel_wrong_number_of_columns_names_both_counts(kernel, abc_data):
    X, _ = abc_data
    error = raised(lambda: kernel.explain(X.to_numpy()[:3, :2]))
    assert isinstance(error, InvalidInputError)
    assert re.search(r"\b2\b", str(error)) and re.search(r"\b3\b", str(error)), str(error)


def test_background_with_wrong_number_of_columns_is_rejected_at_construction(logistic_frame, abc_data):
    X, _ = abc_data
    error = raised(lambda: KernelShap(logistic_frame, X.to_numpy()[:10, :2]))
    assert isinstance(error, InvalidInputError)
    assert "background" in str(error)


# -------------------------------------------------------------------------------------- column names
@pytest.mark.parametrize("explainer", ["tree", "kernel"])
def test_different_column_names_list_missing_and_unexpected_and_suggest(request, abc_data, explainer):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    renamed = X.iloc[:3].rename(columns={"c": "cc"})
    error = raised(lambda: explainer.explain(renamed))
    assert isinstance(error, InvalidInputError)
    message = str(error)
    assert "missing" in message and "unexpected" in message
    assert "['c']" in message and "['cc']" in message
    assert "Did you mean 'c'" in message


def test_extra_column_is_reported_as_unexpected(tree, abc_data):
    X, _ = abc_data
    extra = X.iloc[:3].assign(d=1.0)
    error = raised(lambda: tree.explain(extra))
    assert isinstance(error, InvalidInputError)
    assert "unexpected ['d']" in str(error)


@pytest.mark.parametrize("explainer", ["tree", "kernel"])
def test_columns_in_another_order_are_reordered_and_give_the_same_values(request, abc_data, explainer):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    rows = X.iloc[:6]
    right = explainer.explain(rows)
    shuffled = explainer.explain(rows[["c", "a", "b"]])
    assert shuffled.features == tuple(COLUMNS)
    assert_allclose(shuffled.local, right.local, rtol=1e-12, atol=1e-12)
    assert_allclose(shuffled.expected, right.expected, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(shuffled.data, right.data)


@pytest.mark.parametrize("explainer", ["tree", "kernel"])
def test_duplicate_column_names_are_rejected(request, abc_data, explainer):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    duplicated = pd.DataFrame(X.iloc[:3].to_numpy(), columns=["a", "a", "b"])
    error = raised(lambda: explainer.explain(duplicated))
    assert isinstance(error, InvalidInputError)
    assert "'a'" in str(error)


# ----------------------------------------------------------------------------------------------- NaN
def with_nan(X: np.ndarray) -> np.ndarray:
    rows = np.array(X[:4], dtype=np.float64)
    rows[1, 2] = np.nan
    return rows


@pytest.mark.filterwarnings("ignore:The `probability` parameter was deprecated:FutureWarning")
@pytest.mark.parametrize("make_model", [LogisticRegression, lambda: SVC(probability=True, random_state=0)],
                         ids=["LogisticRegression", "SVC-probability"])
def test_nan_for_a_model_that_cannot_take_it_asks_to_impute(abc_data, make_model):
    X, y = abc_data
    values = X.to_numpy()
    model = make_model().fit(values, y)
    explainer = KernelShap(model, values[:10])
    error = raised(lambda: explainer.explain(with_nan(values)))
    assert isinstance(error, InvalidInputError)
    assert "NaN" in str(error)
    assert "impute" in str(error).lower()


def test_nan_in_kernel_background_is_rejected_at_construction(abc_data):
    X, y = abc_data
    values = X.to_numpy()
    model = LogisticRegression().fit(values, y)
    error = raised(lambda: KernelShap(model, with_nan(values)))
    assert isinstance(error, InvalidInputError)
    assert "NaN" in str(error)


def test_nan_is_accepted_where_the_model_handles_it(tree, abc_data):
    X, _ = abc_data
    rows = X.iloc[:4].copy()
    rows.iloc[1, 2] = np.nan
    explanation = tree.explain(rows)
    assert np.isfinite(explanation.local).all()


# ------------------------------------------------------------------------------- shape and type of X
@pytest.mark.parametrize("explainer", ["tree", "kernel"])
@pytest.mark.parametrize(
    "make_rows, fragment",
    [
        pytest.param(lambda X: X.iloc[:0], "empty", id="empty-frame"),
        pytest.param(lambda X: X.to_numpy()[:0], "empty", id="empty-array"),
        pytest.param(lambda X: X.to_numpy()[0], "2-D", id="1d-array"),
        pytest.param(lambda X: X.to_numpy()[0].tolist(), "2-D", id="1d-list"),
        pytest.param(lambda X: None, "None", id="None"),
        pytest.param(lambda X: X.iloc[0], "Series", id="series-row"),
        pytest.param(lambda X: X["a"], "Series", id="series-column"),
    ],
)
def test_malformed_rows_raise_invalid_input_error_saying_what_is_wrong(request, abc_data, explainer, make_rows,
                                                                       fragment):
    X, _ = abc_data
    explainer = request.getfixturevalue(explainer)
    error = raised(lambda: explainer.explain(make_rows(X)))
    assert isinstance(error, InvalidInputError)
    assert fragment in str(error)


def test_empty_background_is_rejected(logistic_frame, abc_data):
    X, _ = abc_data
    error = raised(lambda: KernelShap(logistic_frame, X.iloc[:0]))
    assert isinstance(error, InvalidInputError)


# ---------------------------------------------------------------------------------------------- models
class NotAModel:
    def fit(self, X, y):
        return self


@pytest.mark.parametrize("model", [NotAModel(), object()], ids=["class-with-fit-only", "object"])
def test_object_without_predict_is_unsupported(abc_data, model):
    X, _ = abc_data
    error = raised(lambda: KernelShap(model, X.to_numpy()[:5]))
    assert isinstance(error, UnsupportedModelError)
    assert "predict" in str(error)


def test_tree_shap_refuses_a_model_that_is_not_a_tree_ensemble(abc_data):
    X, y = abc_data
    error = raised(lambda: TreeShap(LinearRegression().fit(X, y)))
    assert isinstance(error, UnsupportedModelError)
    assert "KernelShap" in str(error)


def test_svc_without_probability_is_explained_on_its_decision_function(abc_data):
    X, y = abc_data
    values = X.to_numpy()
    model = SVC().fit(values, y)
    explanation = KernelShap(model, values[:12]).explain(values[:5])
    assert explanation.output_space == "margin"
    assert explanation.classes == (0, 1)
    margin = model.decision_function(values[:5])
    # exact Shapley values (3 features): class 1 adds up to the margin, class 0 to its negation
    assert_allclose(explanation.local[1].sum(-1) + explanation.expected[1], margin, rtol=1e-9, atol=1e-9)
    assert_allclose(explanation.local[0].sum(-1) + explanation.expected[0], -margin, rtol=1e-9, atol=1e-9)


def test_every_error_class_belongs_to_the_explain_lib_hierarchy():
    for name in ("InvalidInputError", "InvalidParameterError", "UnsupportedModelError", "SchemaVersionError"):
        assert issubclass(getattr(explain_lib, name), ExplainLibError)


def test_lightgbm_column_names_with_spaces_match_the_names_lightgbm_stored():
    # LightGBM keeps "sepal length (cm)" as "sepal_length_(cm)"; the caller's names still work
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(120, 2)), columns=["sepal length (cm)", "petal width"])
    model = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1).fit(frame, frame.sum(axis=1))
    explanation = TreeShap(model).explain(frame[["petal width", "sepal length (cm)"]])
    assert explanation.features == ("sepal length (cm)", "petal width")
    expected = model.booster_.predict(frame.to_numpy(), pred_contrib=True)
    np.testing.assert_allclose(explanation.local[0], expected[:, :-1])
