"""The plain types plugins return from the registry hooks (schemes and automatic
indicators are the engine's own types)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class DemoUser:
    """A login a demo builder asks for: ``role`` in its tenant (over ``org_id``'s subtree
    for a branch secretary, as ``member_id`` for a member)."""

    role: str
    username: str
    display_name: str = ""
    org_id: Any = None
    member_id: Any = None


@dataclass
class DemoContext:
    """What a demo builder gets: the tenant and a tenant administrator's access. Logins it
    wants (a township's secretary, …) it asks for with :meth:`add_user`; ``zhibu demo``
    makes them after the build, each with a password of its own made for the run, and
    prints them with the others."""

    tenant: Any
    access: Any
    users: list[DemoUser] = field(default_factory=list)

    def add_user(self, role: str, username: str, display_name: str = "", **over: Any) -> None:
        """Ask for a login; ``over`` is ``org_id=`` (a secretary) or ``member_id=``."""
        self.users.append(DemoUser(role, username, display_name, **over))
