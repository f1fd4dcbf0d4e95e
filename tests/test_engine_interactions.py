"""Interaction values through the chunked engine equal the in-memory ones bit for bit, memory-mapped."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from explain_lib import InvalidParameterError, TreeShap
from explain_lib._importance import BLOCK_ROWS
from explain_lib.engine import explain_chunked, interactions_chunked

FEATURES = [f"x{j}" for j in range(6)]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(rng.normal(size=(BLOCK_ROWS + 700, 6)), columns=FEATURES)


@pytest.fixture(scope="module")
def explainer(rows) -> TreeShap:
    X = rows.iloc[:800]
    label = np.digitize(X.x0 * X.x1 + X.x2 - 0.5 * X.x3 * X.x4, [-0.5, 0.5])  # three classes
    # one thread: LightGBM's OpenMP threads crawl on a loaded machine
    return TreeShap(lightgbm.LGBMClassifier(n_estimators=15, num_leaves=10, verbose=-1, n_jobs=1).fit(X, label))


def test_chunks_on_two_processes_give_the_in_memory_values_bit_for_bit(explainer, rows, tmp_path):
    reference = explainer.interactions(rows, features=["x4", "x0", "x1"])
    chunked = interactions_chunked(explainer, rows, features=["x4", "x0", "x1"], chunk_rows=1500, workers=2,
                                   job_dir=tmp_path, progress=False)
    assert isinstance(chunked.values, np.memmap) and not chunked.values.flags.writeable
    assert chunked.features == reference.features and chunked.n_rows == len(rows)
    assert_array_equal(chunked.values, reference.values)
    assert_array_equal(chunked.rest, reference.rest)
    assert_array_equal(chunked.expected, reference.expected)
    assert_array_equal(chunked.per_class, reference.per_class)  # block-ordered means: any split, same bits
    assert chunked.params["engine"] == {"name": "local", "chunk_rows": 1500, "n_chunks": 4}
    assert not list((tmp_path / "parts").iterdir())  # parts are removed once copied


def test_top_k_ranks_by_the_chunked_global_importance(explainer, rows, tmp_path):
    chunked = interactions_chunked(explainer, rows, top_k=2, chunk_rows=2500, workers=1, job_dir=tmp_path,
                                   progress=False)
    ranked = explain_chunked(explainer, rows, chunk_rows=2500, workers=1, progress=False)
    assert chunked.features == tuple(ranked.global_importance(top_k=2).index)
    assert chunked.params["chosen"] == "top_k by global importance"
    assert_array_equal(chunked.values, explainer.interactions(rows, features=list(chunked.features)).values)


def test_a_second_job_in_a_used_folder_and_a_misspelt_feature_are_refused(explainer, rows, tmp_path):
    with pytest.raises(InvalidParameterError, match="not both"):
        interactions_chunked(explainer, rows, features=["x0"], top_k=1, workers=1)
    (tmp_path / "something").write_text("x")
    with pytest.raises(InvalidParameterError, match="not empty"):
        interactions_chunked(explainer, rows, job_dir=tmp_path, workers=1)
    with pytest.raises(InvalidParameterError, match="Did you mean 'x1'"):
        interactions_chunked(explainer, rows, features=["x_1"], job_dir=tmp_path / "new", workers=1)
