"""graph/ stays a pure library: no portal, web or database imports; documented public API."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import graph

GRAPH_DIR = Path(graph.__file__).parent
FORBIDDEN = ("flask", "sqlalchemy", "portal", "crypto", "werkzeug", "jinja2", "alembic")
MODULES = sorted(name for _, name, _ in pkgutil.walk_packages([str(GRAPH_DIR)], prefix="graph."))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_walk_sees_every_module() -> None:
    files = sorted(GRAPH_DIR.rglob("*.py"))
    assert len(files) >= 15
    assert "graph.build" in MODULES and "graph.normalise.names" in MODULES


@pytest.mark.parametrize("path", sorted(GRAPH_DIR.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_the_portal_the_web_or_the_database(path: Path) -> None:
    for module in imported_modules(path):
        top = module.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {module}"


def test_the_import_check_would_catch_one(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import flask\nfrom sqlalchemy.orm import Session\n"
        "def f():\n    from portal.models import User\n    import crypto.chain\n",
        encoding="utf-8",
    )
    tops = {m.split(".")[0] for m in imported_modules(sample)}
    assert {"flask", "sqlalchemy", "portal", "crypto"} <= tops


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_its_public_api(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"
        value = getattr(module, symbol)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert value.__doc__, f"{name}.{symbol} has no docstring"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
