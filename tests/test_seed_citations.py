"""Every scheme rule cites, in its docstring, a sentence of its seed document: the quoted
text after "Seed:" must be found in the seed (punctuation and spacing as in the seed)."""

import inspect
import re
from pathlib import Path

import pytest

from zhibu.plugins.manager import build_plugin_manager

SEEDS = Path(__file__).parents[2] / "shared" / "seeds"


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_text() -> str:
    assert SEEDS.is_dir(), f"the seed documents are expected at {SEEDS}"
    return _flat("".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")))


def scheme_rules():
    registry = build_plugin_manager()
    for key, scheme in sorted(registry.schemes.items()):
        if scheme.define is None:
            continue
        definition = scheme.definition(scheme.resolve_settings({}))
        for rule in definition.rules:
            yield pytest.param(rule, id=f"{key}.{rule.__name__}")


@pytest.mark.parametrize("rule", list(scheme_rules()))
def test_rule_cites_its_seed(rule):
    doc = inspect.getdoc(rule) or ""
    assert "Seed:" in doc, f"{rule.__qualname__}: no 'Seed:' citation in the docstring"
    cited = doc.split("Seed:", 1)[1]
    quotes = [q for q in re.findall(r"\"(.+?)\"(?=\s|$|[,.;)])", cited, flags=re.S)]
    assert quotes, f"{rule.__qualname__}: quote the seed sentence after 'Seed:'"
    text = seed_text()
    for quote in quotes:
        assert _flat(quote) in text, f"{rule.__qualname__}: not in the seed: {quote[:40]}…"
