"""portal/ keeps its layers: blueprints -> services -> models, and inside the services, domains
that only point down. Like the purity tests of crypto/ and graph/, this reads the imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import portal

PORTAL = Path(portal.__file__).parent
BLUEPRINTS = ("admin", "analysis", "api", "auth", "briefings", "bulletins", "dashboard", "taxii")
# Inside portal/services: a domain may import only from its own package and lower ranks.
SERVICE_RANKS = {
    "errors": 0,
    "principals": 0,
    "audit": 1,
    "organisations": 2,
    "accounts": 3,
    "bulletins": 3,
    "discovery": 4,
    "stix": 4,
    "referrals": 4,
    "analysis": 5,
    "briefings": 6,
}

# A briefing is a document, not a page: its layout fills the PDF's template with Jinja.
DOCUMENT_TEMPLATES = {"portal/services/briefings/layout.py": {"render_template"}}


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_names(path: Path, module: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            names.update(alias.name for alias in node.names)
    return names


def modules_under(*parts: str) -> list[Path]:
    return sorted(PORTAL.joinpath(*parts).rglob("*.py"))


def label(path: Path) -> str:
    return str(path.relative_to(PORTAL.parent))


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
        assert not any(m.startswith("sqlalchemy") for m in imports_of(path)), label(path)


def test_services_never_import_blueprints_the_request_or_the_demo() -> None:
    forbidden = (
        *(f"portal.{b}" for b in BLUEPRINTS),
        "portal.cli",
        "portal.demo",
        "portal.principal",
        "flask_login",
        "flask_wtf",
    )
    for path in modules_under("services"):
        found = imports_of(path)
        assert not {m for m in found if m.startswith(forbidden)}, label(path)
        flask_names = imported_names(path, "flask")
        allowed = {"current_app"} | DOCUMENT_TEMPLATES.get(label(path), set())
        assert flask_names <= allowed, f"{label(path)} imports flask {flask_names}"


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
