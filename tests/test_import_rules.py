"""Import rules of the package (issue 24): no import circle, and no room reaches into another
room's private module.

Read from the source with :mod:`ast`, so that function-level imports count as much as
module-level ones. Imports under ``if TYPE_CHECKING:`` never run and are left out of the
circle rule (they still count for the private-module rule).

Rooms are the subpackages (``io``, ``graph``, ``store``, ``risk``, ``marketing``, ``caps``,
``viz``, ``report``, …) and the top-level modules. A private module (its name starts with
``_``) belongs to its package: ``channelgraph.risk._numbers`` may be imported only from inside
``channelgraph.risk``; ``channelgraph._runtime`` from anywhere in ``channelgraph``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import channelgraph

PACKAGE = Path(channelgraph.__file__).resolve().parent


def _modules() -> dict[str, tuple[Path, str]]:
    """Every module of the package: dotted name -> (file, package it lives in)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["channelgraph", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
            package = ".".join(parts)
        else:
            package = ".".join(parts[:-1])
        found[".".join(parts)] = (path, package)
    return found


MODULES = _modules()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:``."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            hidden.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return hidden


def _source(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from … import`` reads from, as an absolute dotted name."""
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str) -> list[tuple[str, bool]]:
    """The package's modules *name* imports (anywhere in it), each with whether the import runs
    (False: only under ``if TYPE_CHECKING:``). ``from P import x`` imports ``P.x`` when that is a
    module, else ``P``."""
    path, package = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    hidden = _type_checking_only(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _source(node, package)
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source for alias in node.names
            ]
        else:
            continue
        out += [(t, id(node) not in hidden) for t in targets if t in MODULES and t != name]
    return out


def _is_private(module: str) -> bool:
    return module.rpartition(".")[2].startswith("_")


def _room(module: str) -> str:
    """``channelgraph.risk`` for every module of the risk package; a top-level module is its own room."""
    return ".".join(module.split(".")[:2])


def test_the_rules_see_the_whole_package():
    assert {"channelgraph.cli", "channelgraph.risk._numbers", "channelgraph.viz.model"} <= set(MODULES)
    assert ("channelgraph.risk.sources", True) in _imports("channelgraph.caps.draft")


def test_no_import_circle():
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    graph.add_edges_from((name, target) for name in MODULES for target, runs in _imports(name) if runs)
    circles = sorted(" -> ".join([*c, c[0]]) for c in nx.simple_cycles(graph))
    assert circles == []


def test_no_room_imports_another_rooms_private_module():
    private = {
        (name, target)
        for name in MODULES
        for target, _ in _imports(name)
        if _is_private(target) and not name.startswith(MODULES[target][1] + ".") and name != MODULES[target][1]
    }
    assert sorted(private) == [], "imports of another room's private module"


def test_no_room_imports_another_rooms_private_names():
    private = set()
    for name, (path, package) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom):
                source = _source(node, package)
                private |= {
                    (name, f"{source}.{alias.name}")
                    for alias in node.names
                    if source in MODULES
                    and _room(source) != _room(name)
                    and _is_private(alias.name)
                    and not alias.name.startswith("__")
                    and f"{source}.{alias.name}" not in MODULES
                }
    assert sorted(private) == [], "imports of another room's private names"
