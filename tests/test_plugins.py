"""The plugin manager: entry points, selection, duplicate names, ``zhibu plugins``."""

import json

import pytest

from zhibu.app import create_app, plugin_registry
from zhibu.plugins import builtin
from zhibu.plugins.manager import BUILTIN_NAME, PluginError, build_plugin_manager

FOUR = {"akesu_college", "county_observation", "enterprise_5std", "dujiangyan_quantified"}


def test_the_four_schemes_load_through_their_entry_points():
    registry = build_plugin_manager(sorted(FOUR), defaults=(builtin,))  # whatever else is there
    assert set(registry.schemes) == FOUR
    infos = {info.name: info for info in registry.describe()}
    for name in FOUR:
        assert infos[name].distribution == "zhibu"
        assert infos[name].contributes["schemes"] == [name]
        assert infos[name].path.endswith(f"plugins/{name}/__init__.py")
    assert infos[BUILTIN_NAME].distribution is None


def test_zhibu_plugins_restricts_what_loads():
    registry = build_plugin_manager(["enterprise_5std"])
    assert set(registry.schemes) == {"enterprise_5std"}
    assert build_plugin_manager([]).schemes == {}


def test_an_unknown_plugin_name_is_a_clear_error():
    with pytest.raises(PluginError, match=r"'no_such_scheme', which is not installed"):
        build_plugin_manager(["akesu_college", "no_such_scheme"])


def test_duplicate_scheme_names_stop_start_up_naming_both_plugins(install_plugin, tmp_path):
    install_plugin(
        "copycat",
        (
            "from zhibu.plugins import Scheme, hookimpl\n"
            "@hookimpl\n"
            "def zhibu_schemes():\n"
            "    return [Scheme(key='akesu_college', title='仿冒', title_en='Copy', seed='-')]\n"
        ),
    )
    with pytest.raises(PluginError) as excinfo:
        create_app({"ZHIBU_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    message = str(excinfo.value)
    assert "duplicate scheme name 'akesu_college'" in message
    assert "'akesu_college'" in message and "'copycat'" in message


def test_a_plugin_that_fails_to_import_is_named(install_plugin):
    install_plugin("broken", "raise ImportError('needs a library that is missing')\n")
    with pytest.raises(PluginError, match=r"plugin 'broken' \(broken_plugin\) failed to load"):
        build_plugin_manager(["broken"])


def test_a_hook_that_does_not_exist_is_refused(install_plugin):
    install_plugin(
        "typo",
        ("from zhibu.plugins import hookimpl\n@hookimpl\ndef zhibu_schemse():\n    return []\n"),
    )
    with pytest.raises(PluginError, match="zhibu_schemse"):
        build_plugin_manager(["typo"])


def test_a_registry_hook_must_return_a_list(install_plugin):
    install_plugin(
        "single",
        (
            "from zhibu.plugins import Scheme, hookimpl\n"
            "@hookimpl\n"
            "def zhibu_schemes():\n"
            "    return Scheme(key='single', title='单个', title_en='One', seed='-')\n"
        ),
    )
    with pytest.raises(PluginError, match=r"zhibu_schemes\(\) must return a list"):
        build_plugin_manager(["single"])


def test_each_app_gets_its_own_manager(tmp_path):
    first = create_app({"ZHIBU_INSTANCE_PATH": str(tmp_path), "ZHIBU_PLUGINS": ["akesu_college"]})
    second = create_app({"ZHIBU_INSTANCE_PATH": str(tmp_path)})
    assert set(plugin_registry(first).schemes) == {"akesu_college"}
    every = set(build_plugin_manager().schemes)  # every installed plugin's: the four and more
    assert set(plugin_registry(second).schemes) == every and every >= FOUR


def test_plugins_command_json_lists_name_version_module_and_contributions(runner):
    result = runner.invoke(args=["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.output)}
    assert set(listed) >= FOUR
    entry = listed["county_observation"]
    assert entry["version"] == "0.2.0"
    assert entry["module"] == "county_observation"
    assert entry["contributes"]["schemes"] == ["county_observation"]
    assert entry["contributes"]["reports"] == [
        "county_observation.notice",
        "county_observation.ranking",
    ]
    assert set(listed[BUILTIN_NAME]["contributes"]["commands"]) >= {"plugins", "demo", "worker"}


def test_plugins_command_table(runner):
    result = runner.invoke(args=["plugins"])
    assert result.exit_code == 0
    from dujiangyan_quantified import __version__

    assert f"dujiangyan_quantified {__version__}" in result.output
    assert "schemes: dujiangyan_quantified" in result.output
