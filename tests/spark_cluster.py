"""Real Spark on 127.0.0.1 from pyspark's own distribution: a standalone cluster, a Spark Connect server, drivers.

* :class:`StandaloneCluster` - a master and N workers, each a JVM started by pyspark's ``spark-class``.
* :class:`ConnectServer` - ``SparkConnectServer`` (its jar ships in ``pyspark/jars``) started by
  ``spark-submit`` against a ``local[N]`` master or a cluster.
* :class:`Driver` - a fresh Python process that opens a session (``master`` or Connect ``remote``),
  runs one function in it and hands back what it returned. A driver is a process of its own because one
  Python process cannot hold sessions on two masters, nor a classic session beside a Connect one (pyspark
  switches ``pyspark.sql.functions`` to Connect for the whole process once a Connect session exists).

Every JVM and driver starts in a process group of its own; ``stop()`` ends the group (SIGTERM, then
SIGKILL), so executors and Python workers go with it. Executors run this interpreter
(``PYSPARK_PYTHON``) with this checkout first on ``PYTHONPATH``, so they import the explain-lib under test.
Used by the fixtures in conftest.py and by ``benchmarks/scale.py --spark``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
START_TIMEOUT = 240.0  # three JVMs starting at once on a busy 2-core machine take up to ~1 min each
# for short-lived JVMs: C1 only and the serial collector start a JVM in about half the CPU time (measured here:
# a Connect server up in 11 s instead of 20 s at load 6); the benchmark leaves the JVMs' defaults alone
QUICK_START = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
JAVA_HELP = ("Install Java 17 (Debian: apt-get install openjdk-17-jre-headless, as .ci/run does) or point "
             "JAVA_HOME at one.")


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java, or one older than 17), or None."""
    java = str(Path(os.environ["JAVA_HOME"], "bin", "java")) if os.environ.get("JAVA_HOME") else shutil.which("java")
    if java is None or not Path(java).exists():
        return f"Spark needs Java 17, and none was found (JAVA_HOME is unset and no java is on PATH). {JAVA_HELP}"
    try:
        answer = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"Spark needs Java 17; running {java} -version failed ({error}). {JAVA_HELP}"
    found = re.search(r'version "(\d+)(?:\.(\d+))?', answer.stderr + answer.stdout)
    if found is None:
        return f"Spark needs Java 17; {java} -version said {answer.stderr.strip()[:200]!r}. {JAVA_HELP}"
    major = int(found.group(1)) if found.group(1) != "1" else int(found.group(2) or 0)
    if major < 17:
        return f"Spark needs Java 17 or newer; {java} is Java {major}. {JAVA_HELP}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def python_path(*first: Path) -> str:
    """``PYTHONPATH`` with ``first`` and this checkout ahead of the caller's own."""
    entries = [str(path) for path in (*first, CHECKOUT)]
    return os.pathsep.join(entries + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])


def spark_environment() -> dict[str, str]:
    """The environment of every JVM and driver: this Python for the executors, this checkout importable."""
    return {**os.environ, "SPARK_HOME": str(spark_home()), "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable, "PYTHONPATH": python_path(), "SPARK_LOCAL_IP": "127.0.0.1",
            "MLFLOW_DISABLE_TELEMETRY": "true"}


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the process that started it dies (Linux), so a killed test run
    leaves no JVM behind; its executors and Python workers follow their JVM."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stop() still ends the group
        pass


class _Process:
    """A child in a process group of its own, its output in ``log``."""

    def __init__(self, command: list[str], log: Path, env: dict[str, str], cwd: Path):
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                            start_new_session=True, preexec_fn=_die_with_parent)
        self.pid = self.process.pid

    def tail(self, characters: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""

    def wait_for(self, ready: Any, what: str, timeout: float = START_TIMEOUT) -> None:
        """Poll ``ready()`` until true; a dead process or the timeout raises with the log's tail."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                state = "exited" if self.process.poll() is not None else f"not ready after {timeout:.0f} s"
                raise RuntimeError(f"{what} {state}; its log ({self.log}):\n{self.tail()}")
            time.sleep(0.25)

    def signal_group(self, number: int) -> None:
        try:
            os.killpg(self.pid, number)
        except ProcessLookupError:  # the whole group is gone already
            pass

    def kill(self) -> None:
        """SIGKILL to the group at once (a lost machine: the JVM, its executors and their Python workers)."""
        self.signal_group(signal.SIGKILL)
        self.process.wait()

    def stop(self, grace: float = 20.0) -> None:
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        self.signal_group(signal.SIGKILL)  # also children that outlive their leader
        self.process.wait()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _jvm(root: Path, name: str, main_class: str, arguments: list[str], java_options: str) -> _Process:
    command = [str(spark_home() / "bin" / "spark-class"), main_class, *arguments]
    return _Process(command, root / f"{name}.log", {**spark_environment(), "SPARK_DAEMON_JAVA_OPTS": java_options},
                    root)


class StandaloneCluster:
    """A standalone master and ``workers`` workers of ``cores`` cores each, every one a JVM on 127.0.0.1.

    ``java_options`` go to every JVM: the master, the workers, their executors and (through
    :meth:`session_config`) the driver.
    """

    def __init__(self, root: Path, *, workers: int = 2, cores: int = 1, memory: str = "1g", java_options: str = ""):
        root.mkdir(parents=True, exist_ok=True)
        self.root, self.cores, self.java_options = root, cores, java_options
        port, self.ui_port = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{port}"
        self.master = _jvm(root, "master", "org.apache.spark.deploy.master.Master",
                           ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(self.ui_port)],
                           java_options)
        self.workers: list[_Process] = []
        try:
            self.master.wait_for(lambda: _port_open(port), "The standalone master")
            for index in range(workers):
                work = root / f"worker-{index}"
                work.mkdir(exist_ok=True)
                self.workers.append(_jvm(root, f"worker-{index}", "org.apache.spark.deploy.worker.Worker", [
                    "--host", "127.0.0.1", "--webui-port", str(free_port()), "--cores", str(cores),
                    "--memory", memory, "--work-dir", str(work), self.url], java_options))
            self.master.wait_for(lambda: self.alive_workers() == workers, f"The master with {workers} workers")
        except BaseException:
            self.stop()
            raise

    def alive_workers(self) -> int:
        """Workers the master counts as alive (its JSON status page)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=2) as response:
                return int(json.loads(response.read())["aliveworkers"])
        except (OSError, ValueError, KeyError):
            return -1

    def running_tasks(self, index: int) -> dict[int, tuple[int, int]]:
        """Tasks worker ``index``'s executors have begun and not finished, from their logs: task id -> (stage,
        partition)."""
        running: dict[int, tuple[int, int]] = {}
        for log in self.root.glob(f"worker-{index}/app-*/*/stderr"):
            for line in log.read_text(errors="replace").splitlines():
                found = re.search(r"(Running|Finished) task (\d+)\.\d+ in stage (\d+)\.\d+ \(TID (\d+)\)", line)
                if found and found.group(1) == "Running":
                    running[int(found.group(4))] = (int(found.group(3)), int(found.group(2)))
                elif found:
                    running.pop(int(found.group(4)), None)
        return running

    def session_config(self) -> dict[str, str]:
        """A driver's settings for this cluster: executors of one worker's cores, this Python and checkout."""
        return {"spark.master": self.url, "spark.executor.cores": str(self.cores), "spark.executor.memory": "900m",
                "spark.pyspark.python": sys.executable, "spark.executorEnv.PYTHONPATH": python_path(),
                "spark.driver.extraJavaOptions": self.java_options,
                "spark.executor.extraJavaOptions": self.java_options, **_COMMON_CONFIG}

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.master.stop()


_COMMON_CONFIG = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                  "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                  "spark.sql.shuffle.partitions": "4"}


class ConnectServer:
    """A Spark Connect server (pyspark's ``SparkConnectServer``) on 127.0.0.1, running jobs on ``master``."""

    def __init__(self, root: Path, *, master: str = "local[2]", config: dict[str, str] | None = None,
                 java_options: str = ""):
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.url = f"sc://127.0.0.1:{port}"
        settings = {**_COMMON_CONFIG, "spark.connect.grpc.binding.address": "127.0.0.1",
                    "spark.connect.grpc.binding.port": str(port), "spark.pyspark.python": sys.executable,
                    "spark.executorEnv.PYTHONPATH": python_path(), "spark.driver.extraJavaOptions": java_options,
                    "spark.executor.extraJavaOptions": java_options, **(config or {})}
        arguments = ["--class", "org.apache.spark.sql.connect.service.SparkConnectServer", "--name",
                     "explain-lib Spark Connect server", "--master", master]
        for key, value in settings.items():
            arguments += ["--conf", f"{key}={value}"]
        self.server = _Process([str(spark_home() / "bin" / "spark-submit"), *arguments], root / "connect-server.log",
                               spark_environment(), root)
        try:
            self.server.wait_for(lambda: _port_open(port), "The Spark Connect server")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.server.stop()


class Driver:
    """``function(session, *args)`` run in a new Python process holding a Spark session; see :meth:`result`.

    ``session`` is ``{"remote": "sc://..."}`` (Spark Connect) or Spark settings with ``spark.master``. The
    function and its arguments travel by cloudpickle; a test module's functions are imported by name (the
    tests folder is on the driver's path). :meth:`result` waits for what it returned (or raises with the
    driver's log).
    """

    def __init__(self, root: Path, session: dict[str, str], function: Any, *args: Any,
                 env: dict[str, str] | None = None):
        import cloudpickle

        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        name = f"driver-{time.monotonic_ns()}"
        self.request, self.answer = root / f"{name}.in", root / f"{name}.out"
        self.request.write_bytes(cloudpickle.dumps((session, function, args)))
        environment = {**spark_environment(), "PYTHONPATH": python_path(TESTS), **(env or {})}
        self.process = _Process([sys.executable, str(Path(__file__).resolve()), str(self.request), str(self.answer)],
                                root / f"{name}.log", environment, root)

    def result(self, timeout: float = 600.0) -> Any:
        import pickle

        try:
            self.process.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"The Spark driver did not finish in {timeout:.0f} s; its log:\n{self.log()}") from None
        self.stop()  # its JVM and Python workers too
        if self.process.process.returncode != 0 or not self.answer.exists():
            raise RuntimeError(f"The Spark driver failed (exit {self.process.process.returncode}); its log:\n"
                               f"{self.log()}")
        return pickle.loads(self.answer.read_bytes())

    def running(self) -> bool:
        return self.process.process.poll() is None

    def log(self, characters: int = 6000) -> str:
        return self.process.tail(characters)

    def stop(self) -> None:
        self.process.stop(grace=10.0)


def _session(settings: dict[str, str]) -> Any:
    from pyspark.sql import SparkSession

    if "remote" in settings:
        return SparkSession.builder.remote(settings["remote"]).getOrCreate()
    builder = SparkSession.builder.appName("explain-lib driver")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _run_driver(request: str, answer: str) -> None:
    import pickle

    import cloudpickle

    started = time.perf_counter()
    with open(request, "rb") as handle:
        settings, function, args = pickle.load(handle)
    session = _session(settings)
    print(f"driver: inputs and session ready in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    try:
        result = function(session, *args)
    finally:
        print(f"driver: {function.__name__} done at {time.perf_counter() - started:.1f} s", file=sys.stderr,
              flush=True)
        session.stop()
    temporary = answer + ".tmp"
    with open(temporary, "wb") as handle:
        cloudpickle.dump(result, handle)
    os.replace(temporary, answer)


if __name__ == "__main__":
    _run_driver(sys.argv[1], sys.argv[2])
