"""Read Azure ML pipeline-job and command-component YAML with PyYAML and plan a local run.

What is understood (the subset our specs use; anything else is refused with a message):

- pipeline ``inputs``: literals, or ``{type, path | value | default}``; ``uri_file`` / ``uri_folder``
  paths are relative to the pipeline file (overrides: relative to the current directory);
- ``jobs.<name>``: ``type: command`` with ``component:`` a path relative to the pipeline file (or an
  inline component), ``inputs`` bound to literals, ``${{parent.inputs.<x>}}`` or
  ``${{parent.jobs.<job>.outputs.<y>}}``, and ``outputs`` (each becomes a fresh local folder);
- a component's ``command:``: ``${{inputs.<x>}}`` / ``${{outputs.<y>}}`` placeholders, and optional
  ``$[[...]]`` blocks, dropped when an input they mention is unset.

Every literal job input is checked against its component's declared ``type`` (integer, number,
boolean, with ``min`` / ``max``) and ``enum`` when the pipeline is read, so a bad value fails before
the first job runs. Jobs run in topological order of their ``parent.jobs`` references, ties in YAML
order. The
component's ``environment`` is ignored here: jobs run in the current Python environment.
"""

from __future__ import annotations

import contextlib
import graphlib
import math
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import did_you_mean
from ._errors import PipelineSpecError

__all__ = ["Component", "Job", "OutputRef", "Pipeline", "load_pipeline", "render_command"]

_PARENT_INPUT = re.compile(r"\$\{\{\s*parent\.inputs\.([A-Za-z_][\w]*)\s*\}\}")
_PARENT_OUTPUT = re.compile(r"^\$\{\{\s*parent\.jobs\.([A-Za-z_][\w]*)\.outputs\.([A-Za-z_][\w]*)\s*\}\}$")
_COMMAND_REF = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][\w]*)\s*\}\}")
_OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)
_PATH_TYPES = frozenset({"uri_file", "uri_folder", "mlflow_model", "custom_model", "mltable", "path"})
_FOLDER_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def _check_folder_name(name: Any, what: str) -> None:
    """Job and output names become folder names of the local run: refuse any that could leave its folder."""
    if not isinstance(name, str) or not _FOLDER_NAME.match(name) or set(name) <= {"."} or ".." in name:
        raise PipelineSpecError(
            f"{what} {name!r} cannot name a folder: use 1-100 letters, digits, '_', '-' or '.', without '..' "
            "(names become the folders a local run writes its outputs and logs to)."
        )


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise PipelineSpecError(f"{what} {str(path)!r} does not exist; give the path of a YAML file.")
    with path.open(encoding="utf-8") as handle:
        try:
            spec = yaml.safe_load(handle)
        except yaml.YAMLError as error:
            raise PipelineSpecError(f"{what} {str(path)!r} is not valid YAML: {error}") from error
    if not isinstance(spec, dict):
        raise PipelineSpecError(f"{what} {str(path)!r} should hold a YAML mapping, got {type(spec).__name__}.")
    return spec


def _is_local_path(value: str) -> bool:
    """True for a plain file-system path, False for a URI such as ``runs:/``, ``azureml:`` or ``https://``."""
    return re.match(r"^[A-Za-z][\w+.-]+:", value) is None or value.startswith("file:")


def _local_path(value: str, base: Path) -> str:
    value = value.removeprefix("file://").removeprefix("file:")
    return str((base / value).resolve()) if _is_local_path(value) else value


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise PipelineSpecError(f"expected a single value, got {value!r}.")
    return str(value)


def _pipeline_input(spec: Any, base: Path) -> str | None:
    if not isinstance(spec, dict):
        return _scalar(spec)
    for key in ("path", "value", "default"):
        if key in spec:
            value = _scalar(spec[key])
            if value is not None and key == "path" and spec.get("type", "uri_folder") in _PATH_TYPES:
                return _local_path(value, base)
            return value
    return None


@dataclass(frozen=True)
class Component:
    """A command component: its typed inputs and outputs and its ``command:`` template."""

    path: Path
    name: str
    version: str
    inputs: Mapping[str, Mapping[str, Any]]
    outputs: Mapping[str, Mapping[str, Any]]
    command: str

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], path: Path) -> Component:
        """Check a component mapping (already read from ``path``) and build the component."""
        where = f"component {str(path)!r}"
        if spec.get("type", "command") != "command" or not isinstance(spec.get("command"), str):
            raise PipelineSpecError(f"{where} should be a command component (type: command) with a command: "
                                    f"string; got type {spec.get('type')!r}.")
        inputs = {name: value if isinstance(value, dict) else {"type": "string", "default": value}
                  for name, value in (spec.get("inputs") or {}).items()}
        outputs = {name: value or {"type": "uri_folder"} for name, value in (spec.get("outputs") or {}).items()}
        for kind, name in _COMMAND_REF.findall(spec["command"]):
            known = inputs if kind == "inputs" else outputs
            if name not in known:
                raise PipelineSpecError(f"{where}: its command uses ${{{{{kind}.{name}}}}}, which is not one of "
                                        f"its {kind} {sorted(known)}.{did_you_mean(name, known)}")
        return cls(path=path, name=str(spec.get("name", path.parent.name)), version=str(spec.get("version", "")),
                   inputs=inputs, outputs=outputs, command=spec["command"])


@dataclass(frozen=True)
class OutputRef:
    """A job input bound to an upstream job's output: ``${{parent.jobs.<job>.outputs.<output>}}``."""

    job: str
    output: str


@dataclass(frozen=True)
class Job:
    """One pipeline job: its component and its inputs (a value, ``None`` for unset, or an :class:`OutputRef`)."""

    name: str
    component: Component
    inputs: Mapping[str, str | OutputRef | None]
    outputs: tuple[str, ...]
    depends_on: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Pipeline:
    """A pipeline job ready to run: resolved pipeline inputs and its jobs in run order."""

    path: Path
    display_name: str
    experiment_name: str | None
    inputs: Mapping[str, str | None]
    jobs: tuple[Job, ...]


def _job_input(value: Any, pipeline_inputs: Mapping[str, str | None], where: str) -> str | OutputRef | None:
    if isinstance(value, dict):
        value = value.get("path", value.get("value"))
    value = _scalar(value)
    if value is None:
        return None
    upstream = _PARENT_OUTPUT.match(value.strip())
    if upstream:
        return OutputRef(*upstream.groups())
    whole = _PARENT_INPUT.fullmatch(value.strip())
    for name in _PARENT_INPUT.findall(value):
        if name not in pipeline_inputs:
            raise PipelineSpecError(f"{where} uses ${{{{parent.inputs.{name}}}}}, but the pipeline has no input "
                                    f"{name!r}; its inputs are {sorted(pipeline_inputs)}."
                                    f"{did_you_mean(name, pipeline_inputs)}")
    if whole:
        return pipeline_inputs[whole.group(1)]
    return _PARENT_INPUT.sub(lambda match: pipeline_inputs[match.group(1)] or "", value)


def _check_type(value: str, declared: Mapping[str, Any], where: str) -> None:
    """Refuse a literal input value that its component's declared ``type`` (and ``min`` / ``max``) rejects."""
    kind = declared.get("type")
    if kind == "boolean":
        if value.strip().lower() not in ("true", "false"):
            raise PipelineSpecError(f"{where} is {value!r}, but the component declares type boolean: give true "
                                    "or false.")
        return
    if kind not in ("integer", "number"):
        return
    text = value.strip()
    number: float | None = None
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", text):
        number = int(text)
    elif kind == "number":
        with contextlib.suppress(ValueError):
            number = float(text)
    if number is None or not math.isfinite(number):
        example = "a whole number such as 500" if kind == "integer" else "a number such as 0.25"
        raise PipelineSpecError(f"{where} is {value!r}, but the component declares type {kind}: give {example}.")
    for bound, outside in (("min", number.__lt__), ("max", number.__gt__)):
        limit = declared.get(bound)
        if isinstance(limit, (int, float)) and not isinstance(limit, bool) and outside(limit):
            raise PipelineSpecError(f"{where} is {value!r}, but the component declares {bound} {limit:g}.")


def _load_job(name: str, spec: Any, base: Path, pipeline_inputs: Mapping[str, str | None]) -> Job:
    where = f"job {name!r}"
    _check_folder_name(name, "job name")
    if not isinstance(spec, dict) or spec.get("type", "command") != "command" or "component" not in spec:
        raise PipelineSpecError(f"{where} should be a mapping with type: command and a component:; "
                                f"only command jobs run locally.")
    if isinstance(spec["component"], dict):
        component = Component.from_spec(spec["component"], base / f"<inline component of {name}>")
    else:
        reference = str(spec["component"]).removeprefix("file:")
        if not _is_local_path(reference):
            raise PipelineSpecError(f"{where}: component {reference!r} is a registered component; a local run "
                                    f"needs the path of its component.yaml.")
        path = (base / reference).resolve()
        component = Component.from_spec(_read_yaml(path, f"component of {where}"), path)
    for output in component.outputs:
        _check_folder_name(output, f"{where}: output name of component {component.name!r}")
    given = spec.get("inputs") or {}
    for key in given:
        if key not in component.inputs:
            raise PipelineSpecError(f"{where} sets input {key!r}, which component {component.name!r} does not have; "
                                    f"its inputs are {sorted(component.inputs)}.{did_you_mean(key, component.inputs)}")
    for key in spec.get("outputs") or {}:
        if key not in component.outputs:
            raise PipelineSpecError(f"{where} binds output {key!r}, which component {component.name!r} does not "
                                    f"have; its outputs are {sorted(component.outputs)}."
                                    f"{did_you_mean(key, component.outputs)}")
    inputs: dict[str, str | OutputRef | None] = {}
    for key, declared in component.inputs.items():
        if key in given:
            value = _job_input(given[key], pipeline_inputs, f"{where} input {key!r}")
            if isinstance(value, str) and declared.get("type") in _PATH_TYPES:
                value = _local_path(value, base)
        else:
            value = _scalar(declared.get("default"))
        if isinstance(value, str) and "enum" in declared and value not in map(str, declared["enum"]):
            raise PipelineSpecError(f"{where}: input {key!r} is {value!r}, but component {component.name!r} accepts "
                                    f"only {list(declared['enum'])}.{did_you_mean(value, map(str, declared['enum']))}")
        if isinstance(value, str):
            _check_type(value, declared, f"{where}: input {key!r} of component {component.name!r}")
        if value is None and not declared.get("optional", False):
            raise PipelineSpecError(f"{where}: required input {key!r} of component {component.name!r} is not set; "
                                    f"bind it in the job's inputs.")
        inputs[key] = value
    depends = tuple(dict.fromkeys(value.job for value in inputs.values() if isinstance(value, OutputRef)))
    return Job(name=name, component=component, inputs=inputs, outputs=tuple(component.outputs), depends_on=depends)


def _run_order(jobs: Mapping[str, Job]) -> tuple[Job, ...]:
    """Topological order of the jobs (``graphlib``), picking among ready jobs the first in YAML order."""
    for job in jobs.values():
        for value in job.inputs.values():
            if not isinstance(value, OutputRef):
                continue
            if value.job not in jobs:
                raise PipelineSpecError(f"job {job.name!r} uses ${{{{parent.jobs.{value.job}.outputs.{value.output}"
                                        f"}}}}, but there is no job {value.job!r}.{did_you_mean(value.job, jobs)}")
            if value.output not in jobs[value.job].outputs:
                raise PipelineSpecError(
                    f"job {job.name!r} uses output {value.output!r} of job {value.job!r}, which has outputs "
                    f"{list(jobs[value.job].outputs)}.{did_you_mean(value.output, jobs[value.job].outputs)}")
    sorter = graphlib.TopologicalSorter({name: job.depends_on for name, job in jobs.items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise PipelineSpecError(f"jobs depend on each other in a cycle ({cycle}); a pipeline must be acyclic.") \
            from None
    position = {name: index for index, name in enumerate(jobs)}
    ordered: list[Job] = []
    ready: list[str] = []
    while sorter.is_active():
        ready = sorted([*ready, *sorter.get_ready()], key=position.__getitem__)
        name = ready.pop(0)
        ordered.append(jobs[name])
        sorter.done(name)
    return tuple(ordered)


def load_pipeline(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> Pipeline:
    """Read a pipeline-job YAML and its components, apply input overrides, and order its jobs.

    Parameters
    ----------
    path : str or Path
        The pipeline YAML; ``component:`` paths and ``uri_*`` input paths are relative to it.
    overrides : mapping, optional
        Pipeline input values replacing the YAML's (``--set name=value``); paths relative to the
        current directory.

    Returns
    -------
    Pipeline

    Raises
    ------
    PipelineSpecError
        On anything that would stop the run: unknown inputs or outputs, missing required inputs,
        dangling or cyclic job references, non-command jobs.
    """
    path = Path(path).resolve()
    spec = _read_yaml(path, "pipeline")
    if spec.get("type", "pipeline") != "pipeline" or not isinstance(spec.get("jobs"), dict) or not spec["jobs"]:
        raise PipelineSpecError(f"pipeline {str(path)!r} should be a pipeline job (type: pipeline) with jobs:.")
    base = path.parent
    declared = spec.get("inputs") or {}
    inputs = {name: _pipeline_input(value, base) for name, value in declared.items()}
    for name, value in (overrides or {}).items():
        if name not in inputs:
            raise PipelineSpecError(f"cannot set pipeline input {name!r}: pipeline {path.name!r} has inputs "
                                    f"{sorted(inputs)}.{did_you_mean(name, inputs)}")
        kind = declared[name].get("type") if isinstance(declared[name], dict) else None
        value = _scalar(value)
        inputs[name] = _local_path(value, Path.cwd()) if value is not None and kind in _PATH_TYPES else value
    jobs = {name: _load_job(name, job, base, inputs) for name, job in spec["jobs"].items()}
    return Pipeline(path=path, display_name=str(spec.get("display_name") or path.stem),
                    experiment_name=spec.get("experiment_name"), inputs=inputs, jobs=_run_order(jobs))


def render_command(command: str, inputs: Mapping[str, str | None], outputs: Mapping[str, str]) -> list[str]:
    """Substitute a component command's placeholders and split it into an argument list.

    ``$[[...]]`` blocks are kept (without the brackets) when every input they mention is set, else
    dropped; the command is then split like a POSIX shell would (``shlex.split``) and each
    ``${{inputs.x}}`` / ``${{outputs.y}}`` is replaced inside its argument, so a value with spaces
    or quotes stays one argument.

    Raises
    ------
    PipelineSpecError
        If an unset input is used outside an optional block.
    """
    def keep(block: re.Match[str]) -> str:
        names = [name for kind, name in _COMMAND_REF.findall(block.group(1)) if kind == "inputs"]
        return block.group(1) if all(inputs.get(name) is not None for name in names) else ""

    def value(ref: re.Match[str]) -> str:
        kind, name = ref.groups()
        found = (inputs if kind == "inputs" else outputs).get(name)
        if found is None:
            raise PipelineSpecError(f"command uses ${{{{{kind}.{name}}}}}, which is unset; wrap optional inputs "
                                    f"in $[[...]] or give the input a value.")
        return found

    return [_COMMAND_REF.sub(value, token) for token in shlex.split(_OPTIONAL_BLOCK.sub(keep, command))]
