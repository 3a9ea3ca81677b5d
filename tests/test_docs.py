"""Examples in the docs are tested code: every ```python block of docs/plugins.md runs."""

import re
from pathlib import Path

DOCS = Path(__file__).parents[1] / "docs"


def python_blocks(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_plugin_guide_example_scheme_is_valid():
    namespace: dict = {}
    exec(python_blocks("plugins.md")[0], namespace)
    schemes = namespace["zhibu_schemes"]()
    assert [s.key for s in schemes] == ["model_village"]


def test_plugin_guide_fixture_example_passes(zhibu_app):
    namespace: dict = {}
    exec(python_blocks("plugins.md")[1], namespace)
    namespace["test_my_scheme_is_loaded"](zhibu_app)
