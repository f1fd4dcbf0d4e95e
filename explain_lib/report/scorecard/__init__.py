"""Scorecards: does a model meet its targets? Performance, data, cohorts, top features and fairness.

::

    config = load_config("scorecard.yaml", data=test_frame, task="classification")   # every problem at once
    card = compute_scorecard(config, test_frame, y_true, y_pred, task="classification", scores=proba,
                             classes=model.classes_, explanation=explanation)
    log_scorecard(card, run_id=run_id, config=config.source)   # scorecard/scorecard.pdf + .html, metrics, tag
    card.passed, card.missed

:func:`explain_lib.steps.scorecard` does all of this from a model URI and a table.
"""

from ._compute import compute_scorecard
from ._config import ScorecardConfig, ScorecardConfigError, load_config
from ._log import PASSED_TAG, SCORECARD_ARTIFACT_DIR, log_scorecard, scorecard_metrics, write_scorecard
from ._result import Scorecard, TargetResult, Threshold, format_value

__all__ = [
    "PASSED_TAG",
    "SCORECARD_ARTIFACT_DIR",
    "Scorecard",
    "ScorecardConfig",
    "ScorecardConfigError",
    "TargetResult",
    "Threshold",
    "compute_scorecard",
    "format_value",
    "load_config",
    "log_scorecard",
    "scorecard_metrics",
    "write_scorecard",
]
