"""Zhibu's own behaviour, registered through the same hooks as any plugin (``trylast``)."""

from __future__ import annotations

from zhibu.plugins import hookimpl


@hookimpl(trylast=True)
def zhibu_cli_commands():
    from zhibu.cli import core_commands

    return core_commands()


@hookimpl(trylast=True)
def zhibu_report_builders():
    from zhibu.reports.registry import CORE_REPORTS

    return list(CORE_REPORTS)
