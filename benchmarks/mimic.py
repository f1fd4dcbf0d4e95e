"""MimicExplainer (LightGBM surrogate of an MLP) against interpret-community 0.32's, each in its own environment.

Workload: make_classification(n_samples=20_000, n_features=20, random_state=2), split 75/25
(random_state=0); the teacher is MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, random_state=0)
trained here on the 15000 training rows. The teacher and the rows are pickled to a temporary directory
and both contenders load them, so they mimic the same model on the same data.

Timed, in a fresh worker process per contender and round (after imports and loading the pickle; each side
imports its surrogate's library, LightGBM, before the clock starts, as interpret-community's glassbox
import does; modules a library loads lazily on first use are timed): building
the explainer on the 15000 training rows (teacher calls + surrogate training) and ``explain_global`` of
the 5000 test rows (local SHAP values of the surrogate, aggregated), each library with its defaults
(interpret-community: ``MimicExplainer(model, X_train, LGBMExplainableModel, augment_data=True,
max_num_of_augmentations=10)``). The contenders alternate who goes first in each round.

Fidelity, apples to apples, on the 5000 test rows neither surrogate was trained on: R^2 between the
teacher's log-odds clipped to [-5, 5] (interpret-community's "soft logit", the target its surrogate is
fitted to) and the surrogate's output clipped the same way; and the share of rows where the surrogate's
class equals the teacher's (interpret-community's replication measure). The workers also return the
teacher's probabilities on the test rows: the two environments must agree on them (to 1e-12).

interpret-community 0.32 cannot be installed next to explain-lib (it pins shap<=0.46, which needs
numpy<2.3), so it runs from its own virtual environment, created on first use with:

    python3.11 -m venv ~/.cache/explain-lib-bench/ic-0.32
    ~/.cache/explain-lib-bench/ic-0.32/bin/pip install 'interpret-community==0.32.*' 'numpy<2.3' \\
        'scikit-learn==<this environment's version>' lightgbm

(scikit-learn is pinned to ours so the pickled MLP loads unchanged). Target: explain_lib <= 0.33x
interpret-community's time at equal or better fidelity.

    python benchmarks/mimic.py [--repeats 5] [--ic-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peers import peer_python  # noqa: E402

TARGET = 0.33
IC_ENV = "ic-0.32"  # ~/.cache/explain-lib-bench/ic-0.32
OURS, THEIRS = "explain_lib MimicExplainer(lightgbm)", "interpret-community 0.32 MimicExplainer"


# ------------------------------------------------------------------ workers (run in their own processes)
def _run_ours(model, X_train, X_test):
    import lightgbm  # noqa: F401  the surrogate's library: interpret-community's glassbox import loads it too

    from explain_lib import MimicExplainer

    start = time.perf_counter()
    explainer = MimicExplainer(model, X_train, "lightgbm")
    explainer.explain_global(X_test)
    seconds = time.perf_counter() - start
    return seconds, explainer.surrogate.predict_output(X_test)


def _run_interpret_community(model, X_train, X_test):
    from interpret.ext.blackbox import MimicExplainer
    from interpret.ext.glassbox import LGBMExplainableModel

    start = time.perf_counter()
    explainer = MimicExplainer(model, X_train, LGBMExplainableModel, augment_data=True, max_num_of_augmentations=10)
    explainer.explain_global(X_test)
    seconds = time.perf_counter() - start
    return seconds, explainer.surrogate_model.model.predict(X_test)  # the surrogate's log-odds


def _worker(side: str, directory: Path) -> None:
    warnings.simplefilter("ignore")
    with open(directory / "workload.pkl", "rb") as file:
        model, X_train, X_test = pickle.load(file)
    run = _run_ours if side == "ours" else _run_interpret_community
    seconds, surrogate = run(model, X_train, X_test)
    np.save(directory / f"surrogate_{side}.npy", np.asarray(surrogate, dtype=np.float64))
    np.save(directory / f"teacher_{side}.npy", model.predict_proba(X_test)[:, 1])
    print(json.dumps({"seconds": seconds}))


# ------------------------------------------------------------------ driver
def _interpret_community_python(given: str | None) -> str:
    import sklearn

    requirements = ["interpret-community==0.32.*", "numpy<2.3", f"scikit-learn=={sklearn.__version__}", "lightgbm"]
    return peer_python(IC_ENV, requirements, given)


def _workload(directory: Path) -> None:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = make_classification(n_samples=20_000, n_features=20, random_state=2)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, random_state=0).fit(X_train, y_train)
    with open(directory / "workload.pkl", "wb") as file:
        pickle.dump((model, X_train, X_test), file)


def _soft_logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-300, 1 - 1e-16)
    return np.clip(np.log(p / (1 - p)), -5, 5)


def _fidelity(teacher: np.ndarray, surrogate: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import r2_score

    r2 = r2_score(_soft_logit(teacher), np.clip(surrogate, -5, 5))
    return float(r2), float(np.mean((surrogate > 0) == (teacher > 0.5)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ic-python", help="python of an environment with interpret-community 0.32")
    parser.add_argument("--worker", choices=["ours", "ic"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, Path(args.dir))
        return

    pythons = {OURS: (sys.executable, "ours"), THEIRS: (_interpret_community_python(args.ic_python), "ic")}
    times: dict[str, list[float]] = {name: [] for name in pythons}
    fidelity: dict[str, tuple[float, float]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        _workload(directory)
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
        for round_ in range(args.repeats):
            for name in (list(pythons) if round_ % 2 == 0 else list(reversed(pythons))):
                python, side = pythons[name]
                done = subprocess.run([python, __file__, "--worker", side, "--dir", tmp], check=True, env=env,
                                      capture_output=True, text=True)
                times[name].append(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])
        teacher = {side: np.load(directory / f"teacher_{side}.npy") for side in ("ours", "ic")}
        gap = float(np.abs(teacher["ours"] - teacher["ic"]).max())
        assert gap <= 1e-12, f"the two environments' teachers disagree by {gap}"
        for name, (_, side) in pythons.items():
            fidelity[name] = _fidelity(teacher["ours"], np.load(directory / f"surrogate_{side}.npy"))
    load_after = os.getloadavg()

    ratios = [ours / theirs for ours, theirs in zip(times[OURS], times[THEIRS], strict=True)]
    print(f"15000 training rows, 5000 explained rows, 20 features, MLPClassifier(64) teacher; {args.repeats} "
          f"interleaved rounds, one fresh process per run; teachers agree to {gap:.1e}")
    print(f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"  {'':42s} {'median':>8s}   {'R2 soft-logit':>13s} {'class agreement':>16s}   runs")
    for name, values in times.items():
        r2, agreement = fidelity[name]
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:42s} {statistics.median(values):6.2f} s   {r2:13.4f} {agreement:16.4f}   ({runs})")
    ratio = statistics.median(ratios)
    equal_or_better = fidelity[OURS][0] >= fidelity[THEIRS][0]
    print(f"  ratio explain_lib / interpret-community per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"target explain_lib <= {TARGET}x at equal or better R2: "
          f"{'met' if ratio <= TARGET and equal_or_better else 'missed'} (median ratio {ratio:.3f}x, R2 "
          f"{fidelity[OURS][0]:.4f} vs {fidelity[THEIRS][0]:.4f})")


if __name__ == "__main__":
    main()
