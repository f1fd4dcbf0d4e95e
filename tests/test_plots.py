"""PNG plots of explanations: what each plot draws equals the explanation's numbers, headless."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.image import imread
from numpy.testing import assert_allclose, assert_array_equal

from explain_lib import Explanation, InvalidParameterError
from explain_lib.report import plot_beeswarm, plot_dependence, plot_global_importance, sample_rows, save_plots
from explain_lib.report.plots import _beeswarm_offsets

FEATURES = ("age", "income", "colour", "height", "weight", "score")


def frame(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n_rows),
        "income": np.where(rng.random(n_rows) < 0.1, np.nan, rng.normal(50, 10, n_rows)),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n_rows)),
        "height": rng.normal(170, 10, n_rows),
        "weight": rng.normal(70, 5, n_rows),
        "score": rng.random(n_rows) < 0.5,
    })


def explanation(task: str = "binary", n_rows: int = 60, *, with_data: bool = True, seed: int = 0) -> Explanation:
    rng = np.random.default_rng(seed)
    scale = np.array([3.0, 2.0, 1.5, 1.0, 0.5, 0.25])
    data = frame(n_rows, seed) if with_data else None
    if task == "regression":
        return Explanation(local=rng.normal(size=(1, n_rows, 6)) * scale, expected=[1.0], features=FEATURES,
                           task="regression", output_space="raw", method="test", data=data)
    if task == "binary":
        positive = rng.normal(size=(n_rows, 6)) * scale
        return Explanation(local=np.stack([-positive, positive]), expected=[0.2, -0.2], features=FEATURES,
                           task="classification", output_space="margin", method="test", classes=(0, 1), data=data)
    return Explanation(local=rng.normal(size=(3, n_rows, 6)) * scale, expected=[0.3, 0.3, 0.4], features=FEATURES,
                       task="classification", output_space="probability", method="test",
                       classes=("cat", "dog", "eel"), data=data)


def scatter_points(figure: Figure) -> np.ndarray:
    """Every dot of every scatter in the figure, as (x, y) rows."""
    collections = [c for c in figure.axes[0].collections if isinstance(c, PathCollection)]
    return np.concatenate([c.get_offsets() for c in collections if len(c.get_offsets())])


# ---------------------------------------------------------------------------------------- global bar
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_global_bars_are_the_top_k_importances_highest_on_top(task):
    exp = explanation(task)
    figure = plot_global_importance(exp, top_k=4)
    bars = sorted(figure.axes[0].patches, key=lambda bar: -bar.get_y())  # top of the plot first
    assert_allclose([bar.get_width() for bar in bars], exp.get_ranked_global_values(4), rtol=1e-12)
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    assert labels == exp.get_ranked_global_names(4)


def test_multiclass_bar_segments_add_up_to_the_global_importance():
    exp = explanation("multiclass")
    axes = plot_global_importance(exp, top_k=None).axes[0]
    totals: dict[float, float] = {}
    for bar in axes.patches:
        totals[round(bar.get_y(), 6)] = totals.get(round(bar.get_y(), 6), 0.0) + bar.get_width()
    ordered = [totals[y] for y in sorted(totals, reverse=True)]
    assert_allclose(ordered, exp.get_ranked_global_values(), rtol=1e-12)
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["cat", "dog", "eel"]


def test_global_bar_works_for_global_only_explanations():
    exp = Explanation(local=None, expected=None, features=("a", "b"), task="regression", output_space="metric",
                      method="pfi", global_=[0.1, 0.7])
    bars = plot_global_importance(exp).axes[0].patches
    assert sorted(bar.get_width() for bar in bars) == [0.1, 0.7]


# ------------------------------------------------------------------------------------------ beeswarm
def test_beeswarm_dots_are_the_local_values_of_each_top_feature():
    exp = explanation("binary", n_rows=50)
    figure = plot_beeswarm(exp, top_k=3)
    points = scatter_points(figure)
    top = exp.get_ranked_global_names(3)
    expected_x = np.concatenate([exp.local_frame()[name].to_numpy() for name in top])
    assert_allclose(np.sort(points[:, 0]), np.sort(expected_x), rtol=1e-12)
    # each dot stays within its feature's band: row position +- 0.4
    assert np.all(np.abs(points[:, 1] - np.round(points[:, 1])) <= 0.4 + 1e-9)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == top


def test_beeswarm_samples_at_most_max_rows_and_is_reproducible():
    exp = explanation("regression", n_rows=300)
    first = scatter_points(plot_beeswarm(exp, top_k=2, max_rows=40, random_state=3))
    second = scatter_points(plot_beeswarm(exp, top_k=2, max_rows=40, random_state=3))
    assert len(first) == 2 * 40
    assert_array_equal(first, second)


def test_beeswarm_of_multiclass_needs_a_class_and_shows_that_class():
    exp = explanation("multiclass")
    with pytest.raises(InvalidParameterError, match="cls="):
        plot_beeswarm(exp)
    points = scatter_points(plot_beeswarm(exp, cls="dog", top_k=1))
    dog = exp.local_frame("dog")
    strongest = dog.abs().mean().idxmax()
    assert_allclose(np.sort(points[:, 0]), np.sort(dog[strongest].to_numpy()), rtol=1e-12)


def test_beeswarm_without_feature_values_is_drawn_in_one_colour_without_colourbar():
    figure = plot_beeswarm(explanation("binary", with_data=False))
    assert len(figure.axes) == 1  # a colourbar would add an axes
    colours = {tuple(c.get_facecolor()[0]) for c in figure.axes[0].collections if len(c.get_offsets())}
    assert len(colours) == 1


def test_beeswarm_offsets_spread_equal_values_symmetrically():
    offsets = _beeswarm_offsets(np.array([1.0] * 5 + [9.0]))
    assert sorted(offsets[:5]) == pytest.approx([-0.4, -0.2, 0.0, 0.2, 0.4])
    assert offsets[5] == 0.0


# ----------------------------------------------------------------------------------------- dependence
def test_dependence_plots_local_value_against_feature_value():
    exp = explanation("regression")
    points = scatter_points(plot_dependence(exp, "height", max_rows=None))
    assert_allclose(points[:, 0], exp.data["height"].to_numpy(), rtol=1e-12)
    assert_allclose(points[:, 1], exp.local_frame()["height"].to_numpy(), rtol=1e-12)


def test_dependence_of_a_categorical_feature_spreads_each_category_around_its_tick():
    exp = explanation("binary")
    figure = plot_dependence(exp, "colour")
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert labels == ["blue", "green", "red"]
    points = scatter_points(figure)
    codes = exp.data["colour"].map({"blue": 0, "green": 1, "red": 2}).to_numpy(dtype=float)
    assert np.all(np.abs(points[:, 0] - codes) <= 0.2)


def test_dependence_errors_say_what_is_missing():
    with pytest.raises(InvalidParameterError, match="feature values"):
        plot_dependence(explanation("binary", with_data=False), "age")
    with pytest.raises(InvalidParameterError, match="Did you mean 'height'"):
        plot_dependence(explanation("binary"), "heigth")


# ------------------------------------------------------------------------------------------- save_plots
@pytest.mark.parametrize(("task", "with_data", "expected"), [
    ("binary", True, ["global_importance.png", "beeswarm.png", "dependence_1_age.png", "dependence_2_income.png",
                      "dependence_3_colour.png"]),
    ("binary", False, ["global_importance.png", "beeswarm.png"]),
    ("multiclass", True, ["global_importance.png", "beeswarm_0_cat.png", "beeswarm_1_dog.png", "beeswarm_2_eel.png",
                          "dependence_1_age.png", "dependence_2_income.png", "dependence_3_colour.png"]),
])
def test_save_plots_writes_readable_pngs(tmp_path, task, with_data, expected):
    exp = explanation(task, with_data=with_data)
    written = save_plots(exp, tmp_path, n_dependence=3)
    assert written == expected
    for name in written:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(tmp_path / name)
        assert image.shape[0] > 100 and image.shape[1] > 100


def test_save_plots_of_global_only_explanation_writes_only_the_bar(tmp_path):
    exp = Explanation(local=None, expected=None, features=("a", "b"), task="regression", output_space="metric",
                      method="pfi", global_=[0.1, 0.7])
    assert save_plots(exp, tmp_path) == ["global_importance.png"]


def test_sample_rows_is_sorted_unique_bounded_and_seeded():
    rows = sample_rows(1000, 100, random_state=7)
    assert len(rows) == 100 and len(set(rows)) == 100
    assert np.all(np.diff(rows) > 0) and rows.min() >= 0 and rows.max() < 1000
    assert_array_equal(rows, sample_rows(1000, 100, random_state=7))
    assert_array_equal(sample_rows(5, 100), np.arange(5))
