"""crypto/ stays a pure library: no portal, no web framework, hazmat in few places."""

from __future__ import annotations

import ast
from pathlib import Path

import crypto

PACKAGE = Path(crypto.__file__).parent
FORBIDDEN = {"flask", "flask_login", "flask_wtf", "sqlalchemy", "alembic", "portal", "graph"}
# The only module allowed to touch cryptography.hazmat: the primitives layer.
HAZMAT_ALLOWED = {"primitives.py"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_imports_the_portal_or_a_web_framework():
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 10
    for path in modules:
        roots = {name.split(".")[0] for name in _imports(path)}
        assert not roots & FORBIDDEN, f"{path.name} imports {roots & FORBIDDEN}"


def test_only_the_standard_library_and_its_own_libraries():
    import sys

    allowed = set(sys.stdlib_module_names) | {"crypto", "cryptography", "rfc8785"}
    for path in PACKAGE.glob("*.py"):
        roots = {name.split(".")[0] for name in _imports(path)}
        assert roots <= allowed, f"{path.name} imports {roots - allowed}"


def test_hazmat_is_imported_in_few_modules():
    for path in PACKAGE.glob("*.py"):
        uses_hazmat = any(name.startswith("cryptography.hazmat") for name in _imports(path))
        assert not uses_hazmat or path.name in HAZMAT_ALLOWED, path.name
