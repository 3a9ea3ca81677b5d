"""Layers import downward only: the engine imports nothing of Zhibu outside itself; the
services (everything below the app, the API, the pages and the commands) import none of
those; the API and the pages never import the app that is built on them. Every import
counts, those inside functions too: an import put off until a call still ties the
modules into one cycle (the plugin registry is reached through ``zhibu.plugins``)."""

from __future__ import annotations

import ast
from pathlib import Path

import zhibu

ROOT = Path(zhibu.__file__).parent
TOP = ("zhibu.app", "zhibu.wsgi", "zhibu.cli")  # what builds and starts the app
FACES = ("zhibu.api", "zhibu.web")  # the API and the pages


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, name: str | None = None) -> list[tuple[str, int]]:
    """Every module ``path`` (module ``name``) imports, as absolute names, with the line,
    at any depth."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def is_command_module(name: str) -> bool:
    """``zhibu.members.cli``, ``zhibu.evaluations.cycles_cli``: a layer's command line."""
    last = name.rpartition(".")[2]
    return last == "cli" or last.endswith("_cli")


def is_face(name: str) -> bool:
    """Modules above the services: the app, the API, the pages, the command lines, the
    test kit (which builds apps) and the core's own plugin (it contributes commands)."""
    return (
        within(name, (*TOP, *FACES, "zhibu.testing"))
        or name == "zhibu.plugins.builtin"
        or is_command_module(name)
    )


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def violations(check) -> list[str]:
    out = []
    for name, path in MODULES.items():
        for imported, line in imports(path):
            if imported.split(".")[0] == "zhibu" and check(name, imported):
                out.append(f"{name} (line {line}) imports {imported}")
    return sorted(set(out))


def test_services_import_no_app_api_pages_or_command_line():
    wrong = violations(lambda name, imported: not is_face(name) and is_face(imported))
    assert wrong == [], "services import downward only:\n" + "\n".join(wrong)


def test_the_api_and_the_pages_do_not_import_the_app():
    wrong = violations(lambda name, imported: within(name, FACES) and within(imported, TOP))
    assert wrong == [], "\n".join(wrong)


def test_the_engine_imports_only_itself():
    wrong = violations(
        lambda name, imported: (
            within(name, ("zhibu.engine",)) and not within(imported, ("zhibu.engine",))
        )
    )
    assert wrong == [], "\n".join(wrong)


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    """The rule reads imports at any depth (the old ones were inside functions)."""
    source = tmp_path / "x.py"
    source.write_text("def f():\n    from ..app import create_app\n", encoding="utf-8")
    found = imports(source, "zhibu.evaluations.x")
    assert ("zhibu.app", 2) in found and ("zhibu.app.create_app", 2) in found
    assert violations(lambda name, imported: False) == []
