"""What the benchmarks against peers share: a peer's own virtual environment (created on first use, for peers
that pin an older numpy), one fresh worker process per timed run, and the load line.

Only the standard library at module level: a benchmark's worker runs in the peer's environment too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ENVS = Path.home() / ".cache" / "explain-lib-bench"


def peer_python(name: str, requirements: list[str], given: str | None = None) -> str:
    """The python of the virtual environment ``~/.cache/explain-lib-bench/<name>``, created (once) with
    ``pip install <requirements>``; ``given`` (a python the caller names) wins."""
    if given:
        return given
    env = ENVS / name
    python = env / "bin" / "python"
    if not python.exists():
        base = shutil.which("python3.11") or sys.executable
        print(f"creating the environment {env} (once): pip install {' '.join(requirements)}", flush=True)
        subprocess.run([base, "-m", "venv", str(env)], check=True)
        subprocess.run([str(env / "bin" / "pip"), "install", "-q", *requirements], check=True)
    return str(python)


def run_worker(python: str, script: str, arguments: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``python script --worker ...`` in a fresh process; the JSON object its last stdout line prints."""
    environment = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **(env or {})}
    done = subprocess.run([python, script, *arguments], check=False, env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"worker {arguments} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_seconds() -> float:
    """CPU time of this process so far, all threads (user + system)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_line(before: tuple[float, float, float], after: tuple[float, float, float]) -> str:
    return (f"load average (1, 5, 15 min) before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, after "
            f"{after[0]:.2f} {after[1]:.2f} {after[2]:.2f} on {os.cpu_count()} cores")
