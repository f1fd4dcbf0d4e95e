"""DeepShap against shap.DeepExplainer on a PyTorch MLP: time and agreement.

A ReLU network 20 -> 64 -> 32 -> 3 (logits, float32, random weights with seed 0) explained on 1000 rows of
20 standard-normal features against 100 background rows, by ``DeepShap(net, background)`` and by
``shap.DeepExplainer(net, background).shap_values(rows)`` (its PyTorch path, the same rule). The contenders
run interleaved in the same process; prints the median wall time of each, their ratio, and the largest
difference of the values (shap also run on a float64 copy of the network, which removes its float32
rounding). Model building is not timed.

    python benchmarks/deep.py [--rows 1000] [--features 20] [--background 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings

import numpy as np
import shap
import torch
from torch import nn

from explain_lib import DeepShap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="shap")

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(args.features, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                        nn.Linear(32, 3)).eval()
    rng = np.random.default_rng(0)
    background = rng.normal(size=(args.background, args.features))
    rows = rng.normal(size=(args.rows, args.features))

    def ours() -> np.ndarray:
        return DeepShap(net, background, n_background=args.background).explain(rows).local

    def theirs() -> np.ndarray:
        explainer = shap.DeepExplainer(net, torch.as_tensor(background, dtype=torch.float32))
        values = explainer.shap_values(torch.as_tensor(rows, dtype=torch.float32), check_additivity=False)
        return np.moveaxis(np.asarray(values, dtype=np.float64), -1, 0)

    contenders = {"explain_lib DeepShap": ours, "shap.DeepExplainer": theirs}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    results = {}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)

    exact = np.moveaxis(np.asarray(shap.DeepExplainer(copy.deepcopy(net).double(), torch.as_tensor(background))
                                   .shap_values(torch.as_tensor(rows), check_additivity=False)), -1, 0)
    local = results["explain_lib DeepShap"]
    scale = np.abs(local).max()
    print(f"{args.rows} rows x {args.features} features, background {args.background}, MLP 64-32 ReLU, 3 outputs; "
          f"median of {args.repeats} interleaved runs, torch threads {torch.get_num_threads()}")
    baseline = statistics.median(times["shap.DeepExplainer"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:24s} {median:7.2f} s   {median / baseline:5.3f}x shap   "
              f"(runs: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"  max |ours - shap float32| = {np.abs(local - results['shap.DeepExplainer']).max():.2e}, "
          f"max |ours - shap float64| = {np.abs(local - exact).max():.2e} (largest value {scale:.2f})")


if __name__ == "__main__":
    main()
