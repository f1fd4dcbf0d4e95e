"""Rows per second of a served scoring explainer against plain serving of the same model.

Model: LightGBM classifier (100 trees, 31 leaves) on make_classification(n_samples=20_000,
n_features=20, random_state=0), explained by TreeShap (LightGBM's native contributions).

Two `mlflow models serve --env-manager local` processes on 127.0.0.1, started side by side:

* plain: the model logged with ``mlflow.lightgbm.log_model`` (predictions only);
* scoring: ``explain_lib.mlflow.log_scoring_explainer`` of the same model (predictions plus one
  importance column per feature, per row).

For batch sizes 1, 100 and 10,000 rows, each is sent ``--repeats`` JSON ``dataframe_split``
requests (after one warm-up); the median request time gives rows/s, and the ratio scoring / plain
says what the explanations cost on top of the predictions (JSON encoding included).

    python benchmarks/scoring.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import lightgbm
import mlflow
import pandas as pd
from _local_server import free_port
from sklearn.datasets import make_classification

from explain_lib import TreeShap
from explain_lib.mlflow import save_scoring_explainer

BATCHES = (1, 100, 10_000)


def _serve(model_path: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ.get('PATH', '')}"}
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_path, "--env-manager", "local",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return process, f"http://127.0.0.1:{port}"


def _wait(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 300
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2):
                return
        except OSError:
            time.sleep(0.5)


def _request_seconds(url: str, body: bytes, repeats: int) -> float:
    request = urllib.request.Request(f"{url}/invocations", data=body, headers={"Content-Type": "application/json"})
    times = []
    for attempt in range(repeats + 1):
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
        if attempt:  # the first is a warm-up
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    X, y = make_classification(n_samples=20_000, n_features=20, n_informative=8, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    model = lightgbm.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1).fit(X, y)
    processes = []
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        root = Path(tmp)
        mlflow.lightgbm.save_model(model, str(root / "plain"), input_example=X[:5])
        save_scoring_explainer(TreeShap(model), str(root / "scoring"), input_example=X[:5])
        try:
            servers = {}
            for name in ("plain", "scoring"):
                process, url = _serve(str(root / name), root / f"{name}.log")
                processes.append(process)
                servers[name] = (process, url)
            for name, (process, url) in servers.items():
                _wait(process, url, root / f"{name}.log")
            print(f"{'rows/request':>12} {'plain rows/s':>14} {'scoring rows/s':>15} {'scoring/plain':>14}")
            for n in BATCHES:
                body = json.dumps({"dataframe_split": X[:n].to_dict(orient="split")}).encode()
                rates = {name: n / _request_seconds(url, body, args.repeats) for name, (_, url) in servers.items()}
                print(f"{n:>12} {rates['plain']:>14.0f} {rates['scoring']:>15.0f} "
                      f"{rates['scoring'] / rates['plain']:>14.2f}")
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=30)


if __name__ == "__main__":
    main()
