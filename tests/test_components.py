"""The Azure ML specs: components and the pipeline validate offline, and components match the CLI."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from explain_lib.pipelines import PipelineSpecError, load_pipeline, render_command
from explain_lib.pipelines._spec import Component

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = sorted(ROOT.glob("components/*/component.yaml"))
PIPELINES = sorted(ROOT.glob("pipelines/*.yaml"))
STEP_COMMANDS = {"train", "explain", "scorecard", "compare"}
PIPELINE_JOBS = {"adult_income": {"train", "explain", "scorecard"},
                 "adult_income_retrain": {"train", "explain", "compare", "scorecard"}}

# CLI options that a component deliberately does not expose, with the reason.
EXCLUDED_OPTIONS = {
    "--tracking-uri": "a job logs where MLFLOW_TRACKING_URI points (set by the runner or Azure ML)",
    "--experiment": "the run is the job's own, given by MLFLOW_RUN_ID",
    "--raw": "a boolean switch cannot be spelled in a command component; the default (raw features) is kept",
    "--no-raw": "as --raw",
    "--no-what-if": "--what-if false says the same",
}
_REF = re.compile(r"\$\{\{\s*(inputs|outputs)\.(\w+)\s*\}\}")
_PYTHON_TYPES = {"integer": int, "number": float}


def _component(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _subcommand_options(command: str) -> dict[str, argparse.Action]:
    """The real argparse options of ``explain-lib <command>`` (from the parser, else from --help)."""
    from explain_lib import cli

    if hasattr(cli, "_parser"):
        subparsers = next(action for action in cli._parser()._actions
                          if isinstance(action, argparse._SubParsersAction))
        assert command in subparsers.choices, f"the CLI has no {command!r} subcommand"
        return {option: action for action in subparsers.choices[command]._actions
                for option in action.option_strings if option not in ("-h", "--help")}
    text = subprocess.run([sys.executable, "-m", "explain_lib.cli", command, "--help"], capture_output=True,
                          text=True, check=True).stdout
    return {option: argparse.Action([option], option) for option in set(re.findall(r"(--[a-z][a-z-]*)", text))
            if option != "--help"}


def _option_bindings(command: str) -> tuple[list[str], dict[str, str], set[str]]:
    """The command's argv prefix, {"inputs.x"/"outputs.y": option}, and the bindings inside $[[...]]."""
    optional = {".".join(ref) for block in re.findall(r"\$\[\[(.*?)\]\]", command, re.DOTALL)
                for ref in _REF.findall(block)}
    tokens = shlex.split(re.sub(r"\$\[\[(.*?)\]\]", r"\1", command, flags=re.DOTALL))
    bindings = {}
    for previous, token in zip(tokens, tokens[1:], strict=False):
        for ref in _REF.findall(token):
            assert previous.startswith("--"), f"{token!r} follows {previous!r}, not an option"
            bindings[".".join(ref)] = previous
    return tokens[:2], bindings, optional


@pytest.fixture(scope="module")
def azure_ml():
    return pytest.importorskip("azure.ai.ml", reason="azure-ai-ml is a test dependency: pip install azure-ai-ml")


def test_specs_exist():
    assert [path.parent.name for path in COMPONENTS] == ["compare", "explain", "scorecard", "train"]
    assert [path.name for path in PIPELINES] == ["adult_income.yaml", "adult_income_retrain.yaml"]


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:.*marshmallow.*")


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda path: path.parent.name)
def test_component_validates_with_azure_ai_ml(azure_ml, path):
    component = azure_ml.load_component(source=path)
    result = component._validate()
    assert result.passed, result.error_messages
    assert component.type == "command"
    assert component.environment.conda_file == yaml.safe_load((ROOT / "conda.yaml").read_text(encoding="utf-8"))
    assert component.environment.image


@pytest.mark.parametrize("path", PIPELINES, ids=lambda path: path.stem)
def test_pipeline_validates_with_azure_ai_ml(azure_ml, path):
    job = azure_ml.load_job(source=path)
    result = job._validate()
    assert result.passed, result.error_messages
    assert job.settings.default_compute
    assert set(job.jobs) == PIPELINE_JOBS[path.stem]


def test_azure_validation_catches_an_unknown_input_in_a_command(azure_ml, tmp_path):
    broken = _component(ROOT / "components/train/component.yaml")
    broken["command"] = broken["command"].replace("${{inputs.target}}", "${{inputs.targt}}")
    broken["environment"]["conda_file"] = str(ROOT / "conda.yaml")
    path = tmp_path / "component.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert not azure_ml.load_component(source=path)._validate().passed
    with pytest.raises(PipelineSpecError, match=r"inputs\.targt.*Did you mean 'target'"):
        Component.from_spec(broken, path)


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda path: path.parent.name)
def test_every_component_input_and_output_maps_to_a_cli_option(path):
    spec = _component(path)
    (program, command), bindings, optional = _option_bindings(spec["command"])
    assert program == "explain-lib" and command in STEP_COMMANDS
    options = _subcommand_options(command)
    declared = {f"inputs.{name}": value for name, value in spec["inputs"].items()}
    declared |= {f"outputs.{name}": value for name, value in spec["outputs"].items()}
    assert set(bindings) == set(declared), "every input and output is passed to the CLI, and nothing else"
    for ref, option in bindings.items():
        assert option in options, f"{path.parent.name}: {ref} is passed as {option}, which `explain-lib {command}` " \
                                  f"does not have (it has {sorted(options)})"
        action, kind = options[option], declared[ref]
        is_optional = bool(kind.get("optional"))
        assert (ref in optional) == is_optional, f"{ref}: optional inputs, and only they, go inside $[[...]]"
        if getattr(action, "required", False):
            assert not is_optional, f"{ref}: {option} is required by the CLI"
        if "default" in kind:
            assert str(action.default) == str(kind["default"]), f"{ref}: default differs from {option}'s"
        if kind.get("type") in _PYTHON_TYPES:
            sample = str(kind.get("default", 1))
            assert action.type is not None, f"{ref}: {option} takes any string, the component a {kind['type']}"
            assert isinstance(action.type(sample), _PYTHON_TYPES[kind["type"]]), f"{ref}: type differs from {option}'s"
        if action.choices is not None or "enum" in kind:
            assert sorted(map(str, action.choices or [])) == sorted(map(str, kind.get("enum", []))), \
                f"{ref}: the component's enum differs from {option}'s choices"


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda path: path.parent.name)
def test_every_cli_option_of_a_step_appears_in_its_component(path):
    spec = _component(path)
    (_, command), bindings, _ = _option_bindings(spec["command"])
    passed = set(bindings.values())
    missing = sorted(set(_subcommand_options(command)) - passed - set(EXCLUDED_OPTIONS))
    assert not missing, f"`explain-lib {command}` options {missing} have no input in {path.relative_to(ROOT)}"


def test_pipeline_runs_train_explain_scorecard_and_wires_outputs_to_inputs():
    pipeline = load_pipeline(ROOT / "pipelines/adult_income.yaml")
    assert [job.name for job in pipeline.jobs] == ["train", "explain", "scorecard"]
    explain, scorecard = pipeline.jobs[1:]
    assert explain.depends_on == ("train",)
    assert (explain.inputs["model"].job, explain.inputs["model"].output) == ("train", "model")
    assert set(scorecard.depends_on) == {"train", "explain"}
    assert (scorecard.inputs["explanation"].job, scorecard.inputs["explanation"].output) == ("explain", "explanation")
    assert Path(pipeline.inputs["scorecard_config"]).is_file()
    assert Path(pipeline.inputs["adult_data"]) == ROOT / "explain_lib/datasets/adult.csv.gz"
    assert Path(pipeline.inputs["adult_data"]).is_file()


def test_render_command_drops_unset_optional_blocks_and_keeps_values_whole():
    command = "explain-lib train --data ${{inputs.data}} $[[--params '${{inputs.params}}']] $[[--top-k ${{inputs.k}}]]"
    argv = render_command(command, {"data": "/a b/c.csv", "params": '{"n_estimators": 5}', "k": None}, {})
    assert argv == ["explain-lib", "train", "--data", "/a b/c.csv", "--params", '{"n_estimators": 5}']
    with pytest.raises(PipelineSpecError, match="unset"):
        render_command("explain-lib train --data ${{inputs.data}}", {"data": None}, {})


def test_unknown_override_is_refused_with_a_suggestion():
    with pytest.raises(PipelineSpecError, match="Did you mean 'explain_sample'"):
        load_pipeline(ROOT / "pipelines/adult_income.yaml", overrides={"explain_sampel": 10})


def test_cyclic_jobs_are_refused(tmp_path):
    spec = yaml.safe_load((ROOT / "pipelines/adult_income.yaml").read_text(encoding="utf-8"))
    for job in spec["jobs"].values():
        job["component"] = str(ROOT / "pipelines" / job["component"])
    spec["jobs"]["train"]["inputs"]["data"] = "${{parent.jobs.explain.outputs.explanation}}"
    path = tmp_path / "cycle.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(PipelineSpecError, match="cycle"):
        load_pipeline(path)


def test_the_retrain_pipeline_compares_the_new_explanation_with_the_baseline_before_scoring():
    pipeline = load_pipeline(ROOT / "pipelines/adult_income_retrain.yaml", overrides={"baseline": "runs:/abc"})
    assert [job.name for job in pipeline.jobs] == ["train", "explain", "compare", "scorecard"]
    compare = pipeline.jobs[2]
    assert (compare.inputs["candidate"].job, compare.inputs["candidate"].output) == ("explain", "explanation")
    assert compare.inputs["baseline"] == "runs:/abc" and compare.inputs["gate"] == "top5_unchanged"
