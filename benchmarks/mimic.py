"""MimicExplainer with a LightGBM surrogate of an MLP, against interpret-community's where installed.

MLPClassifier(64) on make_classification(n_samples=20_000, n_features=20, random_state=2); the
surrogate is trained on the training rows and explains the test rows. Prints the median wall time
of a full mimic explanation (surrogate training + local explanation) and its fidelity measured on
held-out rows, for each contender measured in the same run.

    python benchmarks/mimic.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from explain_lib import MimicExplainer


def _ours(model, X_train, X_test):
    explainer = MimicExplainer(model, X_train, "lightgbm")
    explanation = explainer.explain(X_test)
    return explanation, explanation.fidelity["r2_logit"]


def _interpret_community(model, X_train, X_test):
    from interpret.ext.blackbox import MimicExplainer as ICMimic  # noqa: PLC0415
    from interpret.ext.glassbox import LGBMExplainableModel  # noqa: PLC0415

    explainer = ICMimic(model, X_train, LGBMExplainableModel, augment_data=True, max_num_of_augmentations=10)
    explanation = explainer.explain_global(X_test)
    return explanation, explainer._get_surrogate_model_replication_measure(X_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, y = make_classification(n_samples=20_000, n_features=20, random_state=2)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, random_state=0).fit(X_train, y_train)

    contenders = {"explain_lib MimicExplainer(lightgbm)": _ours}
    try:
        import interpret.ext.blackbox  # noqa: F401, PLC0415

        contenders["interpret-community MimicExplainer"] = _interpret_community
    except ImportError:
        print("interpret-community: not installed (pip install interpret-community in its own environment)")

    times = {name: [] for name in contenders}
    fidelity = {}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            _, measure = run(model, X_train, X_test)
            times[name].append(time.perf_counter() - start)
            fidelity[name] = measure

    # an independent fidelity check of ours on the test rows: R^2 of the surrogate's logit
    explainer = MimicExplainer(model, X_train, "lightgbm")
    explanation = explainer.explain(X_test)
    p = np.clip(model.predict_proba(X_test)[:, 1], 1e-6, 1 - 1e-6)
    teacher_logit = np.log(p / (1 - p))
    surrogate_logit = explanation.local[1].sum(-1) + explanation.expected[1]
    r2 = r2_score(teacher_logit, surrogate_logit)
    print(f"explain_lib fidelity on {len(X_test)} test rows: R^2(logit) = {r2:.4f}")

    baseline = statistics.median(next(iter(times.values())))
    print(f"{len(X_train)} training rows, {len(X_test)} explained rows, 20 features; median of {args.repeats} runs")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:40s} {median:7.2f} s  {median / baseline:5.2f}x   fidelity {fidelity[name]:.4f}")


if __name__ == "__main__":
    main()
