"""The import graph of explain_lib, read from the source: no cycles, and imports only point down the layers.

Every import statement counts, also the ones inside functions (a lazy import hides a cycle, it does
not remove it); only imports under ``if TYPE_CHECKING:`` (type hints, never run) are left out. An
import of ``a.b.c`` from outside package ``a.b`` also runs ``a/b/__init__.py``, so it counts as an
import of that package too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import explain_lib

PACKAGE = Path(explain_lib.__file__).parent
ROOT = "explain_lib"

# The layers of the design, top first. A module may import its own unit and the units of lower layers;
# units on one layer (siblings) do not import each other. The package root only re-exports public names.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("explain_lib",),                # the package root: re-exports the public names of the layers below
    ("cli",),                        # argparse front door
    ("pipelines",),                  # the local pipeline runner
    ("steps",),                      # train / explain / scorecard / compare as plain functions
    ("report", "mlflow", "compat"),  # plots, dashboard, scorecard, comparison | MLflow models | interpret-community
    ("scoring", "engine"),           # inference-time explainers | chunked, parallel, Spark execution
    ("tracking",),                   # MLflow run history
    ("explainers",),                 # one module per method
    ("core",),                       # explanation.py, data.py, models.py, features.py, _format.py, ...
)
_LAYER_OF = {unit: depth for depth, units in enumerate(LAYERS) for unit in units}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements anywhere in the module, except inside ``if TYPE_CHECKING:`` blocks."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _known(name: str) -> str:
    """The longest prefix of ``name`` that is one of our modules."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in MODULES else prefix for alias in node.names]
    targets = set()
    for name in names:
        if name != ROOT and not name.startswith(ROOT + "."):
            continue
        target = _known(name)
        targets.add(target)
        # the packages on the way down run too, unless the importer is inside them already
        parts = target.split(".")
        for depth in range(2, len(parts)):
            package = ".".join(parts[:depth])
            if not module.startswith(package + ".") and module != package:
                targets.add(package)
    targets.discard(module)
    return targets


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, (path, is_package) in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = set().union(*(_targets(module, is_package, node) for node in _runtime_imports(tree)))
    return graph


GRAPH = _graph()


def unit(module: str) -> str:
    """The unit of the layer table a module belongs to: its first-level package, else core."""
    parts = module.split(".")
    if len(parts) == 1:
        return ROOT
    return parts[1] if parts[1] in _LAYER_OF else "core"


def _cycle() -> list[str] | None:
    """One import cycle among our modules, or None (depth-first search with colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(GRAPH):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_every_first_level_package_has_a_layer():
    packages = {module.split(".")[1] for module, (_, is_package) in MODULES.items()
                if is_package and module.count(".") == 1}
    assert packages - set(_LAYER_OF) <= {"datasets"}  # bundled data: part of the core


def test_the_graph_sees_lazy_imports_and_skips_type_checking_blocks():
    # known edges of the real source, one of each kind, so the reader itself is checked
    assert "explain_lib.explanation" in GRAPH["explain_lib.explainers._base"]  # top-level import
    assert "explain_lib.scoring" in GRAPH["explain_lib.mlflow"]  # inside a function
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .x import y\nimport os\n")
    assert [type(node).__name__ for node in _runtime_imports(tree)] == ["ImportFrom", "Import"]


def test_no_import_cycles():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_layers(module):
    mine = unit(module)
    upward = sorted(target for target in GRAPH[module]
                    if unit(target) != mine and _LAYER_OF[unit(target)] <= _LAYER_OF[mine])
    assert not upward, (
        f"{module} ({mine}, layer {_LAYER_OF[mine]}) imports {upward}: a unit imports only from lower layers "
        f"(tests/test_layers.py LAYERS)."
    )
