"""Every scheme rule cites, in its docstring, a sentence of its seed document: the quoted
text after "Seed:" must be found in the seed the plugin ships in its ``seeds/`` folder
(punctuation as in the seed; line breaks and spaces do not matter). The check is the one
plugin authors run on their own rules (:func:`zhibu.testing.uncited_rules`)."""

import pytest

from zhibu.testing import uncited_rules
from zhibu.testing.seeds import citation_problem, scheme_rules


@pytest.mark.parametrize(
    ("rule", "plugin_file"),
    [pytest.param(rule, path, id=f"{key}.{rule.__name__}") for key, rule, path in scheme_rules()],
)
def test_rule_cites_its_seed(rule, plugin_file):
    assert citation_problem(rule, plugin_file) is None


def test_a_rule_that_quotes_nothing_or_misquotes_is_named(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "001.txt").write_text("支部书记\n每年述职一次。", encoding="utf-8")
    plugin = str(tmp_path / "plugin.py")

    def cites():
        """Seed: "支部书记每年述职 一次。" """

    def misquotes():
        """Seed: "支部书记每月述职一次。" """

    def says_nothing():
        """A rule."""

    assert citation_problem(cites, plugin) is None
    assert citation_problem(misquotes, plugin).startswith("not in the seed: 支部书记每月")
    assert citation_problem(says_nothing, plugin) == "no 'Seed:' citation in the docstring"
    assert "no seed document" in citation_problem(cites, str(tmp_path / "x" / "plugin.py"))


def test_the_loaded_schemes_cite_their_seeds(app):
    assert uncited_rules(app) == []
    assert uncited_rules(app, ["no_such_scheme"]) == []
