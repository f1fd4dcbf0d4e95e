"""The Spark engine, spark_udf scoring and the explain step beyond local[2]: a standalone cluster and Spark Connect.

Both fixtures are real Spark from pyspark's distribution (conftest.py, spark_cluster.py). Starting Spark
dominates, so each fixture has one test that runs all of its jobs in one driver process (a process of its
own: pyspark cannot hold a Connect session beside a classic one, nor two masters) and compares what comes
back with the local engine here: bit for bit for explanations, to 1e-12 for scoring.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from spark_cluster import Driver

from explain_lib import Explanation, KernelShap, MimicExplainer, TreeShap
from explain_lib.engine import explain_chunked

KILL_MARKER = "kill-job-started"


# --------------------------------------------------------------------------------------------- the jobs
FEATURES = [f"x{j}" for j in range(12)]


def _explainers() -> dict[str, object]:
    """LightGBM TreeSHAP (binary), KernelShap's sampled estimator (12 features, 3 classes), a LightGBM mimic."""
    import lightgbm
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    X = pd.DataFrame(np.random.default_rng(3).normal(size=(3000, len(FEATURES))), columns=FEATURES)
    y = pd.cut(X.x0 + X.x1 * X.x2 - X.x3, [-np.inf, -0.5, 0.5, np.inf], labels=False).to_numpy()
    booster = lightgbm.LGBMClassifier(n_estimators=60, num_leaves=15, verbose=-1, random_state=0, n_jobs=1)
    return {"tree": TreeShap(booster.fit(X, y == 2)),
            "kernel": KernelShap(LogisticRegression(max_iter=500).fit(X, y), X.iloc[:20], random_state=0,
                                 progress=False),
            "mimic": MimicExplainer(MLPClassifier((16,), max_iter=200, random_state=0).fit(X, y), X, "lightgbm",
                                    random_state=0)}


def _on_spark(spark, explainer, n_rows: int, partitions: int, output_uri: str) -> dict:
    """explain_spark on ``n_rows`` rows Spark draws in ``partitions`` partitions; its explanation, the rows in
    the frame's order, the local values written, the partitions that wrote them and the engine's log line.

    The rows are made by Spark (seeded per partition, so a rerun task draws them again) rather than sent from
    pandas: a small local table is one partition on Connect, and a shuffle to split it keeps no row order
    across executors.
    """
    from pyspark.sql import functions

    from explain_lib.engine import explain_spark

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("explain_lib.engine._spark")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    frame = spark.range(n_rows, numPartitions=partitions).select(
        *(functions.randn(seed=j).alias(name) for j, name in enumerate(FEATURES)))
    try:
        explanation = explain_spark(explainer, frame, output_uri)
    finally:
        logger.removeHandler(handler)
    print(f"driver: {records[-1].getMessage()} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    stored = spark.read.parquet(output_uri).toPandas().sort_values(["_output", "_row"])
    return {"explanation": explanation, "rows": stored["_row"].to_numpy(), "message": records[-1].getMessage(),
            "ordered": frame.toPandas(), "parts": len(list(Path(output_uri[len("file://"):]).glob("part-*"))),
            "local": stored[FEATURES].to_numpy().reshape(len(explanation.expected), n_rows, len(FEATURES))}


def _score(spark, model_uri: str, rows: pd.DataFrame) -> pd.DataFrame:
    """The scoring explainer applied with mlflow.pyfunc.spark_udf on 4 partitions; rows back in their order."""
    from explain_lib.mlflow import spark_result_type

    started = time.perf_counter()
    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=spark_result_type(model_uri), env_manager="local")
    frame = spark.createDataFrame(rows.assign(row=np.arange(len(rows)))).repartition(4)
    scored = frame.select("row", udf(*rows.columns).alias("out")).select("row", "out.*").toPandas()
    print(f"driver: scored {len(rows)} rows with spark_udf in {time.perf_counter() - started:.1f} s", file=sys.stderr,
          flush=True)
    return scored.sort_values("row").drop(columns="row").reset_index(drop=True)


def _cluster_jobs(spark, jobs: dict, root: str, scoring: tuple[str, pd.DataFrame], killed: tuple) -> dict:
    """The cluster's driver: each job, the scoring, then (the marker written first) the job a worker dies in."""
    results = {name: _on_spark(spark, *job, f"file://{root}/{name}") for name, job in jobs.items()}
    results["scoring"] = _score(spark, *scoring)
    Path(root, KILL_MARKER).touch()
    results["killed"] = _on_spark(spark, *killed, f"file://{root}/killed")
    return results


def _connect_jobs(spark, jobs: dict, root: str, scoring: tuple[str, pd.DataFrame], private: str) -> dict:
    """The Connect client: each job (mimic's explainer as a session file), the scoring, a missing module."""
    import explain_lib.engine._spark as engine

    results = {}
    for name, job in jobs.items():
        inline = engine.INLINE_BYTES
        engine.INLINE_BYTES = 0 if name == "mimic" else inline  # the file route, without a 4 MiB explainer
        try:
            results[name] = _on_spark(spark, *job, f"file://{root}/{name}")
        finally:
            engine.INLINE_BYTES = inline
    results["scoring"] = _score(spark, *scoring)
    sys.path.insert(0, private)  # a model module only this driver can import, as a user's unshipped package
    from private_model import model  # noqa: F401 - imported here, so cloudpickle refers to it by name

    background = pd.DataFrame(np.zeros((2, len(FEATURES))), columns=FEATURES)
    try:
        _on_spark(spark, KernelShap(model, background), 100, 2, f"file://{root}/private")
    except Exception as error:  # noqa: BLE001 - the test checks which error this is
        results["private"] = error
    return results


# ------------------------------------------------------------------------------------------- checks
def _assert_equals_local_engine(name: str, on_spark: dict, explainer, job: Path) -> None:
    """The same rows in the frame's order through explain_chunked: the same bits everywhere."""
    rows = on_spark["ordered"]
    local = explain_chunked(explainer, rows, chunk_rows=1500, workers=1, job_dir=job / name, progress=False)
    explanation: Explanation = on_spark["explanation"]
    assert on_spark["parts"] > 1, name  # more than one task explained rows
    assert np.array_equal(on_spark["rows"], np.tile(np.arange(len(rows)), len(local.expected))), name
    assert np.array_equal(on_spark["local"], np.asarray(local.local)), name
    assert np.array_equal(explanation.global_, local.global_), name
    assert np.array_equal(explanation.per_class, local.per_class), name
    assert np.array_equal(explanation.expected, local.expected), name
    assert explanation.params.get("algorithm") == local.params.get("algorithm"), name


@pytest.fixture(scope="module")
def scoring(store):
    """A logged scoring explainer (raw features of a ColumnTransformer + LogisticRegression) and 100k rows."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from explain_lib import TabularExplainer
    from explain_lib.mlflow import log_scoring_explainer
    from explain_lib.scoring import ScoringExplainer

    rng = np.random.default_rng(8)
    rows = pd.DataFrame({"age": rng.integers(18, 80, 100_000).astype(float), "hours": rng.normal(40, 8, 100_000),
                         "colour": rng.choice(["red", "green", "blue"], 100_000)})
    labels = ((rows.age > 45) ^ (rows.colour == "red")).astype(int)
    model = Pipeline([("prep", ColumnTransformer([("num", StandardScaler(), ["age", "hours"]),
                                                  ("cat", OneHotEncoder(), ["colour"])])),
                      ("model", LogisticRegression())]).fit(rows[:500], labels[:500])
    with mlflow.start_run():
        info = log_scoring_explainer(ScoringExplainer(TabularExplainer(model, rows[:500])), name="explainer",
                                     input_example=rows[:5])
    return info.model_uri, rows


def _assert_scored_like_offline(scored: pd.DataFrame, model_uri: str, rows: pd.DataFrame) -> None:
    offline = mlflow.pyfunc.load_model(model_uri).predict(rows)
    assert len(scored) == len(rows)
    assert_frame_equal(scored, offline, check_dtype=False, check_exact=False, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------------- tests
def _committed(output: Path) -> set[tuple[int, int]]:
    """(stage, partition) of the tasks whose output the job has committed (task_<job>_<stage>_m_<partition>)."""
    names = (re.search(r"_(\d+)_m_(\d+)$", path.name) for path in output.glob("_temporary/0/task_*"))
    return {(int(found.group(1)), int(found.group(2))) for found in names if found}


def _kill_mid_job(cluster, driver: Driver, output: Path) -> dict:
    """Once the job to kill has committed a task while another runs, SIGKILL the worker of the running task (its
    JVM, its executor and their Python workers: a lost machine); what was true at that moment, and the tasks its
    executor's log shows begun and never finished."""
    deadline = time.monotonic() + 300
    while True:
        assert driver.running(), f"the driver ended before a worker was killed:\n{driver.log()}"
        assert time.monotonic() < deadline, "the job to kill did not start"
        committed = _committed(output) if (output.parent / KILL_MARKER).exists() else set()
        running = [(task, index) for index in range(len(cluster.workers))
                   for task, key in cluster.running_tasks(index).items() if key not in committed]
        if committed and running:
            break
        time.sleep(0.05)
    victim = max(running)[1]  # the task begun last: the most of it is left
    cluster.workers[victim].kill()
    return {"finished_before_kill": (output / "_SUCCESS").exists(), "tasks_committed": len(committed),
            "lost_tasks": cluster.running_tasks(victim)}


def test_standalone_cluster_equals_local_engine_scores_100k_rows_and_survives_a_lost_worker(
        spark_cluster, scoring, tmp_path, store):
    explainers = _explainers()
    jobs = {"tree": (explainers["tree"], 4000, 8), "mimic": (explainers["mimic"], 3000, 8)}
    killed = (explainers["kernel"], 2400, 8)
    driver = Driver(tmp_path / "driver", spark_cluster.session_config(), _cluster_jobs, jobs, str(tmp_path / "out"),
                    scoring, killed, env={"MLFLOW_TRACKING_URI": store})
    try:
        at_kill = _kill_mid_job(spark_cluster, driver, tmp_path / "out" / "killed")
        results = driver.result()
    finally:
        driver.stop()
    for name in jobs:
        _assert_equals_local_engine(name, results[name], explainers[name], tmp_path / "local")
    assert len(scoring[1]) == 100_000
    _assert_scored_like_offline(results["scoring"], *scoring)

    assert not at_kill["finished_before_kill"] and at_kill["tasks_committed"] >= 1
    assert at_kill["lost_tasks"], "the killed worker's executor was running no task"
    assert "Lost executor" in driver.log(10**7)  # the driver saw the worker's executor die during the job
    _assert_equals_local_engine("killed", results["killed"], explainers["kernel"], tmp_path / "local")


def test_spark_connect_equals_local_engine_scores_with_spark_udf_and_runs_the_explain_step(
        spark_connect, scoring, tmp_path, store):
    explainers = _explainers()
    jobs = {"tree": (explainers["tree"], 4000, 4), "kernel": (explainers["kernel"], 400, 4),
            "mimic": (explainers["mimic"], 3000, 4)}
    private = tmp_path / "private"
    private.mkdir()
    (private / "private_model.py").write_text("def model(rows):\n    return rows.sum(axis=1)\n")
    scoring = scoring[0], scoring[1].iloc[:20_000]  # what Connect adds is the executors loading the model
    driver = Driver(tmp_path / "driver", {"remote": spark_connect.url}, _connect_jobs, jobs, str(tmp_path / "out"),
                    scoring, str(private), env={"MLFLOW_TRACKING_URI": store})
    results = driver.result()
    for name in jobs:
        _assert_equals_local_engine(name, results[name], explainers[name], tmp_path / "local")
    assert "inside the function" in results["tree"]["message"]
    assert "as a session file" in results["mimic"]["message"]
    _assert_scored_like_offline(results["scoring"], *scoring)

    from explain_lib.engine import ExecutorEnvironmentError

    assert isinstance(results["private"], ExecutorEnvironmentError)
    assert "'private_model'" in str(results["private"]) and "PYSPARK_PYTHON" in str(results["private"])

    _assert_explain_step_on_connect(spark_connect.url, tmp_path, store)


def _assert_explain_step_on_connect(url: str, tmp_path: Path, store: str) -> None:
    """``explain-lib explain --engine spark`` with SPARK_REMOTE gives the in-memory explanation's importances."""
    from sklearn.linear_model import LogisticRegression

    from explain_lib.steps import explain

    rng = np.random.default_rng(2)
    rows = pd.DataFrame(rng.normal(size=(3000, 5)), columns=list("abcde"))
    with mlflow.start_run():
        model_uri = mlflow.sklearn.log_model(LogisticRegression().fit(rows, rows.a + rows.b > 0), name="model",
                                             serialization_format="cloudpickle").model_uri
    rows.to_csv(tmp_path / "rows.csv", index=False)
    with mlflow.start_run():
        explain(model_uri, tmp_path / "rows.csv", explanation_output=tmp_path / "in-memory")
    env = {**os.environ, "SPARK_REMOTE": url, "MLFLOW_TRACKING_URI": store}
    values = (tmp_path / "shared" / "local-values").as_uri()  # as a cluster's s3a://, abfss:// or /Volumes
    done = subprocess.run([sys.executable, "-m", "explain_lib.cli", "explain", "--model", model_uri, "--data",
                           str(tmp_path / "rows.csv"), "--engine", "spark", "--explanation-output",
                           str(tmp_path / "on-connect"), "--local-values-uri", values],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    in_memory, on_connect = Explanation.load(tmp_path / "in-memory"), Explanation.load(tmp_path / "on-connect")
    assert on_connect.params["engine"] == {**on_connect.params["engine"], "name": "spark", "n_rows": 3000,
                                           "local_values_uri": values}
    assert len(pd.read_parquet(tmp_path / "shared" / "local-values")) == 3000 * len(in_memory.expected)
    assert np.array_equal(on_connect.global_, in_memory.global_)
    assert np.array_equal(on_connect.per_class, in_memory.per_class)


def test_spark_fixtures_fail_naming_java_17_when_it_is_missing_or_old(tmp_path, monkeypatch):
    from spark_cluster import java_problem

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    assert "Spark needs Java 17" in java_problem() and "openjdk-17-jre-headless" in java_problem()
    old = tmp_path / "old-java" / "bin"
    old.mkdir(parents=True)
    (old / "java").write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n')
    (old / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(old.parent))
    assert "Java 17 or newer" in java_problem() and "is Java 11" in java_problem()
