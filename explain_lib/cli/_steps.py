"""Sub-commands of ``explain-lib`` that wrap the pipeline steps and read run history.

``train`` / ``explain`` / ``scorecard`` call :mod:`explain_lib.steps` (an option per step argument); ``list`` and
``show`` read a run's explanations through :class:`~explain_lib.tracking.ExplanationClient`;
``pipeline run`` calls :func:`explain_lib.pipelines.run_pipeline`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["TARGET_MISSED", "add_step_commands", "terminal_safe"]

TARGET_MISSED = 3  # exit code of `scorecard --fail-on-missed-target` when a target is missed
# C0 / C1 controls (ESC starts terminal escape sequences), DEL, and the invisible and bidirectional
# formatting characters that reorder or hide text on screen (U+202E, U+2066..U+2069, ...)
_UNSAFE_ON_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def terminal_safe(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` with every control and bidi character written as its escape (ESC -> ``\\x1b``), for printing."""
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if keep_newlines and char == "\n":
            return char
        return char.encode("unicode_escape").decode("ascii")

    return _UNSAFE_ON_TERMINAL.sub(escape, str(text))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1, got {value}")
    return value


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{{\"n_estimators\": 50}}': {error}") \
            from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no", ""):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value in ("true", "1", "yes")


def _switch(text: str) -> bool:
    """true / false (any case, also yes / no, 1 / 0): how a component passes a boolean input's value."""
    value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


def _ice_features(text: str) -> int | list[str]:
    """A count of top features (``10``, ``0`` for none) or comma-separated feature names."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected a count or comma-separated feature names, got {text!r}")
    return names


def _optional(convert: Any) -> Any:
    """``convert``, except that an empty string means "not given" (how MLproject passes an unset option)."""
    def parse(text: str) -> Any:
        return None if text == "" else convert(text)

    parse.__name__ = getattr(convert, "__name__", "value").lstrip("_")
    return parse


# --------------------------------------------------------------------------------- handlers
def _train(args: argparse.Namespace) -> int:
    from ..steps import train

    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the result (MLflow prints run links)
        model_uri = train(args.data, args.target, model=args.model, params=args.params, test_size=args.test_size,
                          random_state=args.random_state, model_output=args.model_output,
                          test_data_output=args.test_data_output)
    print(model_uri)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from ..steps import explain

    with contextlib.redirect_stdout(sys.stderr):
        explanation_id = explain(args.model, args.data, target=args.target, method=args.method,
                                 comment=args.comment, top_k=args.top_k, raw=args.raw,
                                 n_background=args.n_background, sample=args.sample,
                                 explanation_output=args.explanation_output, cohorts=args.cohorts,
                                 chunk_rows=args.chunk_rows, workers=args.workers, resume=args.resume,
                                 engine=args.engine, local_values_uri=args.local_values_uri,
                                 what_if=args.what_if, ice_features=args.ice_features, grid_size=args.grid_size)
    print(explanation_id)
    return 0


def _scorecard(args: argparse.Namespace) -> int:
    from ..steps import TargetMissedError, scorecard

    try:
        with contextlib.redirect_stdout(sys.stderr):
            uri = scorecard(args.model, args.data, args.config, target=args.target, explanation=args.explanation,
                            scorecard_output=args.scorecard_output,
                            fail_on_missed_target=args.fail_on_missed_target)
    except TargetMissedError as error:
        print(error.uri)
        print(f"explain-lib: target missed: {error}", file=sys.stderr)
        return TARGET_MISSED
    print(uri)
    return 0


def _either(args: argparse.Namespace, positional: str, option: str, name: str) -> str:
    given = [value for value in (getattr(args, positional), getattr(args, option)) if value]
    if len(given) != 1:
        position = "first" if name == "baseline" else "second"
        raise InvalidParameterError(f"Give the {name} explanation once: as the {position} argument or as --{name}.")
    return given[0]


def _compare(args: argparse.Namespace) -> int:
    from ..steps import GateFailedError, compare

    baseline = _either(args, "a", "baseline", "baseline")
    candidate = _either(args, "b", "candidate", "candidate")
    try:
        with contextlib.redirect_stdout(sys.stderr):
            uri = compare(baseline, candidate, top_k=args.top_k or 10, gate=args.gate, cohorts=args.cohort,
                          n_bootstrap=args.n_bootstrap, n_permutations=args.n_permutations, alpha=args.alpha,
                          random_state=args.random_state, comparison_output=args.comparison_output)
    except GateFailedError as error:
        print(error.uri)
        print(f"explain-lib: gate failed: {error}", file=sys.stderr)
        return TARGET_MISSED
    print(uri)
    return 0


def _drift(args: argparse.Namespace) -> int:
    from ..report.comparison import drift

    with contextlib.redirect_stdout(sys.stderr):
        table, uri = drift(args.experiment, batches=args.batches, top_k=args.top_k, comment=args.comment,
                           tracking_uri=args.tracking_uri)
    what = (f"explanations of experiment {args.experiment!r}" if args.batches is None
            else f"scored batches of run {args.batches!r}")
    print(f"explain-lib: {len(table)} {what} lined up", file=sys.stderr)
    print(uri)
    return 0


def _client(args: argparse.Namespace) -> Any:
    from ..tracking import ExplanationClient

    return ExplanationClient.from_run_id(args.run_id, tracking_uri=args.tracking_uri)


def _list(args: argparse.Namespace) -> int:
    entries = _client(args).list_model_explanations()
    if not entries:
        print(f"Run {args.run_id} has no uploaded explanations.")
        return 0
    for entry in entries:  # every value comes from run tags anyone can edit: escaped for the terminal
        entry = {key: terminal_safe(value) if isinstance(value, str) else value for key, value in entry.items()}
        kind = "raw" if entry.get("is_raw") else "engineered" if entry.get("is_engineered") else "model"
        comment = f"  comment={entry['comment']!r}" if entry.get("comment") else ""
        print(f"{entry['id']}  {entry.get('upload_time') or '':<25}  {entry.get('method') or '?':<10}  "
              f"{entry.get('model_task') or '?':<14}  {kind:<10}  {terminal_safe(entry.get('num_features'))} features  "
              f"{terminal_safe(entry.get('num_examples'))} rows{comment}")
    return 0


def _show(args: argparse.Namespace) -> int:
    explanation = _client(args).download_model_explanation(args.explanation_id, top_k=args.top_k)
    importance = explanation.global_importance(top_k=args.top_k)
    print(f"Explanation {terminal_safe(explanation.id)} of run {terminal_safe(args.run_id)}: method "
          f"{terminal_safe(explanation.method)}, {explanation.task}, {explanation.output_space} space, "
          f"{'raw' if explanation.is_raw else 'engineered' if explanation.is_engineered else 'model'} features")
    names = [terminal_safe(name) for name in importance.index]  # feature names are data: escape them
    width = max([len("feature"), *(len(name) for name in names)])
    print(f"{'rank':>4}  {'feature':<{width}}  {'importance':>12}")
    for rank, (name, value) in enumerate(zip(names, importance.to_numpy(), strict=True), start=1):
        print(f"{rank:>4}  {name:<{width}}  {value:>12.6f}")
    return 0


def _overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InvalidParameterError(f"--set takes name=value, got {pair!r}.")
        overrides[name] = value
    return overrides


def _newest_dashboard(client: Any, run: Any) -> tuple[str, str] | None:
    """``(run id, artifact path)`` of the newest dashboard of ``run`` or of its nested runs (a pipeline's steps)."""
    import json

    runs = [run, *client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'")]
    found = []
    for candidate in runs:
        for key, value in candidate.data.tags.items():
            if key.startswith("explain_lib.explanation."):
                try:
                    entry = json.loads(value)
                except json.JSONDecodeError:
                    continue
                if isinstance(entry, dict) and entry.get("dashboard", True) and isinstance(entry.get("id"), str):
                    found.append((entry.get("upload_time") or "", candidate.info.run_id, entry["id"]))
    if not found:
        return None
    _, run_id, explanation_id = max(found)
    return run_id, f"explanations/{explanation_id}/dashboard.html"


def print_ui_hint(run_id: str, *, file: Any = None) -> None:
    """Where to see ``run_id`` in the MLflow UI: its page and its newest dashboard, as links that open the UI's
    Model-training view (MLflow 3's UI opens in GenAI otherwise), and for a local store the `mlflow ui` command."""
    import mlflow

    from ..tracking._ui import artifact_link, run_link, ui_url

    tracking_uri = mlflow.get_tracking_uri()
    client = mlflow.MlflowClient(tracking_uri)
    run = client.get_run(run_id)
    experiment_id = run.info.experiment_id
    links = [("run", run_link(experiment_id, run_id))]
    dashboard = _newest_dashboard(client, run)
    if dashboard is not None:
        links.append(("dashboard", artifact_link(experiment_id, *dashboard)))
    print(f"Logged to MLflow run {run_id} (experiment {experiment_id}) at {tracking_uri}.", file=file)
    if ui_url(tracking_uri, "") is None:
        mlflow_command = Path(sys.executable).parent / "mlflow"
        mlflow_command = mlflow_command if mlflow_command.exists() else "mlflow"
        print("Open the UI with:", file=file)
        print(f"  {mlflow_command} ui --backend-store-uri {tracking_uri} --port 5000", file=file)
        print("then browse (Model training view):", file=file)
        urls = [(name, f"http://127.0.0.1:5000/{link}") for name, link in links]
    else:
        print("Open in the MLflow UI (Model training view):", file=file)
        urls = [(name, ui_url(tracking_uri, link)) for name, link in links]
    for name, url in urls:
        print(f"  {name + ':':<11} {url}", file=file)


def _pipeline_run(args: argparse.Namespace) -> int:
    from ..pipelines import run_pipeline

    with contextlib.redirect_stdout(sys.stderr):
        run_id = run_pipeline(args.pipeline, overrides=_overrides(args.set), experiment_name=args.experiment)
    print(run_id)  # stdout carries only the parent run id, for scripts; the rest goes to stderr
    print_ui_hint(run_id, file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------- parsers
def _add_train(commands: Any) -> None:
    from ..steps import MODELS

    parser = commands.add_parser(
        "train", help="train a model on a table and log it to MLflow",
        description="Fit a scikit-learn Pipeline (one-hot encoded categorical columns + the estimator) and log "
        "it, its parameters, held-out metrics and train/test data to the active MLflow run (MLFLOW_RUN_ID, "
        "else a new run in MLFLOW_EXPERIMENT_NAME at MLFLOW_TRACKING_URI). Prints the model URI.",
    )
    parser.add_argument("--data", required=True, metavar="URI",
                        help="the table: a .csv/.csv.gz/.parquet file, a folder holding one, or an MLflow artifact "
                        "URI (runs:/<run_id>/path, mlflow-artifacts:/...)")
    parser.add_argument("--target", required=True, metavar="NAME", help="the label column")
    parser.add_argument("--model", default="lightgbm", choices=sorted(MODELS),
                        help="the estimator (default lightgbm)")
    parser.add_argument("--params", type=_optional(_json_object), default=None, metavar="JSON",
                        help="estimator keyword arguments as a JSON object, e.g. '{\"n_estimators\": 50}'")
    parser.add_argument("--test-size", type=_fraction, default=0.25,
                        help="fraction of rows held out for metrics and explaining (default 0.25)")
    parser.add_argument("--random-state", type=int, default=0, help="seed of the split and the model (default 0)")
    parser.add_argument("--model-output", type=_optional(str), default=None, metavar="DIR",
                        help="also save the MLflow model to this folder")
    parser.add_argument("--test-data-output", type=_optional(str), default=None, metavar="DIR",
                        help="also write the test split to this folder as test.parquet")
    parser.set_defaults(handler=_train)


def _add_explain(commands: Any) -> None:
    from ..steps import METHODS

    parser = commands.add_parser(
        "explain", help="explain an MLflow model on a table and upload the explanation",
        description="Load an MLflow model, explain it on the rows of a table and upload the explanation to the "
        "active MLflow run (MLFLOW_RUN_ID, else a new run) through ExplanationClient. Prints the explanation id.",
    )
    parser.add_argument("--model", required=True, metavar="URI",
                        help="the model: runs:/<run_id>/model, models:/<name>/<version> or a local MLflow model folder")
    parser.add_argument("--data", required=True, metavar="URI",
                        help="the rows to explain: a .csv/.csv.gz/.parquet file, a folder holding one, or an MLflow "
                        "artifact URI")
    parser.add_argument("--target", type=_optional(str), default=None, metavar="NAME",
                        help="the label column of the data: dropped from the features, stored as true labels "
                        "(needed by --method pfi)")
    parser.add_argument("--method", default="auto", choices=METHODS,
                        help="auto (chosen by model type), tree, linear, kernel (model-agnostic), mimic (LightGBM "
                        "surrogate) or pfi (permutation importance); default auto")
    parser.add_argument("--comment", type=_optional(str), default=None, metavar="TEXT",
                        help="a label stored with the explanation, to find it again")
    parser.add_argument("--top-k", type=_optional(_positive_int), default=None, metavar="N",
                        help="upload local values of only the N most important features")
    parser.add_argument("--raw", action=argparse.BooleanOptionalAction, default=True,
                        help="explain a Pipeline over its raw input columns (default) or, with --no-raw, over the "
                        "engineered ones")
    parser.add_argument("--n-background", type=_positive_int, default=100, metavar="N",
                        help="background rows for model-agnostic methods (default 100)")
    parser.add_argument("--sample", type=_optional(_positive_int), default=None, metavar="N",
                        help="explain at most N rows (a seeded sample stratified by prediction)")
    parser.add_argument("--explanation-output", type=_optional(str), default=None, metavar="DIR",
                        help="also save the explanation to this folder (with explanation_id.txt)")
    parser.add_argument("--cohorts", type=_optional(str), default=None, metavar="FILE",
                        help="a scorecard config (YAML/JSON) whose Cohorts the dashboard offers predefined")
    parser.add_argument("--chunk-rows", type=_optional(_positive_int), default=None, metavar="N",
                        help="explain in chunks of N rows on every core, local values on disk (default: chunks of "
                        "50000 from 200000 rows on)")
    parser.add_argument("--workers", type=_optional(_positive_int), default=None, metavar="N",
                        help="processes for chunked explaining (default: every core)")
    parser.add_argument("--resume", type=_switch, nargs="?", const=True, default=False, metavar="true|false",
                        help="continue the chunked job an interrupted run of this step left behind")
    parser.add_argument("--engine", default="local", choices=("local", "spark"),
                        help="local (this machine) or spark (the active Spark session, else the Spark Connect "
                        "server SPARK_REMOTE names, e.g. sc://host:15002, else pyspark's default); default local")
    parser.add_argument("--local-values-uri", type=_optional(str), default=None, metavar="URI",
                        help="with --engine spark: where the local values go, a location the cluster reaches "
                        "(s3a://, abfss://, dbfs:/, /Volumes/...; default <explanation-output>/local_values)")
    parser.add_argument("--what-if", dest="what_if", type=_switch, nargs="?", const=True, default=True,
                        metavar="true|false", help="carry the model into the dashboard for exact what-if (tree "
                        "ensembles and linear models, also behind a ColumnTransformer); default true")
    parser.add_argument("--no-what-if", dest="what_if", action="store_false",
                        help="leave the model out of the dashboard (its ICE curves are computed at upload)")
    parser.add_argument("--ice-features", type=_ice_features, default=10, metavar="N|NAMES",
                        help="ICE / partial dependence curves for the N most important features (0: none) or for "
                        "comma-separated feature names; default 10")
    parser.add_argument("--grid-size", type=_positive_int, default=20, metavar="N",
                        help="grid points of a numeric feature's ICE curves (its quantiles); default 20")
    parser.set_defaults(handler=_explain)


def _add_scorecard(commands: Any) -> None:
    parser = commands.add_parser(
        "scorecard", help="score a model against a config's targets and log a PDF + HTML scorecard",
        description="Score an MLflow model on a labelled table against the targets of a scorecard config (YAML or "
        "JSON, keys of the Responsible AI scorecard: Model, Metrics, FeatureImportance, DataExplorer, Fairness, "
        "Cohorts) and log scorecard/scorecard.pdf, scorecard/scorecard.html, scorecard.* metrics and the "
        "scorecard.passed tag to the active MLflow run (MLFLOW_RUN_ID, else a new run). Prints the scorecard's "
        f"artifact URI. Exit code {TARGET_MISSED} when a target is missed and --fail-on-missed-target is set.",
    )
    parser.add_argument("--model", required=True, metavar="URI",
                        help="the model: runs:/<run_id>/model, models:/<name>/<version> or a local MLflow model folder")
    parser.add_argument("--data", required=True, metavar="URI",
                        help="the labelled rows to score: a .csv/.csv.gz/.parquet file, a folder holding one, or an "
                        "MLflow artifact URI")
    parser.add_argument("--config", required=True, metavar="FILE", help="the scorecard config (YAML or JSON)")
    parser.add_argument("--target", type=_optional(str), default=None, metavar="NAME",
                        help="the label column of the data (default: the one recorded by train on the model's run)")
    parser.add_argument("--explanation", type=_optional(str), default=None, metavar="URI",
                        help="the explanation for the feature importance section: the explain step's output folder, "
                        "runs:/<run_id> or runs:/<run_id>/explanations/<id> (default: the run's newest)")
    parser.add_argument("--scorecard-output", type=_optional(str), default=None, metavar="DIR",
                        help="also write scorecard.pdf and scorecard.html to this folder")
    parser.add_argument("--fail-on-missed-target", type=_boolean, nargs="?", const=True, default=False,
                        metavar="BOOL", help=f"exit with code {TARGET_MISSED} when a target is missed (after logging "
                        "the scorecard), so a pipeline can gate on it; takes an optional true/false")
    parser.set_defaults(handler=_scorecard)


def _add_compare(commands: Any) -> None:
    parser = commands.add_parser(
        "compare", help="compare two explanations and log a comparison report",
        description="Compare explanation B (the candidate) with explanation A (the baseline): rank shifts, importance "
        "deltas with bootstrap bands, appeared / vanished features, per-class and per-cohort shifts, and a "
        "Wasserstein permutation test per top feature so that noise is not called a change. Logs "
        "comparison/comparison.html, comparison.png, comparison.json and compare.* metrics to the active MLflow run "
        "(MLFLOW_RUN_ID, else a new run). Each explanation is a run id, runs:/<run_id> (its newest), "
        "runs:/<run_id>/explanations/<id> or a saved explanation folder. Prints the report's URI. Exit code "
        f"{TARGET_MISSED} when --gate fails.",
    )
    parser.add_argument("a", nargs="?", default=None, metavar="RUN_OR_URI_A", help="the baseline explanation (A)")
    parser.add_argument("b", nargs="?", default=None, metavar="RUN_OR_URI_B", help="the candidate explanation (B)")
    parser.add_argument("--baseline", type=_optional(str), default=None, metavar="URI",
                        help="the baseline explanation, instead of RUN_OR_URI_A")
    parser.add_argument("--candidate", type=_optional(str), default=None, metavar="URI",
                        help="the candidate explanation, instead of RUN_OR_URI_B")
    parser.add_argument("--top-k", type=_optional(_positive_int), default=10, metavar="N",
                        help="test and report the top N features of either explanation (default 10)")
    parser.add_argument("--gate", type=_optional(str), default=None, metavar="GATE",
                        help=f"exit with code {TARGET_MISSED} (after logging) unless the comparison passes: "
                        "top5_unchanged (or top<k>_unchanged) or none_flagged")
    parser.add_argument("--cohort", action="append", default=None, metavar="NAME=QUERY",
                        help="also compare a cohort of the explained rows, e.g. 'Over 40=age > 40' (repeatable)")
    parser.add_argument("--n-bootstrap", type=int, default=200, metavar="N", help="bootstrap resamples (default 200)")
    parser.add_argument("--n-permutations", type=int, default=999, metavar="N",
                        help="permutations of the distribution test (default 999)")
    parser.add_argument("--alpha", type=float, default=0.05, help="level of the Holm-adjusted p-values (default 0.05)")
    parser.add_argument("--random-state", type=int, default=0, help="seed of the resampling (default 0)")
    parser.add_argument("--comparison-output", type=_optional(str), default=None, metavar="DIR",
                        help="also write the report files to this folder")
    parser.set_defaults(handler=_compare)

    drift = commands.add_parser(
        "drift", help="plot each top feature's importance over an experiment's explanations or a run's scored batches",
        description="Line up every explanation uploaded to the runs of an experiment (oldest first) and log "
        "drift/importance_over_runs.png, drift/importance_over_runs.json and drift.<feature>.importance metrics "
        "(one step per explanation) to the active MLflow run, else a new run 'importance-drift' in the experiment. "
        "With --batches RUN_ID, line up the batches ScoringExplainer.log_batch_importances logged to that run "
        "instead (drift/importance_over_batches.*, one step per batch). Prints the URI of the logged folder.")
    source = drift.add_mutually_exclusive_group(required=True)
    source.add_argument("--experiment", metavar="NAME", help="the MLflow experiment")
    source.add_argument("--batches", metavar="RUN_ID", help="the run a scoring explainer logged its batches to")
    drift.add_argument("--top-k", type=_positive_int, default=5, metavar="N",
                       help="plot the N features with the highest mean importance (default 5)")
    drift.add_argument("--comment", default=None, metavar="TEXT", help="only explanations uploaded with this comment")
    drift.add_argument("--tracking-uri", default=None, metavar="URI",
                       help="the tracking store (default: MLFLOW_TRACKING_URI, else MLflow's default)")
    drift.set_defaults(handler=_drift)


def _add_history(commands: Any) -> None:
    listing = commands.add_parser("list", help="list a run's explanations",
                                  description="One line per explanation uploaded to the run, newest first: id, "
                                  "upload time, method, task, raw/engineered, size, comment.")
    show = commands.add_parser("show", help="print an explanation's global importance table",
                               description="Print the ranked global feature importances (rank, feature, "
                               "importance) of the run's newest explanation, or of --explanation-id.")
    for parser in (listing, show):
        parser.add_argument("--run-id", required=True, metavar="ID", help="the MLflow run")
        parser.add_argument("--tracking-uri", default=None, metavar="URI",
                            help="the tracking store (default: MLFLOW_TRACKING_URI, else MLflow's default)")
    show.add_argument("--explanation-id", default=None, metavar="ID", help="which explanation (default: the newest)")
    show.add_argument("--top-k", type=_positive_int, default=None, metavar="N", help="show only the top N features")
    listing.set_defaults(handler=_list)
    show.set_defaults(handler=_show)


def _add_pipeline(commands: Any) -> None:
    pipeline = commands.add_parser("pipeline", help="run a pipeline job YAML locally on MLflow")
    actions = pipeline.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="run a pipeline job YAML locally",
                             description="Run an Azure ML pipeline-job YAML locally: a parent MLflow run and one "
                             "nested run per job. Prints the parent run id.")
    run.add_argument("pipeline", metavar="PIPELINE.yaml", help="the pipeline job YAML")
    run.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     help="override a pipeline input (repeatable)")
    run.add_argument("--experiment", default=None, metavar="NAME", help="the MLflow experiment of the parent run")
    run.set_defaults(handler=_pipeline_run)


def add_step_commands(commands: Any) -> None:
    """Add ``train``, ``explain``, ``scorecard``, ``compare``, ``drift``, ``list``, ``show`` and ``pipeline run`` to
    an argparse sub-parser set."""
    _add_train(commands)
    _add_explain(commands)
    _add_scorecard(commands)
    _add_compare(commands)
    _add_history(commands)
    _add_pipeline(commands)
