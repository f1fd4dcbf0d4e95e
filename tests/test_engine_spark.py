"""The Spark engine (mapInPandas on local[2]) gives the local engine's answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explain_lib.engine import explain_chunked, explain_spark
from explain_lib.errors import InvalidParameterError
from explain_lib.explainers import LinearShap


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
