"""The system prerequisites (scripts/prerequisites.py): found on this machine, missing ones named with the
command that installs them, and a test run that needs a missing one stopped before its first test.

The "missing" cases point the lookups at real things that are not a browser or not a Java
(``EXPLAIN_LIB_CHROMIUM=/bin/true``, ``JAVA_HOME`` at an empty folder); nothing is faked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import prerequisites  # scripts/, put on the path by conftest
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "prerequisites.py"


def test_this_machine_has_what_the_tests_need():
    path, problem = prerequisites.find_chromium()
    assert path is not None and Path(path).is_file(), problem
    major, java = prerequisites.java_version()
    assert major is not None and major >= prerequisites.MIN_JAVA, java
    assert prerequisites.missing({"venv", "browser", "java"}) == {}


@pytest.mark.parametrize(("output", "major"), [
    ('openjdk version "17.0.15" 2025-04-15', 17),
    ('java version "1.8.0_292"', 8),
    ('openjdk version "21" 2023-09-19', 21),
    ("Unable to locate a Java Runtime.", None),
])
def test_the_java_major_version_is_read_from_java_version(output, major):
    assert prerequisites.java_major(output) == major


def test_each_missing_prerequisite_is_named_with_its_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv(prerequisites.BROWSER_ENV, "/bin/true")  # starts, but is no browser
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # no bin/java in it
    problems = prerequisites.missing({"browser", "java"})
    assert set(problems) == {"browser", "java"}
    message = prerequisites.report(problems, command="`make test`")
    assert message.startswith("explain-lib: `make test` stopped before running anything")
    assert "EXPLAIN_LIB_CHROMIUM=/bin/true is not a Chromium or Chrome that starts" in message
    assert "no working Java (looked at $JAVA_HOME/bin/java)" in message
    assert "apt-get install -y chromium chromium-driver" in message  # this machine is Debian
    assert "openjdk-17-jre-headless" in message
    assert "export EXPLAIN_LIB_CHROMIUM=/path/to/chrome" in message


def test_the_script_exits_2_with_the_message_and_0_when_all_is_there(tmp_path):
    env = {**os.environ, "JAVA_HOME": str(tmp_path)}
    missing = subprocess.run([sys.executable, str(SCRIPT), "java", "--command", "`make test`"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "Java 17 or newer" in missing.stderr
    present = subprocess.run([sys.executable, str(SCRIPT), "test"], capture_output=True, text=True, timeout=120)
    assert present.returncode == 0 and present.stderr == ""


def test_a_run_needing_a_missing_browser_stops_before_its_first_test():
    env = {**os.environ, prerequisites.BROWSER_ENV: "/bin/true"}
    selected = ["tests/test_page.py::test_payload_text_has_no_markup_characters",  # needs no browser
                "tests/test_page.py::test_page_round_trips_strings_and_arrays_in_chromium"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selected], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert "stopped before running anything: missing system prerequisites" in run.stdout + run.stderr
    assert "passed" not in run.stdout and "error" not in run.stdout.lower().replace("usage_error", "")

    without_browser = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", selected[0]],
                                     cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert without_browser.returncode == 0 and "1 passed" in without_browser.stdout


@pytest.mark.parametrize(("goal", "extras"), [("demo", "."), ("test", ".[test]"), ("docs", ".[test,docs]")])
def test_each_make_goal_installs_its_extras_into_the_venv(goal, extras):
    """What `make <goal>` would run on a machine without the venv (-B: as if nothing were built yet)."""
    planned = subprocess.run(["make", "-n", "-B", goal], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    installs = [line for line in planned.splitlines() if "pip install --quiet -e" in line]
    assert installs == [f".venv/bin/python -m pip install --quiet -e '{extras}'"], planned
