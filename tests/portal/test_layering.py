"""portal/ keeps its layers: blueprints -> services -> models, and inside the services, domains
that only point down. Like the purity tests of crypto/ and graph/, this reads the imports.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import portal

PORTAL = Path(portal.__file__).parent
BLUEPRINTS = (
    "admin",
    "analysis",
    "api",
    "auth",
    "briefings",
    "bulletins",
    "dashboard",
    "hashbanks",
    "health",
    "referrals",
    "taxii",
    "watchlists",
)
# Inside portal/services: a domain may import only from its own package and lower ranks.
SERVICE_RANKS = {
    "errors": 0,
    "principals": 0,
    "spreadsheets": 0,
    "json_text": 0,
    "sealed_text": 0,
    "audit": 1,
    "audit_commit": 1,
    "audit_trail": 2,
    "organisations": 2,
    "accounts": 3,
    "bulletins": 3,
    "discovery": 4,
    "stix": 4,
    "referrals": 4,
    "hashbanks": 3,
    "analysis": 5,
    "briefings": 6,
    "watchlists": 6,
    "transparency": 7,
    "operations": 8,
}

# A briefing is a document, not a page: its layout fills the PDF's template with Jinja.
DOCUMENT_TEMPLATES = {
    "portal/services/briefings/layout.py": {"render_template"},
    "portal/services/transparency/report.py": {"render_template"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PORTAL.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def from_imports(path: Path, module_path: str | None = None) -> set[tuple[str, str]]:
    """``(module, name)`` of every ``from module import name`` in ``path``, at the top or inside
    a function, with relative imports resolved (``from ..api import views`` is
    ``("portal.api", "views")``)."""
    module_path = module_path or module_name(path)
    package = module_path if path.name == "__init__.py" else module_path.rpartition(".")[0]
    found: set[tuple[str, str]] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = importlib.util.resolve_name("." * node.level + module, package)
            found.update((module, alias.name) for alias in node.names)
    return found


def plain_imports(path: Path) -> set[str]:
    """Modules imported whole, as ``import x.y``."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def imports_of(path: Path, module_path: str | None = None) -> set[str]:
    """Every module, and every ``module.name``, that ``path`` imports."""
    found = plain_imports(path)
    for module, name in from_imports(path, module_path):
        found.update((module, f"{module}.{name}"))
    return found


def imported_names(path: Path, module: str) -> set[str]:
    return {name for source, name in from_imports(path) if source == module}


def modules_under(*parts: str) -> list[Path]:
    return sorted(PORTAL.joinpath(*parts).rglob("*.py"))


def label(path: Path) -> str:
    return str(path.relative_to(PORTAL.parent))


def test_the_reader_sees_relative_nested_and_aliased_imports(tmp_path: Path) -> None:
    source = tmp_path / "views.py"
    source.write_text(
        "from . import forms\n"
        "def view():\n"
        "    from ..api import views\n"
        "    import portal.analysis.views as other\n"
    )
    found = imports_of(source, "portal.bulletins.views")
    assert {"portal.bulletins.forms", "portal.api.views", "portal.analysis.views"} <= found
    assert {blueprint_of(m) for m in found} >= {"api", "analysis"}


def test_the_walk_sees_the_layers() -> None:
    assert len(modules_under("services")) > 40
    for name in BLUEPRINTS:
        assert PORTAL.joinpath(name, "__init__.py").exists(), name
    for name in SERVICE_RANKS:
        assert (PORTAL / "services" / name).is_dir() or (
            PORTAL / "services" / f"{name}.py"
        ).exists(), name


def blueprint_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "portal" and parts[1] in BLUEPRINTS else None


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_blueprints_never_import_each_other(blueprint: str) -> None:
    for path in modules_under(blueprint):
        crossing = {m for m in imports_of(path) if blueprint_of(m) not in (None, blueprint)}
        assert not crossing, f"{label(path)} imports {sorted(crossing)}"


def test_the_command_line_never_imports_a_blueprint() -> None:
    for path in modules_under("cli"):
        crossing = {m for m in imports_of(path) if blueprint_of(m)}
        assert not crossing, f"{label(path)} imports {sorted(crossing)}"


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_views_never_touch_the_database_session(blueprint: str) -> None:
    for path in modules_under(blueprint):
        assert "db" not in imported_names(path, "portal.extensions"), label(path)
        assert "extensions" not in imported_names(path, "portal"), label(path)
        assert "portal.extensions" not in plain_imports(path), label(path)
        found = imports_of(path)
        assert not any(m.startswith(("sqlalchemy", "portal.database")) for m in found), label(path)


def test_services_never_import_blueprints_the_request_or_the_demo() -> None:
    forbidden = (
        *(f"portal.{b}" for b in BLUEPRINTS),
        "portal.cli",
        "portal.demo",
        # the web layer's helpers sit above the services
        "portal.principal",
        "portal.access",
        "portal.token_auth",
        "portal.workspace_params",
        "portal.rate_limits",
        "portal.security",
        "portal.navigation",
        "portal.errors",
        "portal.factory_steps",
        "flask_login",
        "flask_wtf",
    )
    for path in modules_under("services"):
        found = imports_of(path)
        assert not {m for m in found if m.startswith(forbidden)}, label(path)
        flask_names = imported_names(path, "flask")
        allowed = {"current_app"} | DOCUMENT_TEMPLATES.get(label(path), set())
        assert flask_names <= allowed, f"{label(path)} imports flask {flask_names}"
        assert not {m for m in plain_imports(path) if m.split(".")[0] == "flask"}, label(path)
        assert not {m for m, _ in from_imports(path) if m.startswith("flask.")}, label(path)


def test_models_import_no_service() -> None:
    for path in modules_under("models"):
        assert not {m for m in imports_of(path) if m.startswith("portal.services")}, label(path)


def _domain(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["portal", "services"]:
        return parts[2]
    return None


@pytest.mark.parametrize(
    "path", modules_under("services"), ids=lambda p: str(p.relative_to(PORTAL / "services"))
)
def test_service_domains_only_point_down(path: Path) -> None:
    relative = path.relative_to(PORTAL / "services")
    if relative.name == "__init__.py" and len(relative.parts) == 1:
        return
    own = relative.parts[0].removesuffix(".py")
    assert own in SERVICE_RANKS, f"{own} has no rank: give the new domain one"
    for module in imports_of(path):
        other = _domain(module)
        if other is None or other == own or other not in SERVICE_RANKS:
            continue
        assert SERVICE_RANKS[other] < SERVICE_RANKS[own], (
            f"services/{relative} ({own}) imports {module} ({other}), which is not below it"
        )
