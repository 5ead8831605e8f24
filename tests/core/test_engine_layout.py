"""The engine's layout keeps its rule: subpackages in layers, each importing only those below, and no cycle.

The rule, not today's file list: every module of ``deepdream_core`` is read, every import in it counts
(also the ones inside functions, which only hide a cycle from the interpreter), and a subpackage that
is not placed in :data:`LAYERS` fails until it is. The checks are run on a small made-up package too,
so they are known to catch what they look for.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.support import REPO

ENGINE = REPO / "deepdream_core"
# Bottom first: each may import itself and the ones before it, never one after it.
LAYERS = ("models", "dreaming", "files", "motion", "jobs", "cli")
# deepdream_core/ holds its subpackages plus __init__ and __main__, and no more than this.
MAX_TOP_ENTRIES = 8
MAX_PRODUCT_MODULE_LINES = 450
# A class longer than this does more than one job (the Dreamer was 276 lines: network, objectives, loop).
MAX_ENGINE_CLASS_LINES = 150


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package at ``root`` -> the modules of the same package it imports, anywhere in it."""
    modules = {module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod.
                submodules = {f"{source}.{alias.name}" for alias in node.names} & modules.keys()
                targets |= submodules
                if len(submodules) < len(node.names):
                    targets.add(source)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def layer_of(module: str) -> str | None:
    """The subpackage a module belongs to (``None`` for the package's own ``__init__`` and ``__main__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("__main__",)) else None


def upward_imports(graph: Mapping[str, Iterable[str]], layers: tuple[str, ...]) -> list[str]:
    """Every import that goes from a layer to a higher one, or to the package's top (the public API)."""
    rank = {layer: index for index, layer in enumerate(layers)}
    found = []
    for module, targets in graph.items():
        source = layer_of(module)
        if source is None:
            continue  # the top may import every layer
        for target in targets:
            layer = layer_of(target)
            if layer is None or rank.get(layer, len(layers)) > rank.get(source, -1):
                found.append(f"{module} -> {target}")
    return sorted(found)


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The import cycles: each strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_subpackage_has_a_place_in_the_layers() -> None:
    subpackages = {path.parent.name for path in ENGINE.glob("*/__init__.py")}
    assert subpackages == set(LAYERS), "place a new subpackage in LAYERS (and in the README's Code layout)"


def test_no_layer_imports_a_higher_one() -> None:
    assert upward_imports(import_graph(ENGINE), LAYERS) == []


def test_the_engine_has_no_import_cycle() -> None:
    assert cycles(import_graph(ENGINE)) == []


def test_each_subpackage_says_what_it_holds_and_may_import() -> None:
    for index, layer in enumerate(LAYERS):
        docstring = ast.get_docstring(ast.parse((ENGINE / layer / "__init__.py").read_text())) or ""
        lower = LAYERS[:index]
        said = "imports nothing else of the engine" if not lower else "May import"
        if layer != "cli":
            assert said in docstring, layer
            assert all(f"``{name}``" in docstring for name in lower), layer


def test_the_top_of_the_engine_stays_short() -> None:
    entries = [path.name for path in ENGINE.iterdir() if path.name != "__pycache__"]
    assert len(entries) <= MAX_TOP_ENTRIES, sorted(entries)


def test_no_module_of_the_product_is_too_long_to_read() -> None:
    product = [*ENGINE.rglob("*.py"), *(REPO / "deepdream_studio").rglob("*.py"), *(REPO / "bench").glob("*.py")]
    long = {
        str(path.relative_to(REPO)): n
        for path in product
        if (n := len(path.read_text().splitlines())) > MAX_PRODUCT_MODULE_LINES
    }
    assert not long


def test_the_bench_imports_no_test_module() -> None:
    """The bench is a tool of the repository, run without the suite: what it shares with the tests lives in
    ``bench/`` (the live scenes) and the tests import it from there, never the other way round."""
    found = sorted(
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / "bench").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        if name == "tests" or name.startswith("tests.")
    )
    assert not found


def test_no_class_of_the_engine_is_too_long_to_read() -> None:
    long = {
        f"{path.relative_to(REPO)}: {node.name}": node.end_lineno - node.lineno + 1
        for path in ENGINE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and (node.end_lineno or 0) - node.lineno + 1 > MAX_ENGINE_CLASS_LINES
    }
    assert not long


def test_the_engine_below_its_edges_reads_no_environment_variable() -> None:
    """Options come as arguments from the edges (the studio's config, the CLI's flags, the Python API's arguments):
    a variable read deep inside changes a dream behind its caller's back (DEEPDREAM_CUDA_GRAPHS did)."""
    readers = sorted(
        str(path.relative_to(REPO))
        for layer in ("models", "dreaming")
        for path in (ENGINE / layer).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"))
        or (isinstance(node, ast.Name) and node.id in ("environ", "getenv"))
    )
    assert not readers


def make_package(root: Path, modules: Mapping[str, str]) -> Path:
    """A made-up package ``pkg`` under ``root``: module path (``a/b``) -> source."""
    package = root / "pkg"
    for name, source in {"__init__": "", **modules}.items():
        path = package / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return package


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    package = make_package(
        tmp_path,
        {
            "low/__init__": "",
            "low/a": "def f():\n    from ..high.b import g  # hidden in a function, still counted\n",
            "high/__init__": "",
            "high/b": "from ..low import a\n",
            "high/c": "from . import b\nfrom .b import g\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.high.c"] == {"pkg.high.b"}
    assert cycles(graph) == [["pkg.high.b", "pkg.low.a"]]
    assert upward_imports(graph, ("low", "high")) == ["pkg.low.a -> pkg.high.b"]
    assert upward_imports(graph, ("high", "low")) == ["pkg.high.b -> pkg.low.a"]
    # A subpackage importing the package's top (its public API) imports the highest layer.
    graph["pkg.low.a"] = {"pkg"}
    assert upward_imports(graph, ("low", "high")) == ["pkg.low.a -> pkg"]
