"""Every scheme rule cites, in its docstring, a sentence of its seed document: the quoted
text after ``Seed:`` must be found in the seed the plugin ships in its ``seeds/`` folder
(every ``*.txt`` beside the plugin's module; punctuation as in the seed, line breaks and
spaces do not matter). A plugin's tests check their own rules::

    from zhibu.testing import uncited_rules

    def test_every_rule_cites_its_seed(zhibu_app):
        assert uncited_rules(zhibu_app) == []
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask

from zhibu.plugins import registry as loaded_registry

# a quote: "…" followed by a space, the end, or , . ; )
_QUOTE = re.compile(r"\"(.+?)\"(?=\s|$|[,.;)])", flags=re.S)


def uncited_rules(app: Flask | None = None, schemes: list[str] | None = None) -> list[str]:
    """What is wrong with the seed citations of the rules of ``schemes`` (default: every
    scheme ``app`` loads; without an app, every installed plugin's): one line per rule
    without a ``Seed:`` quote, or quoting what its seed does not say. Empty: all cite."""
    problems = []
    for key, rule, plugin_file in scheme_rules(app, schemes):
        problem = citation_problem(rule, plugin_file)
        if problem:
            problems.append(f"{key}.{rule.__name__}: {problem}")
    return problems


def scheme_rules(
    app: Flask | None = None, schemes: list[str] | None = None
) -> Iterator[tuple[str, Any, str]]:
    """(scheme key, rule, the file of the plugin that contributes it) for every rule of the
    schemes' definitions with their default settings."""
    found = _registry(app)
    for info in found.describe():
        for key in info.contributes.get("schemes", []):
            if schemes is not None and key not in schemes:
                continue
            scheme = found.scheme(key)
            if scheme.define is None:
                continue
            definition = scheme.definition(scheme.resolve_settings({}))
            for rule in definition.rules:
                yield key, rule, info.path


def citation_problem(rule, plugin_file: str) -> str | None:
    """Why ``rule``'s docstring does not cite the seeds beside ``plugin_file``, or None."""
    doc = inspect.getdoc(rule) or ""
    if "Seed:" not in doc:
        return "no 'Seed:' citation in the docstring"
    quotes = _QUOTE.findall(doc.split("Seed:", 1)[1])
    if not quotes:
        return "quote the seed sentence after 'Seed:' (\"…\")"
    folder = Path(plugin_file).parent / "seeds"
    text = seed_text(folder)
    if text is None:
        return f"no seed document (*.txt) in {folder}"
    missing = [quote for quote in quotes if _flat(quote) not in text]
    return f"not in the seed: {missing[0][:40]}…" if missing else None


def seed_text(folder: Path) -> str | None:
    """The seeds of a folder as one text without spaces or line breaks (None: no seed)."""
    files = sorted(folder.glob("*.txt"))
    if not files:
        return None
    return _flat("".join(path.read_text(encoding="utf-8") for path in files))


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _registry(app: Flask | None):
    if app is not None:
        return loaded_registry(app)
    from zhibu.plugins.manager import build_plugin_manager

    return build_plugin_manager()
