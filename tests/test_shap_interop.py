"""shap interop: Explanation.to_shap / from_shap, and shap's own plots drawn from our explanations."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from lightgbm import LGBMClassifier
from numpy.testing import assert_allclose
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from explain_lib import Explanation, KernelShap, LinearShap, TreeShap
from explain_lib.errors import InvalidInputError, InvalidParameterError

matplotlib.use("Agg")


def test_to_shap_from_shap_round_trip(numeric):
    X, y, margin = numeric
    regression = LinearShap(LinearRegression().fit(X, margin), X).explain(X[:15])
    back = Explanation.from_shap(regression.to_shap())
    assert_allclose(back.local, regression.local) and back.features == regression.features
    assert_allclose(back.expected, regression.expected)
    assert_allclose(back.data.to_numpy(dtype=float), regression.data.to_numpy())

    binary = TreeShap(LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)).explain(X[:15])
    back = Explanation.from_shap(binary.to_shap(), classes=binary.classes, output_space="margin")
    assert_allclose(back.local, binary.local) and assert_allclose(back.expected, binary.expected)

    three = (margin > 1).astype(int) + (margin > -1)
    multiclass = KernelShap(LogisticRegression().fit(X, three), X[:20]).explain(X[:6])
    shap_all = multiclass.to_shap(cls="all")
    assert shap_all.values.shape == (6, 4, 3)
    back = Explanation.from_shap(shap_all, output_space="probability")
    assert back.classes == multiclass.classes
    assert_allclose(back.local, multiclass.local) and assert_allclose(back.expected, multiclass.expected)
    with pytest.raises(InvalidParameterError, match="output_space"):
        Explanation.from_shap(binary.to_shap(), classes=binary.classes)


def test_from_shap_of_shaps_own_tree_explainer_matches_ours(numeric):
    import shap

    X, _, margin = numeric
    model = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, margin)
    theirs = Explanation.from_shap(shap.TreeExplainer(model)(X[:20]))
    ours = TreeShap(model).explain(X[:20])
    assert_allclose(theirs.local, ours.local, atol=1e-9)
    assert_allclose(theirs.expected, ours.expected, atol=1e-9)


def test_from_shap_refuses_row_dependent_base_values():
    import shap

    varying = shap.Explanation(values=np.ones((3, 2)), base_values=np.array([0.0, 1.0, 2.0]))
    with pytest.raises(InvalidInputError, match="base_values differ between rows"):
        Explanation.from_shap(varying)


def test_shap_waterfall_plot_draws_from_to_shap(numeric):
    import matplotlib.pyplot as plt
    import shap

    X, _, margin = numeric
    explanation = LinearShap(LinearRegression().fit(X, margin), X).explain(X[:5])
    shap.plots.waterfall(explanation.to_shap()[0], show=False)
    axis = plt.gcf().axes[0]
    labels = [t.get_text() for t in axis.get_yticklabels()]
    bars = [t.get_text() for t in axis.texts]
    plt.close(plt.gcf())
    # one "<value> = <feature>" label per feature, and the largest value drawn on its bar
    assert {label.split(" = ")[1] for label in labels if " = " in label} == set(explanation.features)
    largest = explanation.local[0, 0][np.abs(explanation.local[0, 0]).argmax()]
    assert format(largest, "+0.2f").replace("-", "\u2212") in bars
