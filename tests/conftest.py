"""Shared test set-up: no telemetry, the system prerequisites checked before any test runs, throwaway MLflow
stores, one real `mlflow server` per test session when asked for, a real headless Chromium, a pyspark
session, and the data sets several modules use."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# scripts/prerequisites.py is the one place that finds the browser and Java (`make test` runs it first)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import prerequisites  # noqa: E402

# which fixture needs which system prerequisites
_FIXTURE_NEEDS = {"browser": ("browser", "libatomic"), "spark": ("java",)}


def pytest_sessionstart(session):
    """Stop before collecting when the OpenMP runtime LightGBM loads is missing (every test module needs it)."""
    problems = prerequisites.missing({"openmp"})
    if problems:
        pytest.exit(prerequisites.report(problems, command="the tests"), returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collection_modifyitems(session, config, items):
    """Stop before the first test when a collected test needs a system package that is missing: one message
    naming each and how to install it, never a test error (`make test` installs them where it can)."""
    needs = {need for item in items for fixture, fixture_needs in _FIXTURE_NEEDS.items()
             if fixture in getattr(item, "fixturenames", ()) for need in fixture_needs}
    problems = prerequisites.missing(needs)
    if problems:
        pytest.exit(prerequisites.report(problems, command="the tests"), returncode=pytest.ExitCode.USAGE_ERROR)

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")

SERVER_START_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    """An `mlflow server` subprocess in its own process group (so its workers stop with it)."""

    def __init__(self, root: Path) -> None:
        self.port = _free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true"}
        env.pop("MLFLOW_TRACKING_URI", None)
        command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{root / 'db'}",
                   "--artifacts-destination", str(root / "artifacts"), "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", "1"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
                                            start_new_session=True)
        self.ready = False

    def wait(self) -> str:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self.ready:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start; its log:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as response:
                    self.ready = response.status == 200
            except OSError:
                time.sleep(0.5)
        return self.uri

    def kill(self) -> None:
        """Die at once, as a crashed server does (SIGKILL to its process group)."""
        os.killpg(self.process.pid, 9)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real `mlflow server` on a free 127.0.0.1 port (sqlite store, artifact proxy), shared by the session.

    Starting takes ~20 s here, so it starts when first requested; ``.wait()`` returns its URI once
    GET /health answers.
    """
    started = _Server(tmp_path_factory.mktemp("mlflow-server"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def killable_mlflow_server(tmp_path_factory):
    """A private `mlflow server` a test may kill (``.kill()``), started when first requested; ``.wait()`` as above."""
    started = _Server(tmp_path_factory.mktemp("killable-mlflow-server"))
    yield started
    started.stop()


@pytest.fixture
def unused_port() -> int:
    """A 127.0.0.1 port nothing listens on (for unreachable-server tests)."""
    return _free_port()


@pytest.fixture(scope="session")
def browser():
    """The system's headless Chromium (or Chrome) driven by Playwright, never a downloaded browser; shared by
    the session. Found by scripts/prerequisites.py: $EXPLAIN_LIB_CHROMIUM, else the usual install paths.

    Tests open their own pages (``browser.new_page()``) and close them.
    """
    from playwright.sync_api import sync_playwright

    path, problem = prerequisites.find_chromium()
    assert path is not None, problem  # checked before collection ends; here only if it vanished meanwhile
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=prerequisites.CHROMIUM_ARGS)
        yield launched
        launched.close()


def _require_java() -> None:
    from spark_cluster import java_problem

    problem = java_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def spark():
    """One pyspark ``local[2]`` session for the test session (starting one takes ~10 s); Java 17 from Debian."""
    from pyspark.sql import SparkSession

    _require_java()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python workers need this environment's packages
    # Spark's JVM otherwise looks up the machine's host name, which a fresh container may not resolve
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master("local[2]").appName("explain-lib-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
               .getOrCreate())
    yield session
    session.stop()


# ------------------------------------------------------------------------------------ throwaway stores
_CHOSEN = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")


def _experiment(uri: str, name: str, root: Path) -> str:
    """A new experiment whose artifacts go under ``root`` (never into the working directory)."""
    import mlflow

    return mlflow.MlflowClient(uri).create_experiment(name, artifact_location=(root / "artifacts" / name).as_uri())


@pytest.fixture(scope="module")
def store(tmp_path_factory, request):
    """A throwaway sqlite MLflow store for the test module: its URI, MLflow's current store while the module runs.

    ``MLFLOW_TRACKING_URI`` is set too, so subprocesses use it, and no run or experiment chosen outside
    leaks in. It holds one experiment, named by the module's ``STORE_EXPERIMENT`` (else after the
    module), chosen through ``MLFLOW_EXPERIMENT_ID``: runs go there, with their artifacts beside the
    store. After the module, open runs are ended and the environment is as it was.
    """
    import mlflow

    root = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    name = getattr(request.module, "STORE_EXPERIMENT", request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))
    with pytest.MonkeyPatch.context() as patch:
        # Through the environment only (never mlflow.set_tracking_uri, which would outrank it): a test that
        # points MLFLOW_TRACKING_URI elsewhere for itself (monkeypatch) is obeyed, then the store is back.
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        for variable in _CHOSEN:
            patch.delenv(variable, raising=False)
        patch.setenv("MLFLOW_EXPERIMENT_ID", _experiment(uri, name, root))
        yield uri
        while mlflow.active_run():
            mlflow.end_run()


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> tuple[str, str]:
    """A throwaway sqlite store and an experiment in it, ``(uri, experiment id)``, for code that is given the URI:
    MLflow's current store stays what it was."""
    root = tmp_path_factory.mktemp("sqlite-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    return uri, _experiment(uri, "explanations", root)


@pytest.fixture(scope="module")
def server_store(mlflow_server, request) -> tuple[str, str]:
    """The session's `mlflow server` and a new experiment on it for the module (named by ``STORE_EXPERIMENT``,
    else after the module), ``(uri, experiment id)``."""
    import mlflow

    uri = mlflow_server.wait()
    name = getattr(request.module, "STORE_EXPERIMENT", request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))
    return uri, mlflow.MlflowClient(uri).create_experiment(name)


@pytest.fixture(scope="module", params=["sqlite", "server"])
def tracking_store(request) -> tuple[str, str]:
    """Each test once on :func:`sqlite_store` and once on :func:`server_store`."""
    return request.getfixturevalue(f"{request.param}_store")


# -------------------------------------------------------------------------------------------- data sets
@pytest.fixture(scope="session")
def adult() -> tuple[pd.DataFrame, pd.Series]:
    """The bundled UCI Adult data, ``(X, y)`` as ``explain_lib.datasets.load_adult()`` returns them (32,561 rows)."""
    from explain_lib.datasets import load_adult

    return load_adult()


@pytest.fixture(scope="session")
def numeric() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """300 rows of four standard-normal features a-d, a binary label and the margin it thresholds (a noisy
    ``1.5a - b + 0.5ac``): ``(X, y, margin)``. Feature d is unused."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    margin = 1.5 * X.a - X.b + 0.5 * X.c * X.a
    y = (margin + rng.normal(scale=0.3, size=300) > 0).astype(int)
    return X, y, margin


# ------------------------------------------------------------------------------ Spark beyond local[2]
@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory):
    """A Spark standalone cluster on 127.0.0.1: a master and two 1-core workers, each a JVM started by pyspark's
    ``spark-class``; executors run this Python with this checkout importable. Every JVM is stopped at the end
    (process groups), also when a test fails. Drive it with ``spark_cluster.Driver`` (``.session_config()``)."""
    from spark_cluster import QUICK_START, StandaloneCluster

    _require_java()
    cluster = StandaloneCluster(tmp_path_factory.mktemp("spark-cluster"), java_options=QUICK_START)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def spark_connect(tmp_path_factory):
    """A real Spark Connect server (pyspark's ``SparkConnectServer``, started by ``spark-submit``) on a free
    127.0.0.1 port, running a ``local[2]`` master; ``.url`` is its ``sc://`` address. Stopped by process group."""
    from spark_cluster import QUICK_START, ConnectServer

    _require_java()
    server = ConnectServer(tmp_path_factory.mktemp("spark-connect"), java_options=QUICK_START)
    yield server
    server.stop()
