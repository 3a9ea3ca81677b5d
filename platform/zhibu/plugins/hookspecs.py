"""Every hook a Zhibu plugin may implement.

Registry hooks (``zhibu_schemes``, ``zhibu_report_builders``, ``zhibu_automatic_indicators``,
``zhibu_org_kinds``, ``zhibu_record_kinds``, ``zhibu_cli_commands``, ``zhibu_blueprints``,
``zhibu_demo_data``) return a list; the core flattens the lists of
all plugins and refuses two contributions with the same name, naming both plugins. A plugin
implements only the hooks it needs. Each hook is documented in ``docs/plugins.md`` and a test
fails if one is missing there or untested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from zhibu.engine.model import AutomaticIndicator
    from zhibu.engine.scheme import Scheme
    from zhibu.plugins.contributions import DemoData, OrgKind, RecordKind, ReportBuilder

hookspec = pluggy.HookspecMarker("zhibu")


@hookspec
def zhibu_schemes() -> list[Scheme]:
    """The schemes (local standards) this plugin contributes.

    Called once while the app is built. Scheme keys must be unique across all plugins;
    a duplicate stops start-up with an error naming both plugins.

    :return: a list of :class:`zhibu.plugins.Scheme`.
    """


@hookspec
def zhibu_report_builders() -> list[ReportBuilder]:
    """Reports this plugin can build (登记表, 汇总表, 公示 …).

    Called once while the app is built. Report keys must be unique across all plugins.

    :return: a list of :class:`zhibu.plugins.ReportBuilder`.
    """


@hookspec
def zhibu_automatic_indicators() -> list[AutomaticIndicator]:
    """Indicators computed from activity records instead of scored by a person.

    Called once while the app is built. Indicator keys must be unique across all plugins.
    Each indicator's ``compute`` must be pure: plain data in, plain data out.

    :return: a list of :class:`zhibu.plugins.AutomaticIndicator`.
    """


@hookspec
def zhibu_org_kinds() -> list[OrgKind]:
    """Kinds of unit this plugin adds to the org tree (站所, 街道 …).

    Called once while the app is built. Keys must be unique across all plugins and the
    core's own kinds (``branch``, ``village`` …, which come through this hook from Zhibu's
    built-in plugin); a unit of any loaded kind may then be created, imported or written
    in a scenario, and a track may rate it.

    :return: a list of :class:`zhibu.plugins.OrgKind`.
    """


@hookspec
def zhibu_record_kinds() -> list[RecordKind]:
    """Kinds of activity record this plugin adds (志愿服务 …).

    Called once while the app is built. Keys must be unique across all plugins and the
    core's own kinds (``dues``, ``training`` …, from Zhibu's built-in plugin). A record is
    checked against its kind (what it ``needs``) like any other, and reaches automatic
    indicators and rules as an :class:`zhibu.engine.Record`.

    :return: a list of :class:`zhibu.plugins.RecordKind`.
    """


@hookspec
def zhibu_cli_commands() -> list[click.Command]:
    """Commands this plugin adds to the ``zhibu`` command line.

    Called once while the app is built; each command is added to the Flask CLI group, so it
    runs inside the application context. Command names must be unique.

    :return: a list of :class:`click.Command` (or groups).
    """


@hookspec
def zhibu_blueprints() -> list[Blueprint]:
    """Flask blueprints (web pages or API resources) this plugin serves.

    Called once while the app is built; each blueprint is registered on the app as it is.
    Blueprint names must be unique.

    :return: a list of :class:`flask.Blueprint`.
    """


@hookspec
def zhibu_demo_data() -> list[DemoData]:
    """Demo data for a scheme, loaded by ``zhibu demo`` (and so by ``make demo``).

    Called once while the app is built. ``zhibu demo`` makes a tenant for each loaded
    scheme and, while that tenant is still empty, calls each of the scheme's ``build``
    functions with a :class:`zhibu.plugins.DemoContext`; they create data through the
    same services as the web app, and ask for any logins beyond the usual ones with
    ``context.add_user`` (made with a password of their own and printed by
    ``zhibu demo``). Keys must be unique.

    :return: a list of :class:`zhibu.plugins.DemoData`.
    """
