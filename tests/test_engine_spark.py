"""The Spark engine (mapInPandas on local[2]) gives the local engine's answer, and refuses what would not.

The standalone cluster and Spark Connect are tested in test_spark_clusters.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explain_lib.engine import ExecutorEnvironmentError, explain_chunked, explain_spark
from explain_lib.errors import InvalidInputError, InvalidParameterError
from explain_lib.explainers import KernelShap, LinearShap


def test_spark_engine_equals_the_local_engine(spark, tmp_path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    rows = pd.DataFrame(rng.normal(size=(5000, 4)), columns=["a", "b", "c", "d"])
    labels = pd.cut(rows.a - rows.c, [-np.inf, -0.7, 0.7, np.inf], labels=False)
    explainer = LinearShap(LogisticRegression(max_iter=300).fit(rows, labels), rows.iloc[:200])
    local = explain_chunked(explainer, rows, chunk_rows=1700, workers=1, job_dir=tmp_path / "job", progress=False)

    output_uri = (tmp_path / "local-values").as_uri()  # a URI, as on a cluster (s3a://, abfss://, dbfs:/)
    frame = spark.createDataFrame(rows, schema="a double, b double, c double, d double")
    assert frame.rdd.getNumPartitions() > 1
    on_spark = explain_spark(explainer, frame, output_uri)
    assert np.array_equal(on_spark.global_, local.global_)
    assert np.array_equal(on_spark.per_class, local.per_class)
    assert np.array_equal(on_spark.expected, local.expected)
    assert on_spark.local is None and on_spark.params["engine"]["local_values_uri"] == output_uri

    stored = spark.read.parquet(output_uri).toPandas().sort_values(["_output", "_row"])
    assert stored["_row"].tolist() == list(range(len(rows))) * 3
    values = stored[list(rows.columns)].to_numpy().reshape(3, len(rows), 4)
    assert np.array_equal(values, np.asarray(local.local))

    with pytest.raises(InvalidParameterError, match="pyspark DataFrame"):
        explain_spark(explainer, rows, output_uri)


def test_a_compat_surrogates_explanation_keeps_its_initialization_rows_on_both_engines(spark, tmp_path):
    """interpret-community writes a surrogate explanation's initialization rows as init_data; the engines keep
    them, as the explainer's own explanations do."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from explain_lib.compat import MimicExplainer
    from explain_lib.compat.explanation import load_explanation, save_explanation

    X, y = load_iris(return_X_y=True, as_frame=True)
    explainer = MimicExplainer(LogisticRegression(max_iter=500).fit(X, y), X, "tree")
    chunked = explain_chunked(explainer, X, chunk_rows=60, workers=1, progress=False)
    on_spark = explain_spark(explainer, spark.createDataFrame(X), (tmp_path / "values").as_uri())
    for explanation, name in ((chunked, "chunked"), (on_spark, "spark")):
        assert explanation.init_data == X.to_numpy().tolist()
        save_explanation(explanation, tmp_path / name)
        assert load_explanation(tmp_path / name).init_data == X.to_numpy().tolist()


def test_spark_engine_refuses_save_modes_that_would_mix_other_rows_into_the_importances(spark, tmp_path):
    rows = pd.DataFrame(np.random.default_rng(1).normal(size=(50, 2)), columns=["a", "b"])
    explainer = LinearShap(_fitted(rows), rows)
    frame = spark.createDataFrame(rows)
    for mode in ("append", "ignore"):
        with pytest.raises(InvalidParameterError, match="'error' .* or 'overwrite'"):
            explain_spark(explainer, frame, (tmp_path / "out").as_uri(), mode=mode)
    first = explain_spark(explainer, frame, (tmp_path / "out").as_uri(), mode="errorifexists")
    again = explain_spark(explainer, frame, (tmp_path / "out").as_uri(), mode="overwrite")
    assert np.array_equal(first.global_, again.global_)


def test_spark_input_that_reads_differently_twice_is_an_error_not_wrong_importances(spark, tmp_path):
    """Rows kept by an unseeded coin: the counting pass and the explaining pass see different rows."""
    from pyspark.sql import functions

    rows = pd.DataFrame(np.random.default_rng(2).normal(size=(5000, 2)), columns=["a", "b"])
    coin = functions.udf(lambda: __import__("random").random() < 0.5, "boolean").asNondeterministic()
    frame = spark.createDataFrame(rows).repartition(4).filter(coin())
    with pytest.raises(InvalidInputError, match="same rows in the same order"):
        explain_spark(LinearShap(_fitted(rows), rows), frame, (tmp_path / "out").as_uri())


def test_a_module_the_executors_lack_is_an_error_naming_it_and_where_to_install(spark, tmp_path, monkeypatch):
    """The model's module is importable here only (as a user's package not installed on the cluster)."""
    (tmp_path / "only_on_the_driver.py").write_text("def model(rows):\n    return rows.sum(axis=1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from only_on_the_driver import model

    rows = pd.DataFrame(np.zeros((10, 2)), columns=["a", "b"])
    with pytest.raises(ExecutorEnvironmentError, match="'only_on_the_driver'.*PYSPARK_PYTHON"):
        explain_spark(KernelShap(model, rows[:2]), spark.createDataFrame(rows), (tmp_path / "out").as_uri())


def _fitted(rows: pd.DataFrame):
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit(rows, rows.a - 2 * rows.b)
