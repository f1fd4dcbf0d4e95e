"""Concurrent uploaders of one run: the lock that makes one upload of an id win, retried writes, the table list.

The lock
    Before its first artifact an upload takes the lock of its id: it *creates an experiment* named
    ``explain-lib upload lock <run id> <explanation id> <n>`` (n = 1, 2, ...) whose tags hold a token
    unique to the attempt, and deletes it at once. Experiment names are unique in MLflow's database
    stores, deleted experiments included (sqlite, PostgreSQL, MySQL, and tracking servers on them:
    one creator wins, the others get RESOURCE_ALREADY_EXISTS), so reading the lock back by name says
    who won; the others raise :class:`ExplanationExistsError` having written nothing. A deleted
    experiment shows nowhere in the UI (not in the experiments list, the run's parameters, tags or
    datasets, nor in Compare runs), and MLflow's ``mlflow gc`` removes it for good.

    Why an experiment: MLflow offers a create-if-absent write on a name the caller chooses only for
    run params (``log_param`` refuses a second value), dataset records, experiment names and
    registered-model names. Params fill the run's Parameters list and become Compare runs' default
    parallel-coordinates axes; a dataset input shows in the run's Datasets and the runs table; a
    registered model in the registry. A deleted experiment is seen by nobody.

    An attempt that died before its commit marker leaves its lock behind; a later upload of the same
    id takes the next number when the dead attempt was made on this machine by a process that is gone
    (the lock's tags say which: a hash of the host name and the pid, never shown in the UI), or by this
    process and is no longer running. A lock of another machine is never taken over (whether it is alive
    cannot be told): upload under a new id. After taking the lock the upload reads the run's commit
    marker again, so an upload that finished meanwhile is never written over.

    A store that cannot create experiments on names of ours (Databricks wants workspace paths) is told
    to use the run-param claim instead, ``EXPLAIN_LIB_UPLOAD_LOCK=param``: the param
    ``explain_lib.claim.<id>.<n>`` (its value: the attempt's token, host hash, pid and start time) then
    shows among the run's parameters. MLflow's file store has neither unique names nor unique params:
    there the lock narrows, but does not close, the race.

The table list
    ``mlflow.loggedArtifacts`` is one run tag that every writer replaces (read, add, write), so a
    concurrent writer can drop an entry. After its commit marker each upload sets the tag to the
    union of what it lists and the table of every committed explanation (each marker names its
    table), then reads it back and repeats until nothing is missing. The writer whose write lands
    last reads it back complete, so after all uploads end the list is complete.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_ARTIFACTS

from .._keys import tag_value_limit
from . import _artifacts as art
from ._errors import ExplanationExistsError, TrackingError
from ._http import is_connection_failure

__all__ = ["CLAIM_PREFIX", "LOCK_ENV", "LOCK_PREFIX", "Claim", "register_tables", "retry_conflicts"]

LOCK_PREFIX = "explain-lib upload lock"
LOCK_ENV = "EXPLAIN_LIB_UPLOAD_LOCK"  # "experiment" (default) or "param"
CLAIM_PREFIX = "explain_lib.claim."  # the run params of EXPLAIN_LIB_UPLOAD_LOCK=param
_TOKEN_TAG, _HOLDER_TAG = "explain_lib.lock.token", "explain_lib.lock.holder"
_ATTEMPTS = 5
_MAX_LOCKS = 1000  # numbers tried for one id before giving up (each a died attempt of this machine)
_TABLE_ATTEMPTS = 12
# What a store answers when a concurrent writer inserted the same row first (sqlite: IntegrityError)
_CONFLICT_CODES = ("BAD_REQUEST", "INTERNAL_ERROR", "RESOURCE_ALREADY_EXISTS", "ABORTED", "TEMPORARILY_UNAVAILABLE")
_running: set[str] = set()  # tokens of this process's uploads in progress
_running_lock = threading.Lock()


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))


def retry_conflicts(write: Callable[[], Any]) -> None:
    """Run an idempotent MLflow write, again when a concurrent writer made it conflict.

    Two processes writing the same new tag, dataset or metric key to one run at once can collide in
    the store (sqlite: "UNIQUE constraint failed"); the second attempt sees the first's row. A server
    that stopped answering is not a conflict: that error is raised at once.
    """
    for attempt in range(_ATTEMPTS):
        try:
            write()
            return
        except MlflowException as error:
            if (error.error_code not in _CONFLICT_CODES or is_connection_failure(error)
                    or attempt + 1 == _ATTEMPTS):
                raise
            _pause(attempt)


def _this_host() -> str:
    """This machine, as the lock records it: a hash of its name (the name itself is never written)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:16]


def _abandoned(holder: dict[str, Any]) -> bool:
    """Whether the attempt that took this lock has certainly stopped (it ran here and is gone)."""
    pid = holder.get("pid")
    if holder.get("host") != _this_host() or not isinstance(pid, int):
        return False
    if pid == os.getpid():
        with _running_lock:
            return holder.get("token") not in _running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def _committed_error(explanation_id: str, run_id: str) -> ExplanationExistsError:
    return ExplanationExistsError(
        f"Explanation {explanation_id!r} is already uploaded to run {run_id!r}. Uploads are never overwritten; to "
        "upload it again give it a new id: dataclasses.replace(explanation, id=uuid.uuid4().hex)."
    )


def _in_progress_error(explanation_id: str, run_id: str, holder: dict[str, Any]) -> ExplanationExistsError:
    where = "this machine" if holder.get("host") == _this_host() else "another machine"
    return ExplanationExistsError(
        f"Explanation {explanation_id!r} is being uploaded to run {run_id!r} by another process (pid "
        f"{holder.get('pid')} on {where}, started {holder.get('time')}). Only one upload of an id can win: wait "
        "for that one, or, if it died on another machine, upload with a new id: "
        "dataclasses.replace(explanation, id=uuid.uuid4().hex)."
    )


def _lock_kind() -> str:
    kind = os.environ.get(LOCK_ENV, "experiment").strip().lower() or "experiment"
    if kind not in ("experiment", "param"):
        raise TrackingError(f"{LOCK_ENV}={kind!r}: expected 'experiment' (the default) or 'param'.")
    return kind


class Claim:
    """This attempt's exclusive right to upload one explanation id to one run (see the module docstring).

    Use as a context manager around the upload: entering takes the lock (or raises ExplanationExistsError
    having written nothing), leaving marks the attempt as no longer running in this process.
    """

    def __init__(self, client: mlflow.MlflowClient, run_id: str, explanation_id: str) -> None:
        self._client, self._run_id, self._id = client, run_id, explanation_id
        self._token = uuid.uuid4().hex
        self._holder = {"token": self._token, "host": _this_host(), "pid": os.getpid(), "time": art.utc_now()}

    def _committed(self) -> bool:
        return art.TAG_PREFIX + self._id in self._client.get_run(self._run_id).data.tags

    def __enter__(self) -> Claim:
        take = self._take_param if _lock_kind() == "param" else self._take_experiment
        with _running_lock:
            _running.add(self._token)
        try:
            for attempt in range(_ATTEMPTS):
                if self._committed():
                    raise _committed_error(self._id, self._run_id)
                for number in range(1, _MAX_LOCKS + 1):
                    won, holder = take(number)
                    if won:
                        if self._committed():  # finished by another attempt while we looked
                            raise _committed_error(self._id, self._run_id)
                        return self
                    if holder is None:  # the store was busy: look again from the start
                        break
                    if not _abandoned(holder):
                        raise _in_progress_error(self._id, self._run_id, holder)
                _pause(attempt)
        except BaseException:
            self._release()
            raise
        self._release()
        raise TrackingError(f"Could not lock explanation id {self._id!r} in run {self._run_id!r}: the store refused "
                            f"the lock {_ATTEMPTS} times. Upload again.")

    # -------------------------------------------------------------------- one lock number, two kinds
    def _take_experiment(self, number: int) -> tuple[bool, dict[str, Any] | None]:
        """Create lock experiment ``number``: ``(True, None)`` when ours, ``(False, its holder)`` when another's,
        ``(False, None)`` when the store was busy."""
        name = f"{LOCK_PREFIX} {self._run_id} {self._id} {number}"
        tags = {_TOKEN_TAG: self._token, _HOLDER_TAG: json.dumps(self._holder)}
        try:
            created = self._client.create_experiment(name, tags=tags)
        except MlflowException as error:
            if is_connection_failure(error):
                raise
            found = self._client.get_experiment_by_name(name)  # who holds it (our create may have landed)
            if found is None:
                if error.error_code in _CONFLICT_CODES:
                    return False, None
                raise TrackingError(
                    f"Could not create explain-lib's upload lock (an empty experiment, deleted at once, named "
                    f"{name!r}): {error.message}. A store that refuses experiment names of ours (Databricks wants "
                    f"workspace paths) can lock with a run param instead: set {LOCK_ENV}=param (the param "
                    f"{CLAIM_PREFIX}{self._id}.<n> then shows among the run's parameters)."
                ) from error
            if found.tags.get(_TOKEN_TAG) != self._token:
                holder = _holder(found.tags.get(_HOLDER_TAG))
                if found.lifecycle_stage == "active" and _abandoned(holder):  # died before hiding it: hide it now
                    self._hide(found.experiment_id, name)
                return False, holder
            created = found.experiment_id
            if found.lifecycle_stage == "deleted":
                return True, None
        self._hide(created, name)
        return True, None

    def _hide(self, experiment_id: str, name: str) -> None:
        try:
            self._client.delete_experiment(experiment_id)  # the name stays taken
        except MlflowException as error:
            if is_connection_failure(error):
                raise
            warnings.warn(f"explain-lib's upload lock {name!r} could not be deleted ({error.message}); delete the "
                          "experiment by hand, it holds nothing.", RuntimeWarning, stacklevel=5)

    def _take_param(self, number: int) -> tuple[bool, dict[str, Any] | None]:
        """The run-param lock (``EXPLAIN_LIB_UPLOAD_LOCK=param``): MLflow keeps a param's first value."""
        key = f"{CLAIM_PREFIX}{self._id}.{number}"
        value = json.dumps(self._holder)
        held = self._client.get_run(self._run_id).data.params.get(key)
        if held is None:
            try:
                self._client.log_param(self._run_id, key, value)
            except MlflowException as error:
                if is_connection_failure(error):
                    raise
            held = self._client.get_run(self._run_id).data.params.get(key)  # the first value written is kept
        if held == value:
            return True, None
        return False, None if held is None else _holder(held)

    def _release(self) -> None:
        with _running_lock:
            _running.discard(self._token)

    def __exit__(self, *exc_info: object) -> None:
        self._release()


def _holder(text: str | None) -> dict[str, Any]:
    try:
        holder = json.loads(text or "{}")
    except json.JSONDecodeError:
        holder = {}
    return holder if isinstance(holder, dict) else {}


def register_tables(client: mlflow.MlflowClient, run_id: str) -> None:
    """Make the run's table list hold the table of every committed explanation (see the module docstring)."""
    for attempt in range(_TABLE_ATTEMPTS):
        tags = client.get_run(run_id).data.tags
        listed = json.loads(tags.get(MLFLOW_LOGGED_ARTIFACTS, "[]"))
        wanted = list(listed)
        for key, value in sorted(tags.items()):
            if not key.startswith(art.TAG_PREFIX):
                continue
            try:
                committed = json.loads(value)
                tables = [committed.get("table"), committed.get("interaction_table")]
            except (json.JSONDecodeError, AttributeError):
                continue
            for table in tables:
                entry = {"path": table, "type": "table"}
                if isinstance(table, str) and entry not in wanted:
                    wanted.append(entry)
        if len(wanted) == len(listed):
            return
        if len(json.dumps(wanted)) > tag_value_limit():  # the store would cut the list, and the UI could not read it
            warnings.warn(f"Not listing every explanation table in run {run_id!r}'s {MLFLOW_LOGGED_ARTIFACTS!r} tag: "
                          "the list is full for the store's tag size.", UserWarning, stacklevel=3)
            return
        retry_conflicts(functools.partial(client.set_tag, run_id, MLFLOW_LOGGED_ARTIFACTS, json.dumps(wanted)))
        _pause(attempt % 3)
    warnings.warn(
        f"Other writers kept replacing the {MLFLOW_LOGGED_ARTIFACTS!r} tag of run {run_id!r}; its table list may miss "
        "an explanation's importance table (the explanations themselves are uploaded and listed).",
        RuntimeWarning, stacklevel=3,
    )
