"""What the tracking tests share: hand-made explanations of every kind, the check that a downloaded one
equals its original, a new run on a store, and a script run in a child process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import mlflow
import numpy as np
import pandas as pd
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal

from explain_lib import Explanation
from explain_lib.tracking import ExplanationClient

FEATURES = ("age", "income", "colour", "height", "weight", "score", "city/zone", "tenure")


# ------------------------------------------------------------------------------------------ explanations
def frame(n_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({
        "age": rng.integers(18, 90, n_rows),
        "income": rng.normal(50, 10, n_rows),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n_rows), categories=["blue", "green", "red"]),
        "height": rng.normal(170, 10, n_rows),
        "weight": rng.normal(70, 5, n_rows),
        "score": rng.random(n_rows),
        "city/zone": rng.choice(["north", "south"], n_rows),
        "tenure": rng.integers(0, 30, n_rows).astype(float),
    })


def make_explanation(kind: str, n_rows: int = 40, seed: int = 0) -> Explanation:
    """Hand-made explanations with continuous random values (no ranking ties) of every supported kind."""
    rng = np.random.default_rng(seed)
    scale = np.linspace(2.0, 0.2, len(FEATURES))
    common = {"features": FEATURES, "method": "test.method", "params": {"seed": seed, "kind": kind},
              "model_uri": f"runs:/{'a' * 32}/model"}
    if kind == "regression":
        return Explanation(local=rng.normal(size=(1, n_rows, 8)) * scale, expected=[12.5], task="regression",
                           output_space="raw", data=frame(n_rows, rng), **common)
    if kind in ("binary", "raw", "engineered"):
        positive = rng.normal(size=(n_rows, 8)) * scale
        return Explanation(local=np.stack([-positive, positive]), expected=[0.4, -0.4], task="classification",
                           output_space="margin", classes=("no", "yes"), data=frame(n_rows, rng),
                           is_raw=kind == "raw", is_engineered=kind == "engineered", **common)
    if kind == "multiclass":
        return Explanation(local=rng.normal(size=(3, n_rows, 8)) * scale, expected=[0.2, 0.3, 0.5],
                           task="classification", output_space="probability", classes=(3, 5, 7),
                           data=frame(n_rows, rng), fidelity={"r2": 0.93}, **common)
    if kind == "sparse":  # CSR input: mostly zero local values, no data kept
        local = rng.normal(size=(1, n_rows, 8)) * scale * (rng.random((1, n_rows, 8)) < 0.15)
        return Explanation(local=local, expected=[0.0], task="regression", output_space="raw", data=None, **common)
    raise ValueError(kind)


KINDS = ["regression", "binary", "multiclass", "sparse", "raw", "engineered"]


def assert_same_explanation(downloaded: Explanation, original: Explanation) -> None:
    """Metadata and global values exact; local values exactly the float32 rounding of the original's."""
    for name in ("id", "method", "task", "output_space", "features", "classes", "is_raw", "is_engineered",
                 "model_uri"):
        assert getattr(downloaded, name) == getattr(original, name), name
    assert dict(downloaded.params) == dict(original.params)
    assert dict(downloaded.versions) == dict(original.versions)
    assert (None if downloaded.fidelity is None else dict(downloaded.fidelity)) == (
        None if original.fidelity is None else dict(original.fidelity))
    for name in ("expected", "global_", "per_class"):
        got, want = getattr(downloaded, name), getattr(original, name)
        assert (got is None) == (want is None), name
        if want is not None:
            assert_array_equal(got, want, err_msg=name)
    assert_array_equal(downloaded.local, original.local.astype(np.float32).astype(np.float64))
    if original.data is None:
        assert downloaded.data is None
    else:
        assert_frame_equal(downloaded.data, original.data)


# --------------------------------------------------------------------------------------------- stores
def new_run(store: tuple[str, str]) -> ExplanationClient:
    uri, experiment = store
    run = mlflow.MlflowClient(uri).create_run(experiment)
    return ExplanationClient.from_run_id(run.info.run_id, tracking_uri=uri)


def run_script(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
