"""Size and speed of a stored explanation, and its upload / download through an MLflow server.

A 20k x 40 binary explanation: TreeShap of a LightGBM classifier (100 trees, 31 leaves) trained on
make_classification(n_samples=50_000, n_features=40, n_informative=13, random_state=0).

1. Save: bytes on disk and median save / load time of
   * explain_lib ``Explanation.save`` (float32 Parquet + JSON), without and with the explained rows;
   * interpret-community's ``save_explanation`` when it is installed, and in any case its format
     re-created here (one JSON file per property, values as nested lists via ``json.dump``, both
     classes' local values, as interpret_community/explanation/explanation.py writes them);
   * mlflow.shap's files (``shap_values.npy`` float64 rows x features x classes, ``base_values.npy``).
2. Upload + download against a local ``mlflow server`` (sqlite backend, proxied artifacts):
   ``upload_model_explanation`` with and without plots, ``download_model_explanation`` in full and
   with ``top_k=10``; and the interpret-community JSON folder through ``log_artifacts`` /
   ``download_artifacts`` for the same transport.

Target: explain_lib at least 10x smaller and 10x faster to save than interpret-community's JSON.

    python benchmarks/artifact.py [--repeats 5] [--rows 20000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lightgbm
import mlflow
import numpy as np
from _local_server import start_server, stop_server
from sklearn.datasets import make_classification

from explain_lib import Explanation, TreeShap
from explain_lib.tracking import ExplanationClient


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _json_property(path: Path, name: str, value: object) -> None:
    """One property file in interpret-community's layout: {"metadata": type, "data": nested lists}."""
    kind = "ndarray" if isinstance(value, np.ndarray) else "list"
    data = value.tolist() if isinstance(value, np.ndarray) else value
    with open(path / f"{name}.json", "w") as handle:
        json.dump({"metadata": kind, "data": data}, handle)


def save_interpret_community_format(explanation: Explanation, path: Path) -> None:
    """interpret-community's save_explanation format, re-created (the package needs numpy < 2.3)."""
    path.mkdir(parents=True, exist_ok=True)
    global_order = np.argsort(-explanation.global_, kind="stable")
    per_class_order = np.argsort(-explanation.per_class, axis=1, kind="stable")
    properties = {
        "features": list(explanation.features),
        "local_importance_values": explanation.local,  # classification: (classes, rows, features)
        "expected_values": explanation.expected.tolist(),
        "classes": list(explanation.classes),
        "global_importance_names": [explanation.features[i] for i in global_order],
        "global_importance_rank": global_order,
        "global_importance_values": explanation.global_[global_order],
        "per_class_names": [[explanation.features[i] for i in row] for row in per_class_order],
        "per_class_rank": per_class_order,
        "per_class_values": np.take_along_axis(explanation.per_class, per_class_order, axis=1),
    }
    for name, value in properties.items():
        _json_property(path, name, value)
    metadata = {"id": explanation.id, "model_type": "classification", "data_type": "tabular",
                "model_task": explanation.task, "method": explanation.method, "is_raw": False, "is_engineered": False,
                "global": True, "local": True, "num_classes": 2, "num_examples": explanation.n_rows,
                "num_features": explanation.n_features, "serialization_version": 1}
    (path / "explanation_metadata.json").write_text(json.dumps(metadata))


def load_interpret_community_format(path: Path) -> np.ndarray:
    with open(path / "local_importance_values.json") as handle:
        return np.array(json.load(handle)["data"])


def save_mlflow_shap_files(explanation: Explanation, path: Path) -> None:
    """What mlflow.shap.log_explanation writes for a binary classifier (shap 0.51 layout)."""
    path.mkdir(parents=True, exist_ok=True)
    np.save(path / "shap_values.npy", np.transpose(explanation.local, (1, 2, 0)))
    np.save(path / "base_values.npy", explanation.expected)


def interpret_community_saver(explanation: Explanation) -> Callable[[Path], None] | None:
    """interpret-community's own save_explanation of the same values, or None when it is not installed."""
    try:
        from interpret_community.explanation.explanation import (
            _aggregate_global_from_local_explanation,
            _create_local_explanation,
            save_explanation,
        )
    except ImportError:
        return None
    local = _create_local_explanation(local_importance_values=explanation.local, expected_values=explanation.expected,
                                      classification=True, method=explanation.method, model_task="classification",
                                      features=list(explanation.features), classes=list(explanation.classes))
    theirs = _aggregate_global_from_local_explanation(local_explanation=local)
    return lambda path: save_explanation(theirs, str(path))


def _timed(runs: dict[str, Callable[[int], object]], repeats: int) -> dict[str, list[float]]:
    """Median-ready wall times, contenders interleaved within each repeat."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for repeat in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run(repeat)
            times[name].append(time.perf_counter() - start)
    return times


def _print_table(title: str, rows: list[tuple[str, float | None, float, float | None]], baseline: str) -> None:
    print(f"\n{title}")
    base = {name: (size, save) for name, size, save, _ in rows}[baseline]
    print(f"  {'':44s} {'MB on disk':>10s} {'save s':>8s} {'load s':>8s}   size / save vs {baseline}")
    for name, size, save, load in rows:
        load_text = f"{load:8.3f}" if load is not None else f"{'-':>8s}"
        ratios = f"{size / base[0]:6.2f}x / {save / base[1]:6.2f}x"
        print(f"  {name:44s} {size / 1e6:10.2f} {save:8.3f} {load_text}   {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    X, y = make_classification(n_samples=50_000, n_features=40, n_informative=13, random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1, random_state=0).fit(X, y)
    with_data = TreeShap(model).explain(X[: args.rows])
    explanation = dataclasses.replace(with_data, data=None)
    print(f"{args.rows} rows x 40 features, binary, TreeShap of LightGBM; medians of {args.repeats} runs")

    with tempfile.TemporaryDirectory(prefix="explain-lib-bench-") as tmp:
        root = Path(tmp)
        ours, ic = "explain_lib Explanation.save", "interpret-community JSON (format re-created)"
        folders = {ours: root / "ours", f"{ours}, with data": root / "ours_data", ic: root / "ic",
                   "mlflow.shap .npy files": root / "npy"}
        savers = {
            ours: lambda r: explanation.save(folders[ours] / str(r)),
            f"{ours}, with data": lambda r: with_data.save(folders[f"{ours}, with data"] / str(r)),
            ic: lambda r: save_interpret_community_format(explanation, folders[ic] / str(r)),
            "mlflow.shap .npy files": lambda r: save_mlflow_shap_files(explanation, folders["mlflow.shap .npy files"]
                                                                       / str(r)),
        }
        loaders = {
            ours: lambda r: Explanation.load(folders[ours] / str(r)),
            f"{ours}, with data": lambda r: Explanation.load(folders[f"{ours}, with data"] / str(r)),
            ic: lambda r: load_interpret_community_format(folders[ic] / str(r)),
            "mlflow.shap .npy files": lambda r: np.load(folders["mlflow.shap .npy files"] / str(r) / "shap_values.npy"),
        }
        real_ic = interpret_community_saver(explanation)
        if real_ic is not None:
            folders["interpret-community save_explanation"] = root / "ic_real"
            savers["interpret-community save_explanation"] = lambda r: real_ic(root / "ic_real" / str(r))
            loaders["interpret-community save_explanation"] = lambda r: None
        print("interpret-community save_explanation: " + ("installed, measured" if real_ic else
              "not installed (0.32 pins shap<=0.46, which needs numpy<2.3); its JSON format is re-created"))
        save_times = _timed(savers, args.repeats)
        load_times = _timed(loaders, args.repeats)
        rows = [(name, _folder_bytes(folders[name] / "0"), statistics.median(save_times[name]),
                 statistics.median(load_times[name]) if name != "interpret-community save_explanation" else None)
                for name in savers]
        _print_table("Stored explanation", rows, baseline=ours)
        measured = {name: (size, save) for name, size, save, _ in rows}
        ic_size, ic_save = measured["interpret-community save_explanation" if real_ic else ic]
        our_size, our_save = measured[ours]
        size_ratio, save_ratio = ic_size / our_size, ic_save / our_save
        met = size_ratio >= 10 and save_ratio >= 10
        print(f"target >= 10x smaller and >= 10x faster to save than interpret-community's JSON: "
              f"{'met' if met else 'missed'} ({size_ratio:.1f}x smaller, {save_ratio:.1f}x faster)")

        server, uri = start_server(root, timeout=120)
        try:
            experiment = mlflow.MlflowClient(uri).create_experiment("bench")
            mlflow_client = mlflow.MlflowClient(uri)
            run_ids = [mlflow_client.create_run(experiment).info.run_id for _ in range(args.repeats)]
            clients = [ExplanationClient.from_run_id(run_id, tracking_uri=uri) for run_id in run_ids]
            ids: dict[tuple[int, str], str] = {}

            def upload(r: int, plots: bool) -> None:
                renamed = dataclasses.replace(with_data, id=f"{'plots' if plots else 'noplots'}{r}")
                ids[r, str(plots)] = clients[r].upload_model_explanation(renamed, plots=plots)

            transfer = {
                "upload_model_explanation (with data, plots)": lambda r: upload(r, True),
                "upload_model_explanation (with data, no plots)": lambda r: upload(r, False),
                "download_model_explanation": lambda r: clients[r].download_model_explanation(ids[r, "False"]),
                "download_model_explanation(top_k=10)":
                    lambda r: clients[r].download_model_explanation(ids[r, "False"], top_k=10),
                "interpret-community JSON: log_artifacts":
                    lambda r: mlflow_client.log_artifacts(run_ids[r], str(folders[ic] / "0"), "ic"),
                "interpret-community JSON: download_artifacts": lambda r: shutil.rmtree(
                    mlflow_client.download_artifacts(run_ids[r], "ic", str(root / f"dl{r}"))),
            }
            times = _timed(transfer, args.repeats)
        finally:
            stop_server(server)
        print(f"\nThrough a local mlflow server ({uri}, sqlite backend, proxied artifacts)")
        for name, values in times.items():
            print(f"  {name:50s} {statistics.median(values):8.3f} s")


if __name__ == "__main__":
    main()
