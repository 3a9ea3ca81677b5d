"""The plain types plugins return from the registry hooks (schemes and automatic
indicators are the engine's own types)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReportBuilder:
    """A report a plugin can produce.

    :param key: unique report key (``akesu_college.branch_register``).
    :param title: the Chinese title printed on the report.
    :param build: ``build(data: zhibu.reports.ReportData) -> list[ReportTable]``: pure,
        from the data the core passes in.
    :param schemes: scheme keys the report applies to; empty means every scheme.
    :param personal: shows members' personal data (birth date, ethnicity …): not for
        overseers.
    :param replaces: keys of reports this one stands in for in its schemes' cycles (a
        scheme's own 公示 replaces the core's ``core.publicity``).
    """

    key: str
    title: str
    build: Callable[..., Any]
    schemes: tuple[str, ...] = ()
    personal: bool = False
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoData:
    """Demo data a plugin can load into a fresh tenant of its scheme.

    :param key: unique key (``akesu_college.college``).
    :param scheme: the scheme whose demo tenant it fills.
    :param build: ``build(context: DemoContext) -> str``: creates the data through the
        services and returns one line saying what it made.
    """

    key: str
    scheme: str
    build: Callable[[Any], str]


@dataclass
class DemoContext:
    """What a demo builder gets: the tenant, a tenant administrator's access, and the
    administrator's password (to create further demo users with it)."""

    tenant: Any
    access: Any
    password: str
