"""KernelShap against shapiq 1.8's Shapley-value approximators: RMS error at equal model evaluations.

Workloads (those of ``kernel.py``): ``lightgbm40``, a LightGBM classifier (200 trees, 31 leaves, 40 features)
explained on its raw margin, exact values from interventional TreeSHAP; ``mlp12``, an MLP on 12 features
explained on P(class 1), exact values by enumeration of all 2^12 coalitions. Background: 50 rows, uniform
weights. The game of a row is the interventional value function v(S) = mean_b f(x_S, b_notS).

Model evaluations are counted as rows passed to the model function. KernelShap at a budget of c coalitions
per background row passes c x 50 + 1 rows per explained row, and once for all rows the 50 background rows and
the features x 50 rows of its prior's sensitivity; shapiq's approximators at budget B evaluate B coalitions of
the game, each costing 50 rows. Each approximator gets B = c + 2 (the empty and full coalitions are in its
budget), raised until B x 50 is at least our measured rows per explained row, so it sees at least as many
model rows as we do; both counts are measured and printed.

shapiq 1.8 needs Python >= 3.12, so it runs in its own virtual environment (created on first use in
~/.cache/explain-lib-bench/shapiq-1.8 from a python3.12 / python3.13 on PATH or under ~/.pyenv, with
``pip install "shapiq==1.8.*" lightgbm==<ours>``; ``--shapiq-python`` points at another). Its games: the
LightGBM booster itself (loaded from its model string; the two environments must agree on f(x) to 1e-12), and
for the MLP the table of all 4096 coalition values of each row (computed here with the MLP), looked up.

Prints, per workload and budget, the RMS error over all rows, features and seeds of KernelShap and of each
approximator, the model rows per explained row, and the ratio of ours to the best approximator's, overall and
per seed. Target: <= 0.25x the best approximator's RMS error on both workloads. ``--relevance`` explains
with ``KernelShap(relevance=True)`` (the opt-in second pass) instead of the default; the model rows are
counted the same way.

    python benchmarks/kernel_shapiq.py [--rows 20] [--seeds 5] [--budgets default 1024]
        [--approximators OddSHAP LeverageSHAP ...] [--shapiq-python PATH] [--relevance]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from kernel import workload_data  # noqa: E402

TARGET = 0.25
ENV = Path.home() / ".cache" / "explain-lib-bench" / "shapiq-1.8"
# the strongest of shapiq's SV approximators on these workloads; the others (SVARM, UnbiasedKernelSHAP,
# PermutationSamplingSV, StratifiedSamplingSV, SPEX, ProxySPEX) had 2.7-8x the best one's error on mlp12
DEFAULT_APPROXIMATORS = ["OddSHAP", "RegressionMSR", "ProxySHAP", "LeverageSHAP", "KernelSHAP", "kADDSHAP",
                         "PolySHAP"]

# ------------------------------------------------------------------ the worker, run by shapiq's python
_WORKER = r'''
import json, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from shapiq import approximator as A

spec = json.loads(sys.argv[1])
data = np.load(spec["data"])
background, rows = data["background"], data["rows"]
n_bg, n = background.shape
if "model" in data:
    import lightgbm
    booster = lightgbm.Booster(model_str=str(data["model"]))
    fx = booster.predict(rows, raw_score=True)
    def value(i, coalitions):
        synth = np.where(coalitions[:, None, :], rows[i], background[None]).reshape(-1, n)
        return booster.predict(synth, raw_score=True).reshape(len(coalitions), n_bg).mean(axis=1)
else:
    table, bits = data["table"], 1 << np.arange(n)
    fx = table[:, -1]
    def value(i, coalitions):
        return table[i, coalitions.astype(np.int64) @ bits]
MAKE = {
    "KernelSHAP": lambda s: A.KernelSHAP(n, pairing_trick=True, random_state=s),
    "LeverageSHAP": lambda s: A.LeverageSHAP(n, random_state=s),
    "kADDSHAP": lambda s: A.kADDSHAP(n, max_order=2, pairing_trick=True, random_state=s),
    "PolySHAP": lambda s: A.PolySHAP(n, max_order=2, pairing_trick=True, random_state=s),
    "OddSHAP": lambda s: A.OddSHAP(n, random_state=s),
    "RegressionMSR": lambda s: A.RegressionMSR(n, "SV", proxy_model="lightgbm", random_state=s),
    "ProxySHAP": lambda s: A.ProxySHAP(n, max_order=1, index="SV", proxy_model="lightgbm", random_state=s),
    "SVARM": lambda s: A.SVARM(n, random_state=s),
    "UnbiasedKernelSHAP": lambda s: A.UnbiasedKernelSHAP(n, pairing_trick=True, random_state=s),
    "PermutationSamplingSV": lambda s: A.PermutationSamplingSV(n, random_state=s),
    "StratifiedSamplingSV": lambda s: A.StratifiedSamplingSV(n, random_state=s),
}
out, counted = {}, {}
for name, budget in ((a, b) for a in spec["approximators"] for b in spec["budgets"]):
    values = np.empty((len(spec["seeds"]), len(rows), n))
    most = 0
    for k, seed in enumerate(spec["seeds"]):
        for i in range(len(rows)):
            used = [0]
            def game(coalitions, i=i, used=used):
                coalitions = np.atleast_2d(np.asarray(coalitions, dtype=bool))
                used[0] += len(coalitions) * n_bg
                return value(i, coalitions)
            estimate = MAKE[name](1000 * seed + i).approximate(budget, game)
            values[k, i] = [estimate[(j,)] for j in range(n)]
            most = max(most, used[0])
    out[f"{name}|{budget}"] = values
    counted[f"{name}|{budget}"] = most
np.savez(spec["out"], fx=fx, **out)
print(json.dumps(counted))
'''


def _runs(python: str) -> bool:
    """Whether ``python`` starts and is Python >= 3.12."""
    check = [python, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"]
    return subprocess.run(check, capture_output=True).returncode == 0


def _shapiq_python(given: str | None) -> str:
    if given:
        return given
    python = ENV / "bin" / "python"
    if python.exists():
        return str(python)
    bases = [shutil.which(name) for name in ("python3.13", "python3.12")]
    bases += sorted(str(p) for p in (Path.home() / ".pyenv" / "versions").glob("3.1[2-9]*/bin/python3"))
    base = next((b for b in bases if b and _runs(b)), None)  # a pyenv shim of an inactive version fails to run
    if base is None:
        raise SystemExit("shapiq 1.8 needs Python >= 3.12: install one, or pass --shapiq-python")
    import lightgbm

    print(f"creating shapiq's environment in {ENV} from {base} (once)", flush=True)
    subprocess.run([base, "-m", "venv", str(ENV)], check=True)
    subprocess.run([str(ENV / "bin" / "pip"), "install", "-q", "shapiq==1.8.*", f"lightgbm=={lightgbm.__version__}"],
                   check=True)
    return str(python)


class _Counted:
    def __init__(self, f):
        self.f, self.rows = f, 0

    def __call__(self, Z):
        self.rows += len(Z)
        return self.f(np.asarray(Z, dtype=np.float64))


def _table(f, background: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(rows, 2^M): v(S) = mean_b f(x_S, b_notS) of every coalition S in bitmask order."""
    m = rows.shape[1]
    masks = np.array(list(itertools.product([False, True], repeat=m)))[:, ::-1]  # bit j = feature j
    out = np.empty((len(rows), 2**m))
    for i, x in enumerate(rows):
        synth = np.where(masks[:, None, :], x, background[None]).reshape(-1, m)
        out[i] = f(synth).reshape(2**m, len(background)).mean(axis=1)
    return out


def _ours(f, background, rows, budget: int | None, seeds: list[int], relevance: bool = False
          ) -> tuple[np.ndarray, int, float]:
    """Our values (seeds, rows, M), coalitions per background row, and model rows per explained row."""
    from explain_lib import KernelShap

    counted, values = _Counted(f), []
    for seed in seeds:
        explanation = KernelShap(counted, background, n_samples=budget, random_state=seed, progress=False,
                                 exact_max_features=0, relevance=relevance).explain(rows)
        values.append(explanation.local[0])
        coalitions = explanation.params["n_samples"]
    return np.array(values), coalitions, counted.rows / len(seeds) / len(rows)


def _rms(values: np.ndarray, exact: np.ndarray) -> float:
    return float(np.sqrt(((values - exact) ** 2).mean()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budgets", nargs="+", default=["default", "1024"],
                        help="coalitions per background row of KernelShap ('default': its own)")
    parser.add_argument("--approximators", nargs="+", default=DEFAULT_APPROXIMATORS)
    parser.add_argument("--workloads", nargs="+", default=["lightgbm40", "mlp12"])
    parser.add_argument("--shapiq-python")
    parser.add_argument("--relevance", action="store_true", help="KernelShap(relevance=True), the opt-in second pass")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    python = _shapiq_python(args.shapiq_python)
    seeds = list(range(args.seeds))
    print(f"load before: {os.getloadavg()[0]:.2f}; {args.rows} rows x {args.seeds} seeds per workload and budget"
          + ("; KernelShap(relevance=True)" if args.relevance else ""))
    met = True
    for name, model, f, background, rows, exact in workload_data(200, args.rows):
        if name not in args.workloads:
            continue
        ours, used = {}, {}
        for budget in args.budgets:
            values, coalitions, per_row = _ours(f, background, rows, None if budget == "default" else int(budget),
                                                seeds, args.relevance)
            ours[coalitions], used[coalitions] = values, per_row
        with tempfile.TemporaryDirectory() as tmp:
            data = {"background": background, "rows": rows}
            if name == "mlp12":
                data["table"] = _table(f, background, rows)
            else:
                data["model"] = model.booster_.model_to_string()
            np.savez(Path(tmp) / "data.npz", **data)
            given = {c: max(c + 2, math.ceil(used[c] / len(background))) for c in ours}  # at least our rows
            spec = {"data": str(Path(tmp) / "data.npz"), "out": str(Path(tmp) / "out.npz"), "seeds": seeds,
                    "budgets": list(given.values()), "approximators": args.approximators}
            done = subprocess.run([python, "-c", _WORKER, json.dumps(spec)], check=True, capture_output=True,
                                  text=True)
            counted = json.loads(done.stdout.strip().splitlines()[-1])
            theirs = dict(np.load(spec["out"]))
        agree = np.abs(theirs.pop("fx") - f(rows)).max()
        assert agree <= 1e-12, f"the two environments' models disagree by {agree}"
        print(f"\n{name}: {rows.shape[1]} features, {len(background)} background rows, RMS |exact| "
              f"{np.sqrt((exact ** 2).mean()):.3g}; the environments' f(x) agree to {agree:.1e}")
        for coalitions, values in ours.items():
            rms = _rms(values, exact)
            print(f"  budget {coalitions} coalitions per background row ({used[coalitions]:.0f} model rows per "
                  f"explained row); shapiq budget {given[coalitions]}")
            print(f"    {'explain_lib KernelShap':26s} RMS {rms:.3e}")
            scores = {}
            for approximator in args.approximators:
                key = f"{approximator}|{given[coalitions]}"
                scores[approximator] = _rms(theirs[key], exact)
                print(f"    {'shapiq ' + approximator:26s} RMS {scores[approximator]:.3e}  "
                      f"({counted[key]:.0f} model rows per explained row)")
            best = min(scores, key=scores.get)
            per_seed = [_rms(values[k], exact) / _rms(theirs[f"{best}|{given[coalitions]}"][k], exact)
                        for k in range(len(seeds))]
            ratio = rms / scores[best]
            met &= ratio <= TARGET
            print(f"    ours / best ({best}): {ratio:.3f}x (per seed {', '.join(f'{r:.2f}' for r in per_seed)}); "
                  f"target <= {TARGET}x: {'met' if ratio <= TARGET else 'missed'}")
    print(f"\nload after: {os.getloadavg()[0]:.2f}; overall target {'met' if met else 'missed'}")


if __name__ == "__main__":
    main()
