"""Concurrent uploaders of one run: the claim that makes one upload of an id win, retried writes, the table list.

The claim
    Before its first artifact an upload writes the run *param* ``explain_lib.claim.<id>.<n>``
    (n = 1, 2, ...) with a value unique to that attempt. MLflow keeps a param's first value and
    refuses another one (database stores insert it under a unique key: one writer wins, the others
    get "Changing param values is not allowed"), so reading the param back says who won: the
    others raise :class:`ExplanationExistsError` having written nothing. An attempt that died
    before its commit marker leaves its claim behind; a later upload of the same id takes the next
    number when the dead attempt was made on this host by a process that is gone, or by this process
    and is no longer running. A claim of another host is never taken over (whether it is alive cannot
    be told): upload under a new id. MLflow's file store writes params without a unique key, so the
    guarantee holds for database-backed stores and tracking servers (the default sqlite store included).

The table list
    ``mlflow.loggedArtifacts`` is one run tag that every writer replaces (read, add, write), so a
    concurrent writer can drop an entry. After its commit marker each upload sets the tag to the
    union of what it lists and the table of every committed explanation (each marker names its
    table), then reads it back and repeats until nothing is missing. The writer whose write lands
    last reads it back complete, so after all uploads end the list is complete.
"""

from __future__ import annotations

import functools
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

__all__ = ["CLAIM_PREFIX", "Claim", "register_tables", "retry_conflicts"]

CLAIM_PREFIX = "explain_lib.claim."
_ATTEMPTS = 5
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


def _claims(params: dict[str, str], explanation_id: str) -> dict[int, dict[str, Any]]:
    prefix = f"{CLAIM_PREFIX}{explanation_id}."
    claims: dict[int, dict[str, Any]] = {}
    for key, value in params.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            try:
                holder = json.loads(value)
            except json.JSONDecodeError:
                holder = {}
            claims[int(key[len(prefix):])] = holder if isinstance(holder, dict) else {}
    return claims


def _abandoned(holder: dict[str, Any]) -> bool:
    """Whether the attempt that wrote this claim has certainly stopped (it ran here and is gone)."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
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
    return ExplanationExistsError(
        f"Explanation {explanation_id!r} is being uploaded to run {run_id!r} by another process (pid "
        f"{holder.get('pid')} on host {holder.get('host')!r}, started {holder.get('time')}). Only one upload of an id "
        "can win: wait for that one, or, if it died on another machine, upload with a new id: "
        "dataclasses.replace(explanation, id=uuid.uuid4().hex)."
    )


class Claim:
    """This attempt's exclusive right to upload one explanation id to one run (see the module docstring).

    Use as a context manager around the upload: entering claims (or raises ExplanationExistsError
    having written nothing), leaving marks the attempt as no longer running in this process.
    """

    def __init__(self, client: mlflow.MlflowClient, run_id: str, explanation_id: str) -> None:
        self._client, self._run_id, self._id = client, run_id, explanation_id
        self._token = uuid.uuid4().hex

    def __enter__(self) -> Claim:
        marker = art.TAG_PREFIX + self._id
        for attempt in range(_ATTEMPTS):
            run = self._client.get_run(self._run_id)
            if marker in run.data.tags:
                raise _committed_error(self._id, self._run_id)
            claims = _claims(run.data.params, self._id)
            number = max(claims, default=0)
            if number and not _abandoned(claims[number]):
                raise _in_progress_error(self._id, self._run_id, claims[number])
            key = f"{CLAIM_PREFIX}{self._id}.{number + 1}"
            value = json.dumps({"token": self._token, "host": socket.gethostname(), "pid": os.getpid(),
                                "time": art.utc_now()})
            with _running_lock:
                _running.add(self._token)
            try:
                self._client.log_param(self._run_id, key, value)
            except MlflowException as error:
                if is_connection_failure(error):
                    self._release()
                    raise
            # The store keeps the first value written to a key: reading it back says who won.
            held = self._client.get_run(self._run_id).data.params.get(key)
            if held == value:
                return self
            self._release()
            if held is None:  # the write failed for another reason (a busy store): try again
                _pause(attempt)
        raise TrackingError(
            f"Could not claim explanation id {self._id!r} in run {self._run_id!r}: the store refused the claim "
            f"param {_ATTEMPTS} times. Upload again."
        )

    def _release(self) -> None:
        with _running_lock:
            _running.discard(self._token)

    def __exit__(self, *exc_info: object) -> None:
        self._release()


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
