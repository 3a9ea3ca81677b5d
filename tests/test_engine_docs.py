"""docs/engine.md is the reference of everything a plugin may import, and a promise: a
public name without its section (or a section naming nothing public), a field or a public
method its section does not name, a public name without a docstring, an example that does
not run, or an import of the tutorial's package from outside the surface fails here."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from functools import cached_property
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs" / "engine.md"
EXAMPLE = ROOT / "examples" / "five_good"
PUBLIC = (
    "zhibu.plugins",
    "zhibu.engine",
    "zhibu.engine.rules",
    "zhibu.reports",
    "zhibu.testing",
    "zhibu.evaluations.scenario",
    "zhibu.evaluations.scenario_file",
)
TEXT = DOCS.read_text(encoding="utf-8")
HEADING = re.compile(r"^(#{2,3}) `([\w.]+)`\n", flags=re.MULTILINE)


def public_names() -> dict[str, object]:
    """Every public name, and the object it is (the first module's, where two agree)."""
    found: dict[str, object] = {}
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            found.setdefault(name, getattr(module, name))
    return found


def sections() -> dict[str, str]:
    """Each ``### `Name``` heading of the page, with its text up to the next heading."""
    marks = [(m.group(2), m.start(), m.end()) for m in HEADING.finditer(TEXT)]
    out = {}
    for index, (name, _, end) in enumerate(marks):
        stop = marks[index + 1][1] if index + 1 < len(marks) else len(TEXT)
        following = TEXT.find("\n#", end)
        out[name] = TEXT[end : min(stop, following if following != -1 else stop)]
    return out


def test_every_public_module_has_its_section():
    headings = {m.group(2) for m in HEADING.finditer(TEXT)}
    assert [m for m in PUBLIC if m not in headings] == []


def test_every_public_name_has_its_section_and_every_section_a_name():
    documented = set(sections()) - set(PUBLIC)
    public = set(public_names())
    assert sorted(public - documented) == [], "add a '### `Name`' section to docs/engine.md"
    assert sorted(documented - public) == [], "a section of docs/engine.md names nothing public"


def members(cls: type) -> list[str]:
    """A public type's fields and its own public methods and properties."""
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    else:
        names = list(getattr(cls, "_fields", ()))
    for name, value in vars(cls).items():
        if name.startswith("_") or name in names:
            continue
        if inspect.isfunction(value) or isinstance(value, property | cached_property):
            names.append(name)
    return names


@pytest.mark.parametrize("name", sorted(public_names()))
def test_each_public_name_is_described_whole(name):
    thing = public_names()[name]
    if not (inspect.isclass(thing) or inspect.isfunction(thing)):
        return  # a marker or a table of names: its section is all there is
    assert inspect.getdoc(thing), f"{name} has no docstring"
    if inspect.isclass(thing) and not issubclass(thing, Exception):
        text = sections()[name]
        missing = [m for m in members(thing) if f"`{m}" not in text]
        assert missing == [], f"docs/engine.md, `{name}`: say what these are: {missing}"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", TEXT, flags=re.DOTALL)


@pytest.mark.parametrize("number", range(len(python_blocks())))
def test_the_examples_run(number):
    exec(python_blocks()[number], {})


def test_the_tutorials_package_imports_only_the_public_surface():
    public = {m: set(importlib.import_module(m).__all__) for m in PUBLIC}
    outside = []
    for path in sorted(EXAMPLE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [(a.name, None) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [(node.module, a.name) for a in node.names]
            else:
                continue
            for module, name in names:
                if module.split(".")[0] != "zhibu":
                    continue
                if name is None or f"{module}.{name}" in public:
                    ok = (module if name is None else f"{module}.{name}") in public
                else:
                    ok = name in public.get(module, ())
                if not ok:
                    outside.append(f"{path.relative_to(ROOT)}: {module} {name or ''}".strip())
    assert outside == []
