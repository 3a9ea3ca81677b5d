"""One test per hook (``test_hook_<name>``), each through a plugin installed by entry point;
and the checks that every hook has such a test and a section in docs/plugins.md."""

import inspect
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from flask.cli import ScriptInfo

from zhibu.app import create_app, plugin_registry
from zhibu.cli import cli
from zhibu.db import db
from zhibu.errors import ServiceError
from zhibu.plugins import hookspecs
from zhibu.plugins.manager import PluginError, build_plugin_manager

HOOKS = sorted(
    name
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("zhibu_")
)
DOCS = Path(__file__).parents[1] / "docs" / "plugins.md"
FOUR = ["akesu_college", "county_observation", "enterprise_5std", "dujiangyan_quantified"]


@pytest.fixture
def plugin_app(install_plugin, tmp_path):
    def build(source: str):
        install_plugin("extra", source)
        return create_app(
            {"ZHIBU_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "ZHIBU_PLUGINS": ["extra"]}
        )

    return build


def test_hook_zhibu_schemes(plugin_app, tmp_path):
    app = plugin_app(
        "from zhibu.plugins import Scheme, hookimpl\n"
        "@hookimpl\n"
        "def zhibu_schemes():\n"
        "    return [Scheme(key='fifth', title='第五方案', title_en='Fifth', seed='doc')]\n"
    )
    assert plugin_registry(app).scheme("fifth").title == "第五方案"
    with pytest.raises(KeyError, match="no scheme 'akesu_college' is loaded"):
        plugin_registry(app).scheme("akesu_college")


def test_hook_zhibu_report_builders(plugin_app):
    app = plugin_app(
        "from zhibu.plugins import ReportBuilder, hookimpl\n"
        "@hookimpl\n"
        "def zhibu_report_builders():\n"
        "    return [ReportBuilder(key='extra.roll', title='花名册', build=lambda data: data)]\n"
    )
    report = plugin_registry(app).contributions["reports"]["extra.roll"]
    assert report.title == "花名册"
    assert report.build([1, 2]) == [1, 2]


def test_hook_zhibu_automatic_indicators(install_plugin):
    source = (
        "from zhibu.plugins import AutomaticIndicator, Computed, hookimpl\n"
        "@hookimpl\n"
        "def zhibu_automatic_indicators():\n"
        "    return [AutomaticIndicator(key='meetings', title='会议次数',\n"
        "        compute=lambda subject, records, cycle: Computed(len(records), 12))]\n"
    )
    install_plugin("one", source, module="indicator_one")
    registry = build_plugin_manager(["one"])
    found = registry.contributions["indicators"]["meetings"].compute(None, (1, 2, 3), None)
    assert (found.points, found.max_points) == (3, 12)
    install_plugin("two", source, module="indicator_two")
    with pytest.raises(PluginError, match="duplicate indicator name 'meetings'"):
        build_plugin_manager(["one", "two"])


def test_hook_zhibu_cli_commands(plugin_app):
    app = plugin_app(
        "import click\n"
        "from flask import current_app\n"
        "from zhibu.plugins import hookimpl\n"
        "@click.command('hello')\n"
        "def hello():\n"
        "    click.echo('你好 ' + current_app.name)\n"
        "@hookimpl\n"
        "def zhibu_cli_commands():\n"
        "    return [hello]\n"
    )
    # through the real `zhibu` group, as a user runs it
    result = app.test_cli_runner().invoke(cli, ["hello"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "你好 zhibu"


def test_hook_zhibu_blueprints(plugin_app):
    app = plugin_app(
        "from flask import Blueprint\n"
        "from zhibu.plugins import hookimpl\n"
        "bp = Blueprint('extra_pages', __name__, url_prefix='/extra')\n"
        "@bp.get('/hello')\n"
        "def hello():\n"
        "    return '第五方案页面'\n"
        "@hookimpl\n"
        "def zhibu_blueprints():\n"
        "    return [bp]\n"
    )
    response = app.test_client().get("/extra/hello")
    assert response.status_code == 200
    assert response.text == "第五方案页面"


def test_every_hook_has_a_test():
    tests = {name for name in dir(sys.modules[__name__]) if name.startswith("test_hook_")}
    missing = [hook for hook in HOOKS if f"test_hook_{hook}" not in tests]
    assert HOOKS, "no hook found in zhibu.plugins.hookspecs"
    assert not missing, f"write test_hook_<name> for: {missing}"


def test_every_hook_has_a_docstring_and_a_section_in_the_docs():
    text = DOCS.read_text(encoding="utf-8")
    sections = set(re.findall(r"^### `(zhibu_\w+)", text, flags=re.MULTILINE))
    assert sections == set(HOOKS), "docs/plugins.md must have one '### `hook`' per hook"
    for name in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert ":return:" in doc, f"{name}: the docstring must say what it returns"


def test_hook_zhibu_demo_data(install_plugin, tmp_path):
    install_plugin(
        "fifth",
        (
            "from zhibu.orgs.service import create_org\n"
            "from zhibu.plugins import DemoData, Scheme, hookimpl\n"
            "@hookimpl\n"
            "def zhibu_schemes():\n"
            "    return [Scheme(key='fifth', title='第五方案', title_en='Fifth', seed='doc')]\n"
            "def build(context):\n"
            "    create_org(context.tenant.id, code='DW', name='示范党委', kind='committee')\n"
            "    return 'one unit'\n"
            "@hookimpl\n"
            "def zhibu_demo_data():\n"
            "    return [DemoData(key='fifth.demo', scheme='fifth', build=build)]\n"
        ),
    )
    from zhibu.testing.fixtures import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'demo.sqlite3'}", tmp_path, ZHIBU_PLUGINS=["fifth"])
    first = app.test_cli_runner().invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "one unit" in first.output
    again = app.test_cli_runner().invoke(args=["demo"])
    assert "one unit" not in again.output  # a tenant that has data is left alone


KINDS_PLUGIN = (
    "from zhibu.plugins import OrgKind, RecordKind, hookimpl\n"
    "@hookimpl\n"
    "def zhibu_org_kinds():\n"
    "    return [OrgKind('station', '站所', 'Township station')]\n"
    "@hookimpl\n"
    "def zhibu_record_kinds():\n"
    "    return [RecordKind('volunteer', '志愿服务', 'Volunteer service',\n"
    "                       needs=('attendees', 'hours'))]\n"
)


@pytest.fixture
def kinds_app(app, install_plugin, tmp_path):
    """An app with a plugin adding a kind of unit and a kind of record, on the database
    of ``app`` (both backends), with the API tests' world in it."""
    from world import build_world

    from zhibu.testing.fixtures import make_test_app

    install_plugin("kinds", KINDS_PLUGIN)
    selection = [*FOUR, "kinds"]  # whatever else is installed (a plugin adding 站所 too)
    made = make_test_app(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "kinds", ZHIBU_PLUGINS=selection
    )
    with made.app_context():
        made.world = build_world()
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def test_hook_zhibu_org_kinds(kinds_app):
    """A plugin's kind of unit is checked like the core's, through the API and the page;
    its names follow the page's language."""
    from test_web_pages import login

    world, client = kinds_app.world, kinds_app.test_client()
    url = f"/api/v1/tenants/{world.id('A')}/orgs"
    admin = world.headers["admin_a"]
    body = {"code": "A-S1", "name": "农技站党支部", "parent_id": world.id("A-ZZ1")}
    created = client.post(url, json={**body, "kind": "station"}, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json["kind"] == "station"
    refused = client.post(url, json={**body, "code": "A-S2", "kind": "club"}, headers=admin)
    assert refused.status_code == 400
    message = str(refused.json["errors"]["kind"])
    assert (
        "'club'" in message and "站所" in message and "村" in message and "village" not in message
    )
    login(client, "admin_a")
    tree = client.get(f"/t/{world.id('A')}/orgs").text
    assert "农技站党支部" in tree and "站所" in tree and "Township station" not in tree
    client.get("/lang/en?next=/")
    assert "Township station" in client.get(f"/t/{world.id('A')}/orgs").text


def test_hook_zhibu_record_kinds(kinds_app):
    """A plugin's kind of record is checked for what it needs, and reaches the engine."""
    from zhibu.accounts.access import access_for
    from zhibu.evaluations import facts
    from zhibu.models import User
    from zhibu.tenancy import system_scope, use_scope

    world = kinds_app.world
    with kinds_app.app_context(), use_scope(system_scope()):
        tenant = access_for(db.session.get(User, world.ids["admin_a"]), world.ids["A"])
        branch, member = world.ids["A-Z01"], world.ids["A-M1"]
        with pytest.raises(ServiceError) as refused:
            facts.add_record(tenant, branch, "volunteer", date(2021, 3, 5), hours=2)
        assert "志愿服务记录须填写:参加人员" in refused.value.message
        assert refused.value.field == "attendees"
        record = facts.add_record(
            tenant, branch, "volunteer", date(2021, 3, 5), attendees=[member], hours=2
        )
        assert record.kind == "volunteer"
        with pytest.raises(ServiceError, match=r"可选:.*志愿服务"):
            facts.add_record(tenant, branch, "parade", date(2021, 3, 5))


def test_a_kind_the_core_has_is_refused_naming_both_plugins(install_plugin):
    from zhibu.plugins import builtin

    install_plugin(
        "again",
        "from zhibu.plugins import OrgKind, hookimpl\n"
        "@hookimpl\n"
        "def zhibu_org_kinds():\n"
        "    return [OrgKind('village', '行政村', 'Village')]\n",
    )
    with pytest.raises(PluginError) as refused:
        build_plugin_manager(["again"], defaults=(builtin,))
    assert "duplicate org kind name 'village'" in str(refused.value)
    assert "'zhibu.builtin'" in str(refused.value) and "'again'" in str(refused.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda k: k.OrgKind("Station", "站所", "Station"), "lowercase"),
        (lambda k: k.OrgKind("member", "党员", "Member"), "taken by members"),
        (lambda k: k.OrgKind("station", "", "Station"), "Chinese title"),
        (lambda k: k.RecordKind("walk", "健步走", "Walk", needs=("steps",)), "needs steps"),
    ],
)
def test_a_kind_is_checked_when_made(make, message):
    from zhibu import plugins

    with pytest.raises(ValueError, match=message):
        make(plugins)
