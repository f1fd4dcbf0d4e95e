"""The system packages explain-lib's tests and docs need: find them, install them where we may, else say how.

Run before anything else by ``make test`` and ``make docs`` (and so by ``.ci/run``), with the Python
that will create ``.venv``::

    python3 scripts/prerequisites.py --install test     # venv support, a Chromium, Java 17+
    python3 scripts/prerequisites.py docs               # check only: venv support, a Chromium
    python3 scripts/prerequisites.py --install venv     # before .venv is created (every target)

What is needed, and why:

- Python >= 3.10 with its ``venv`` module (Debian and Ubuntu ship it apart, as ``python3.X-venv``).
- An OpenMP runtime, which LightGBM's and XGBoost's wheels load: on Linux GNU's ``libgomp.so.1``
  (Debian and Ubuntu package ``libgomp1``; a minimal install lacks it, and ``import lightgbm`` then
  fails), on macOS Homebrew's ``libomp``.
- For tests and docs, Chromium or Google Chrome: dashboards are tested, and the docs' screenshots
  taken, in a real headless browser driven by Playwright (never a downloaded one). It is looked for
  at ``$EXPLAIN_LIB_CHROMIUM`` if set, else at the usual install paths (Linux, macOS) and on PATH.
  On Linux, Playwright's driver (a Node.js binary inside the playwright package) also needs
  ``libatomic.so.1`` (Debian and Ubuntu package ``libatomic1``; a minimal install lacks it).
- For tests, Java 17 or newer (``$JAVA_HOME/bin/java``, else ``java`` on PATH): pyspark starts a
  local Spark session.

With ``--install`` on Debian or Ubuntu, as root or with passwordless sudo, missing packages are
installed with apt-get. Whatever is still missing is reported in one message naming each
prerequisite and the command that installs it, and the exit code is 2, before any test runs.
``tests/conftest.py`` imports this file to find the browser and to make the same check when pytest
is run directly.

This file runs on the system Python before anything is installed: standard library only, and no
syntax newer than Python 3.7, so that an older interpreter still gets the message about its version.
"""

import argparse
import ctypes.util
import os
import re
import shutil
import subprocess
import sys

MIN_PYTHON = (3, 10)
MIN_JAVA = 17
BROWSER_ENV = "EXPLAIN_LIB_CHROMIUM"

# How the tests and the screenshot script launch the browser: headless, no sandbox (root in CI
# containers), nothing that reaches the network on its own.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]

_BROWSER_PATHS = [
    "/usr/bin/chromium",                      # Debian
    "/usr/bin/google-chrome-stable",          # Google's .deb / .rpm
    "/usr/bin/google-chrome",
    "/usr/bin/chromium-browser",              # Fedora, Arch, Alpine (Ubuntu's is a snap wrapper)
    "/opt/google/chrome/chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "~/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "~/Applications/Chromium.app/Contents/MacOS/Chromium",
]
_BROWSER_COMMANDS = ["chromium", "google-chrome-stable", "google-chrome", "chromium-browser", "chrome"]

# What each purpose needs.
NEEDS = {"venv": ["venv", "openmp"], "test": ["venv", "openmp", "browser", "libatomic", "java"],
         "docs": ["venv", "openmp", "browser", "libatomic"], "browser": ["browser", "libatomic"], "java": ["java"],
         "make": ["make"]}

WHY = {
    "venv": "Python's venv module (creates .venv)",
    "openmp": "an OpenMP runtime (LightGBM and XGBoost load it)",
    "libatomic": "libatomic.so.1 (Playwright's Node.js driver, which starts the browser, loads it)",
    "browser": "Chromium or Google Chrome (dashboards are tested, and the docs' screenshots taken, in a real "
               "headless browser)",
    "java": f"Java {MIN_JAVA} or newer (pyspark's local Spark session in the tests)",
    "make": "GNU make (runs the set-up, tests and docs)",
}


def _run(command, timeout=60):
    """(exit code, stdout + stderr) of a command; (None, reason) when it cannot be started or hangs."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                              text=True)
    except (OSError, subprocess.SubprocessError) as error:
        return None, str(error)
    return done.returncode, done.stdout


def _os_release():
    """/etc/os-release as a dict (empty elsewhere)."""
    values = {}
    try:
        with open("/etc/os-release") as stream:
            for line in stream:
                key, _, value = line.strip().partition("=")
                values[key] = value.strip('"')
    except OSError:
        pass
    return values


def _system():
    """'debian', 'ubuntu', 'macos' or 'other'."""
    if sys.platform == "darwin":
        return "macos"
    release = _os_release()
    family = [release.get("ID", "")] + release.get("ID_LIKE", "").split()
    if "ubuntu" in family:
        return "ubuntu"
    if "debian" in family:
        return "debian"
    return "other"


# ---------------------------------------------------------------------------------------- checks
def _usable_browser(path):
    """The path when it is a browser that starts (``--version`` answers), else None.

    A snap (Ubuntu's only Chromium) is refused: its confinement gives it a private /tmp, where it
    cannot see the pages the tests write, nor the profile Playwright makes for it.
    """
    path = os.path.expanduser(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return None
    code, output = _run([path, "--version"], timeout=30)
    snap = os.path.realpath(path).startswith("/snap/") or "snap" in output.lower()
    return path if code == 0 and re.search(r"chrom", output, re.IGNORECASE) and not snap else None


def find_chromium():
    """(path, problem): the browser the tests launch, or None and why not.

    ``$EXPLAIN_LIB_CHROMIUM`` wins when set (and must work); else the first usable one of the usual
    install paths, then of the usual command names on PATH.
    """
    chosen = os.environ.get(BROWSER_ENV)
    if chosen:
        if _usable_browser(chosen):
            return os.path.expanduser(chosen), None
        return None, f"{BROWSER_ENV}={chosen} is not a Chromium or Chrome that starts (`{chosen} --version` failed)"
    candidates = _BROWSER_PATHS + [shutil.which(name) for name in _BROWSER_COMMANDS]
    for candidate in candidates:
        if candidate and _usable_browser(candidate):
            return os.path.expanduser(candidate), None
    looked = ", ".join(_BROWSER_PATHS[:3])
    return None, f"no Chromium or Google Chrome found (looked at ${BROWSER_ENV}, {looked}, ... and PATH)"


def java_version():
    """(major version, path) of the Java pyspark will start, or (None, path or None)."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.isfile(java):
        return None, java
    code, output = _run([java, "-version"], timeout=60)
    major = java_major(output or "") if code == 0 else None
    return major, java


def java_major(version_output):
    """The major version in ``java -version``'s output (``version "17.0.15"`` -> 17, ``"1.8.0"`` -> 8)."""
    found = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


_LIBOMP = ["/opt/homebrew/opt/libomp/lib/libomp.dylib", "/usr/local/opt/libomp/lib/libomp.dylib"]


def _openmp_problem():
    """Why the OpenMP runtime LightGBM loads is missing (Linux: libgomp.so.1, macOS: Homebrew's libomp), or None."""
    if sys.platform.startswith("linux") and not ctypes.util.find_library("gomp"):
        return "libgomp.so.1 is not installed"
    if sys.platform == "darwin" and not any(os.path.exists(path) for path in _LIBOMP):
        return f"no libomp.dylib (looked at {', '.join(_LIBOMP)})"
    return None


def _has_venv(python):
    code, _ = _run([python, "-c", "import venv, ensurepip"])
    return code == 0


def missing(needs, python=None):
    """{prerequisite: what is wrong} for the prerequisites in ``needs`` that are not there."""
    problems = {}
    if "venv" in needs and not _has_venv(python or sys.executable):
        problems["venv"] = f"{python or sys.executable} has no venv / ensurepip module"
    if "browser" in needs:
        path, problem = find_chromium()
        if path is None:
            problems["browser"] = problem
    if "openmp" in needs:
        openmp = _openmp_problem()
        if openmp:
            problems["openmp"] = openmp
    if "libatomic" in needs and sys.platform.startswith("linux") and not ctypes.util.find_library("atomic"):
        problems["libatomic"] = "libatomic.so.1 is not installed"
    if "make" in needs and not shutil.which("make"):
        problems["make"] = "no make on PATH"
    if "java" in needs:
        major, path = java_version()
        if major is None:
            where = "$JAVA_HOME/bin/java" if os.environ.get("JAVA_HOME") else "java on PATH"
            problems["java"] = f"no working Java (looked at {where})"
        elif major < MIN_JAVA:
            problems["java"] = f"found Java {major} at {path}"
    return problems


# ---------------------------------------------------------------------------------- installing
def _python_venv_package(python):
    code, output = _run([python, "-c", "import sys; print('python%d.%d-venv' % sys.version_info[:2])"])
    return output.strip() if code == 0 else "python3-venv"


def _apt_candidate(package):
    code, output = _run(["apt-cache", "policy", package])
    return code == 0 and re.search(r"Candidate: (?!\(none\))", output) is not None


def _java_package():
    """The headless JRE apt offers, newest-supported first (Debian 13 no longer has 17)."""
    for package in ("openjdk-17-jre-headless", "openjdk-21-jre-headless", "default-jre-headless"):
        if _apt_candidate(package):
            return package
    return "openjdk-17-jre-headless"


def _apt_packages(name, system, python):
    """The apt packages that provide a prerequisite here ([] when apt cannot: Ubuntu's browser)."""
    if name == "venv":
        return [_python_venv_package(python)]
    if name == "browser":
        return ["chromium", "chromium-driver"] if system == "debian" else []
    if name == "make":
        return ["make"]
    if name == "openmp":
        return ["libgomp1"]
    if name == "libatomic":
        return ["libatomic1"]
    return [_java_package()]


def _privilege():
    """The command prefix that makes apt-get run as root ([] or ['sudo', '-n']), or None when we may not."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and _run(["sudo", "-n", "true"], timeout=20)[0] == 0:
        return ["sudo", "-n"]
    return None


def install(problems, python):
    """Install what apt can provide for ``problems``; returns why nothing was installed, or None."""
    system = _system()
    if system not in ("debian", "ubuntu") or not shutil.which("apt-get"):
        return "this is not a Debian or Ubuntu system with apt-get"
    prefix = _privilege()
    if prefix is None:
        return "not root, and sudo is missing or needs a password"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    update = subprocess.run(prefix + ["apt-get", "update", "-qq"], env=env)
    if update.returncode != 0:
        return f"`apt-get update` failed (exit code {update.returncode})"
    packages = []
    for name in sorted(problems):
        packages += _apt_packages(name, system, python)
    if not packages:
        return "apt has no package for it here"
    reasons = "; ".join(WHY[name] for name in sorted(problems))
    print(f"explain-lib set-up: installing {', '.join(packages)} with apt-get ({reasons}) ...", flush=True)
    done = subprocess.run(prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + packages,
                          env=env, stdout=subprocess.DEVNULL)
    if done.returncode != 0:
        return f"`apt-get install {' '.join(packages)}` failed (exit code {done.returncode})"
    return None


# ------------------------------------------------------------------------------------ reporting
def _how_to_install(name, system, python):
    """Lines saying how to get one prerequisite on this system."""
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    point = f"or point the tests at a Chrome / Chromium binary: export {BROWSER_ENV}=/path/to/chrome"
    if name == "venv":
        if system in ("debian", "ubuntu"):
            return [f"{sudo}apt-get install -y {_python_venv_package(python)}"]
        return ["install Python >= 3.10 with its venv module (python.org, Homebrew, your package manager)"]
    if name == "browser":
        if system == "debian":
            return [f"{sudo}apt-get install -y chromium chromium-driver", point]
        if system == "ubuntu":
            return ["Ubuntu ships Chromium only as a snap, which cannot open the test pages under /tmp: install "
                    "Google Chrome's .deb (https://www.google.com/chrome/), found at /usr/bin/google-chrome", point]
        if system == "macos":
            return ["brew install --cask google-chrome   (or chromium); found in /Applications", point]
        return ["install Chromium or Google Chrome with your package manager (e.g. dnf install chromium)", point]
    if name == "openmp":
        return [f"{sudo}apt-get install -y libgomp1" if system in ("debian", "ubuntu") else
                "brew install libomp" if system == "macos" else
                "install your distribution's GNU OpenMP runtime (libgomp; e.g. dnf install libgomp)"]
    if name == "libatomic":
        return [f"{sudo}apt-get install -y libatomic1" if system in ("debian", "ubuntu") else
                "install your distribution's libatomic (e.g. dnf install libatomic)"]
    if name == "make":
        return [f"{sudo}apt-get install -y make" if system in ("debian", "ubuntu") else
                "xcode-select --install" if system == "macos" else "install GNU make with your package manager"]
    if system in ("debian", "ubuntu"):
        return [f"{sudo}apt-get install -y openjdk-17-jre-headless   (Debian 13: openjdk-21-jre-headless)"]
    if system == "macos":
        return ["brew install openjdk@17 && export JAVA_HOME=\"$(brew --prefix openjdk@17)\"",
                "or any JDK 17+; set JAVA_HOME to it"]
    return ["install a Java 17+ runtime (e.g. dnf install java-17-openjdk-headless), or set JAVA_HOME to one"]


def report(problems, python=None, why_not_installed=None, command="this command"):
    """The one message naming each missing prerequisite, what was found, and how to install it."""
    system = _system()
    python = python or sys.executable
    lines = [f"explain-lib: {command} stopped before running anything: missing system prerequisites"]
    for name in sorted(problems):
        lines.append(f"  - {WHY[name]}: {problems[name]}")
        lines += ["      " + how for how in _how_to_install(name, system, python)]
    if why_not_installed:
        lines.append(f"Not installed automatically: {why_not_installed}.")
    lines.append(f"Then run {command} again.")
    return "\n".join(lines)


def _python_problem(python):
    code, output = _run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    if code != 0:
        return f"{python} does not run ({output.strip()[:200]})"
    version = tuple(int(part) for part in output.strip().split("."))
    if version < MIN_PYTHON:
        return (f"explain-lib needs Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]}; {python} is {output.strip()}. "
                "Set PYTHON, e.g. `make test PYTHON=python3.11`.")
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("purposes", nargs="+", choices=sorted(NEEDS), help="what the prerequisites are for")
    parser.add_argument("--install", action="store_true",
                        help="install what is missing with apt-get (Debian / Ubuntu, root or passwordless sudo)")
    parser.add_argument("--python", default=sys.executable, help="the Python that will create .venv")
    parser.add_argument("--command", default="this command", help="what the message says was stopped")
    args = parser.parse_args(argv)
    python_problem = _python_problem(args.python)
    if python_problem:
        print("explain-lib: " + python_problem, file=sys.stderr)
        return 2
    needs = sorted({need for purpose in args.purposes for need in NEEDS[purpose]})
    problems = missing(needs, args.python)
    why_not = None
    if problems and args.install:
        why_not = install(problems, args.python)
        problems = missing(needs, args.python)
    if problems:
        print(report(problems, args.python, why_not, args.command), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
