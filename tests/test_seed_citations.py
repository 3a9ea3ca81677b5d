"""Every scheme rule cites, in its docstring, a sentence of its seed document: the quoted
text after "Seed:" must be found in the seed the plugin ships in its ``seeds/`` folder
(punctuation as in the seed; line breaks and spaces do not matter)."""

import inspect
import re
from pathlib import Path

import pytest

from zhibu.plugins.manager import build_plugin_manager


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_text(plugin_file: str) -> str:
    folder = Path(plugin_file).parent / "seeds"
    files = sorted(folder.glob("*.txt"))
    assert files, f"ship the scheme's source document(s) in {folder}"
    return _flat("".join(p.read_text(encoding="utf-8") for p in files))


def scheme_rules():
    registry = build_plugin_manager()
    for info in registry.describe():
        for key in info.contributes.get("schemes", []):
            scheme = registry.scheme(key)
            if scheme.define is None:
                continue
            definition = scheme.definition(scheme.resolve_settings({}))
            for rule in definition.rules:
                yield pytest.param(rule, info.path, id=f"{key}.{rule.__name__}")


@pytest.mark.parametrize(("rule", "plugin_file"), list(scheme_rules()))
def test_rule_cites_its_seed(rule, plugin_file):
    doc = inspect.getdoc(rule) or ""
    assert "Seed:" in doc, f"{rule.__qualname__}: no 'Seed:' citation in the docstring"
    cited = doc.split("Seed:", 1)[1]
    quotes = [q for q in re.findall(r"\"(.+?)\"(?=\s|$|[,.;)])", cited, flags=re.S)]
    assert quotes, f"{rule.__qualname__}: quote the seed sentence after 'Seed:'"
    text = seed_text(plugin_file)
    for quote in quotes:
        assert _flat(quote) in text, f"{rule.__qualname__}: not in the seed: {quote[:40]}…"
