"""The ``explain-lib`` command line: ``demo`` here, the step and run-history commands in :mod:`._steps`.

Exit codes: 0 ok, 2 bad usage or input (with a message saying what to fix), 3 a scorecard target missed
(``scorecard --fail-on-missed-target``) or a comparison's gate failed (``compare --gate``), 1 any other failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import ExplainLibError
from ._steps import add_step_commands, print_ui_hint, terminal_safe

__all__ = ["main"]

_USAGE = 2
DEMO_COMMENT = "adult demo"


def _input_errors() -> tuple[type[Exception], ...]:
    """Errors that mean bad usage or input (exit 2); any other failure exits 1."""
    from ..errors import (
        CorruptExplanationError,
        InvalidInputError,
        InvalidParameterError,
        ModelNotFittedError,
        SchemaVersionError,
        UnsupportedModelError,
    )
    from ..pipelines import PipelineSpecError
    from ..tracking import ExplanationNotFoundError, RunNotFoundError

    return (InvalidInputError, InvalidParameterError, UnsupportedModelError, SchemaVersionError, RunNotFoundError,
            ExplanationNotFoundError, CorruptExplanationError, ModelNotFittedError, PipelineSpecError)


def _demo(args: argparse.Namespace) -> int:
    """Train LightGBM on the bundled Adult data, explain it, log both to MLflow, print the top features.

    The explanation is uploaded with :class:`~explain_lib.tracking.ExplanationClient` like any other
    (comment ``adult demo``), so ``explain-lib list`` and the run's metrics and table views show it.
    """
    import lightgbm
    import mlflow
    from sklearn.model_selection import train_test_split

    from ..datasets import load_adult
    from ..explainers import TabularExplainer
    from ..metrics import metric_function
    from ..tracking import ExplanationClient

    X, y = load_adult()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=args.random_state,
                                                        stratify=y)
    params = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 31, "random_state": args.random_state}
    model = lightgbm.LGBMClassifier(**params, verbose=-1).fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    metrics = {"accuracy": metric_function("accuracy")(y_test, proba > 0.5),
               "roc_auc": metric_function("roc_auc", classes=model.classes_)(y_test, proba)}

    explainer = TabularExplainer(model, X_train)
    explanation = explainer.explain(X_test)
    top = explanation.global_importance(top_k=args.top_k)

    from ..tracking._ui import get_or_create_experiment

    mlflow.set_experiment(experiment_id=get_or_create_experiment(mlflow.MlflowClient(), args.experiment))
    with mlflow.start_run(run_name="adult-lightgbm") as run:
        mlflow.log_params({**params, "model": "lightgbm", "explainer": explainer.method})
        mlflow.log_metrics(metrics)
        # The same upload as every other explanation: listed, downloadable, with its metrics, table and plots.
        ExplanationClient.from_run(run).upload_model_explanation(
            explanation, comment=DEMO_COMMENT, true_ys=y_test, init_dataset=X_train, eval_dataset=X_test)

    print(f"Adult income, LightGBM: accuracy {metrics['accuracy']:.3f}, ROC AUC {metrics['roc_auc']:.3f} "
          f"on {len(y_test)} held-out rows.")
    print(f"Top {len(top)} features by mean |SHAP value| ({explanation.output_space} space, {explanation.method}):")
    width = max(len(name) for name in top.index)
    for rank, (name, value) in enumerate(top.items(), start=1):
        print(f"  {rank:2d}. {name:<{width}}  {value:.4f}")
    print()
    print_ui_hint(run.info.run_id)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="explain-lib", description="MLflow-native model interpretability.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = commands.add_parser(
        "demo",
        help="train, explain and log a model of the bundled Adult data",
        description="Train a LightGBM classifier on the bundled UCI Adult data, explain it with "
        "TabularExplainer, log model metrics and upload the explanation to the MLflow tracking store "
        "(MLFLOW_TRACKING_URI, else MLflow's local default) and print the top features.",
    )
    demo.add_argument("--top-k", type=int, default=10, help="how many top features to print (default 10)")
    demo.add_argument("--experiment", default="explain-lib-demo", help="MLflow experiment name")
    demo.add_argument("--random-state", type=int, default=0, help="seed for the split and the model")
    demo.set_defaults(handler=_demo)
    add_step_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # stderr is for our progress and warnings
    # MLflow's INFO lines (creating a new store's tables, "View run at") repeat what our own lines say; its
    # warnings still show. Set MLFLOW_LOGGING_LEVEL=INFO to see them. Inherited by the pipeline's steps.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    # MLflow's own "View run ... at" lines link the UI's GenAI view; print_ui_hint gives links that land right
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    args = _parser().parse_args(argv)
    try:
        import mlflow

        from ..tracking._http import bounded_retries, check_reachable

        # Every command talks to the tracking store: a server that is down is one clear error, at once.
        tracking_uri = getattr(args, "tracking_uri", None) or mlflow.get_tracking_uri()
        check_reachable(tracking_uri)
        with bounded_retries(tracking_uri):
            return args.handler(args)
    except ExplainLibError as error:
        print(f"explain-lib: error: {terminal_safe(error, keep_newlines=True)}", file=sys.stderr)
        return _USAGE if isinstance(error, _input_errors()) else 1
    except Exception as error:  # noqa: BLE001 - the last resort of a command line: a message and exit code 1
        print(f"explain-lib: failed: {type(error).__name__}: {terminal_safe(error, keep_newlines=True)}",
              file=sys.stderr)
        if os.environ.get("EXPLAIN_LIB_TRACEBACK"):
            raise
        return 1
