"""The code's shape, as the README describes it: one-way imports, the engine free of Gradio, small pieces."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import REPO

STUDIO = sorted((REPO / "deepdream_studio").rglob("*.py"))
CORE = sorted((REPO / "deepdream_core").rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
LONGER_ALLOWED: set[str] = set()  # every function reads in one screen; none is let off


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", STUDIO, ids=lambda p: str(p.relative_to(REPO)))
def test_the_studio_has_no_torch_code(path: Path) -> None:
    assert not imported_modules(path) & {"torch", "torchvision", "timm"}, "the studio calls the engine for that"


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(REPO)))
def test_the_engine_knows_nothing_of_the_studio(path: Path) -> None:
    assert not imported_modules(path) & {"gradio", "spaces", "deepdream_studio"}


def functions(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}{node.name}", node
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")


def code_lines(tree: ast.Module, source: str) -> set[int]:
    """Line numbers holding code: not blank, not a comment, not a docstring.

    The formatter puts each argument of a long call on a line of its own; counting code, not layout,
    keeps the limit about how much there is to read.
    """
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    return {
        number
        for number, line in enumerate(source.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#") and number not in docstrings
    }


@pytest.mark.parametrize("path", STUDIO + CORE, ids=lambda p: str(p.relative_to(REPO)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    source = path.read_text()
    tree = ast.parse(source)
    code = code_lines(tree, source)
    assert len(code) <= MAX_MODULE_LINES
    sizes = {name: len(code & set(range(node.lineno, node.end_lineno + 1))) for name, node in functions(tree)}
    long = [
        f"{name} ({size} lines of code)"
        for name, size in sizes.items()
        if size > MAX_FUNCTION_LINES and name not in LONGER_ALLOWED
    ]
    assert not long
