"""DeepShap against shap.DeepExplainer on a 3-layer PyTorch MLP: time at equal values.

A ReLU network 20 -> 64 -> 32 -> 3 (logits, float32, random weights with seed 0) explained on 1000 rows of
20 standard-normal features against 100 background rows, by ``DeepShap(net, background).explain(rows)`` and
by ``shap.DeepExplainer(net, background).shap_values(rows)`` (its PyTorch path, the same rescale rule).

Each run is a fresh process (imports of torch, shap and explain_lib before the clock; building the
explainer and explaining inside it); the contenders alternate who goes first in each round. Prints the
median wall time of each, the median of the per-round ratios, the load average before and after, and the
largest difference of the values: against shap's float32 run, and against shap on a float64 copy of the
network (which removes shap's float32 rounding: the values are then equal to ~1e-15).
Target: DeepShap <= 0.5x shap.DeepExplainer's time at equal values.

    python benchmarks/deep.py [--rows 1000] [--features 20] [--background 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

TARGET = 0.5
OURS, THEIRS = "explain_lib DeepShap", "shap.DeepExplainer"


def _network(features: int):
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 3)).eval()


def _data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(args.background, args.features)), rng.normal(size=(args.rows, args.features))


def _worker(args: argparse.Namespace) -> None:
    warnings.filterwarnings("ignore")
    import shap
    import torch

    from explain_lib import DeepShap

    net = _network(args.features)
    background, rows = _data(args)
    start = time.perf_counter()
    if args.worker == "ours":
        values = DeepShap(net, background, n_background=args.background).explain(rows).local
    else:
        explainer = shap.DeepExplainer(net, torch.as_tensor(background, dtype=torch.float32))
        values = explainer.shap_values(torch.as_tensor(rows, dtype=torch.float32), check_additivity=False)
        values = np.moveaxis(np.asarray(values, dtype=np.float64), -1, 0)
    seconds = time.perf_counter() - start
    np.save(Path(args.dir) / f"{args.worker}.npy", values)
    print(json.dumps({"seconds": seconds, "threads": torch.get_num_threads()}))


def _shap_float64(args: argparse.Namespace) -> np.ndarray:
    """shap.DeepExplainer on a float64 copy of the network: its values without float32 rounding."""
    import shap
    import torch

    background, rows = _data(args)
    explainer = shap.DeepExplainer(_network(args.features).double(), torch.as_tensor(background))
    return np.moveaxis(np.asarray(explainer.shap_values(torch.as_tensor(rows), check_additivity=False)), -1, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", choices=["ours", "shap"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    warnings.filterwarnings("ignore")
    sides = {OURS: "ours", THEIRS: "shap"}
    times: dict[str, list[float]] = {name: [] for name in sides}
    load_before = os.getloadavg()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    shape = ["--rows", str(args.rows), "--features", str(args.features), "--background", str(args.background)]
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeats):
            for name in (list(sides) if round_ % 2 == 0 else list(reversed(sides))):
                done = subprocess.run([sys.executable, __file__, "--worker", sides[name], "--dir", tmp, *shape],
                                      check=True, env=env, capture_output=True, text=True)
                report = json.loads(done.stdout.strip().splitlines()[-1])
                times[name].append(report["seconds"])
        ours, theirs = np.load(Path(tmp) / "ours.npy"), np.load(Path(tmp) / "shap.npy")
    load_after = os.getloadavg()
    exact = _shap_float64(args)
    ratios = [a / b for a, b in zip(times[OURS], times[THEIRS], strict=True)]
    print(f"{args.rows} rows x {args.features} features, background {args.background}, MLP 64-32 ReLU, 3 outputs; "
          f"{args.repeats} alternated rounds, a fresh process per run, torch threads {report['threads']}")
    print(f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    for name, values in times.items():
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"  {name:24s} median {statistics.median(values):7.3f} s   (runs: {runs})")
    gap64, gap32 = np.abs(ours - exact).max(), np.abs(ours - theirs).max()
    ratio = statistics.median(ratios)
    print(f"  ratio per round: {', '.join(f'{r:.3f}' for r in ratios)}")
    print(f"  max |ours - shap float64| = {gap64:.2e}, max |ours - shap float32| = {gap32:.2e} "
          f"(largest value {np.abs(exact).max():.2f})")
    print(f"target DeepShap <= {TARGET}x shap.DeepExplainer at equal values: "
          f"{'met' if ratio <= TARGET and gap64 <= 1e-9 else 'missed'} (median ratio {ratio:.3f}x)")


if __name__ == "__main__":
    main()
