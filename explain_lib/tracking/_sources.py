"""One explanation from wherever it is: an object, a saved folder, a run, or one upload of a run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .._format import META_FILE
from ..errors import InvalidInputError
from ..explanation import Explanation

__all__ = ["load_explanation_source", "source_about"]

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def _mark_truncated(client: Any, explanation: Explanation) -> Explanation:
    """An upload made with top_k stores only its top features: say so in ``params["uploaded_top_k_of"]``
    (the full feature count), so that a comparison does not call the others vanished."""
    import dataclasses

    entry = next((e for e in client.list_model_explanations() if e["id"] == explanation.id), {})
    total = entry.get("num_features")
    if isinstance(total, int) and total > explanation.n_features:
        return dataclasses.replace(explanation, params={**explanation.params, "uploaded_top_k_of": total})
    return explanation


def load_explanation_source(source: Any, *, tracking_uri: str | None = None) -> tuple[Explanation, str]:
    """``(explanation, where it came from)`` for an explanation given in any of the forms we accept.

    - an :class:`~explain_lib.Explanation` (named by its id);
    - an :class:`~explain_lib.tracking.ExplanationClient` or a run id: the run's newest explanation;
    - ``runs:/<run_id>``: the same; ``runs:/<run_id>/explanations/<id>``: that upload;
    - a folder written by ``Explanation.save`` (the explain step's output).

    The second element is a URI that outlives this process (``runs:/<run>/explanations/<id>``, the
    folder's absolute path, or ``explanation <id>``).

    Raises
    ------
    InvalidInputError
        A folder without ``explanation.json``, or a URI that is neither of the forms above;
        ``RunNotFoundError`` / ``ExplanationNotFoundError`` for a run or id that is not there.
    """
    from ._client import ExplanationClient

    if isinstance(source, Explanation):
        return source, f"explanation {source.id}"
    if isinstance(source, ExplanationClient):
        explanation = source.download_model_explanation()
        return _mark_truncated(source, explanation), f"runs:/{source.run_id}/explanations/{explanation.id}"
    text = str(source).strip()
    if _RUN_ID.match(text):
        text = f"runs:/{text}"
    if text.startswith("runs:/"):
        parts = text.removeprefix("runs:/").strip("/").split("/")
        if len(parts) == 1 or (len(parts) == 3 and parts[1] == "explanations"):
            client = ExplanationClient.from_run_id(parts[0], tracking_uri=tracking_uri)
            explanation = client.download_model_explanation(parts[2] if len(parts) == 3 else None)
            return _mark_truncated(client, explanation), f"runs:/{parts[0]}/explanations/{explanation.id}"
        raise InvalidInputError(f"{text!r} does not name an explanation; give runs:/<run_id> (the run's newest) or "
                                "runs:/<run_id>/explanations/<id>.")
    folder = Path(text).expanduser()
    if not (folder / META_FILE).is_file():
        raise InvalidInputError(f"{text!r} is not a saved explanation (no {META_FILE} in it). Give a run id, "
                                "runs:/<run_id>, runs:/<run_id>/explanations/<id> or a folder written by "
                                "Explanation.save (the explain step's output).")
    return Explanation.load(folder), str(folder.resolve())


_OWN_METRICS = ("importance/", "engineered_importance/", "explanation/", "compare.", "scorecard.", "drift.")


def _model_run(client: Any, model_uri: str | None) -> str | None:
    """The id of the run that logged the model at ``model_uri`` (``runs:/<run>/...``, ``models:/<name>/<version>``)."""
    if not model_uri:
        return None
    if model_uri.startswith("runs:/"):
        return model_uri.removeprefix("runs:/").split("/")[0] or None
    parts = model_uri.removeprefix("models:/").split("/")
    if model_uri.startswith("models:/") and len(parts) == 2 and parts[1].isdigit():
        return client.get_model_version(parts[0], parts[1]).run_id
    return None


def source_about(label: str, explanation: Explanation, *, tracking_uri: str | None = None) -> dict[str, Any]:
    """What a reader needs to recognise a compared explanation, from its ``label`` (:func:`load_explanation_source`):
    ``{"name", "date", "uri", "model_metrics"}``: its run's name and start (UTC) for a ``runs:/`` label (else the
    folder's or explanation's name), and the metrics of the run that logged the explained model (held-out
    metrics such as ``test_accuracy``; explain-lib's own metrics left out). Whatever cannot be looked up is None.
    """
    import datetime

    import mlflow
    from mlflow.exceptions import MlflowException

    about: dict[str, Any] = {"name": label, "date": None, "uri": label, "model_metrics": {}}
    client = mlflow.MlflowClient(tracking_uri)
    try:
        if label.startswith("runs:/"):
            run = client.get_run(label.removeprefix("runs:/").split("/")[0])
            about["name"] = run.info.run_name or run.info.run_id
            about["date"] = datetime.datetime.fromtimestamp(run.info.start_time / 1000, datetime.timezone.utc) \
                .strftime("%Y-%m-%d %H:%M UTC")
        elif label.startswith("explanation "):
            about["uri"] = None
        else:
            about["name"] = Path(label).name
        model_run = _model_run(client, explanation.model_uri)
        if model_run is not None:
            metrics = client.get_run(model_run).data.metrics
            about["model_metrics"] = {key: value for key, value in sorted(metrics.items())
                                      if not key.startswith(_OWN_METRICS)}
    except (MlflowException, OSError):
        pass  # a source outside this store (a copied folder): named by its label, without metrics
    return about
