"""The plain types plugins return from the registry hooks (schemes and automatic
indicators are the engine's own types)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KIND_KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
RECORD_FIELDS = ("member", "month", "hours", "attendees")  # what a record kind may need


def _check_kind(what: str, key: str, title: str, title_en: str) -> None:
    if not KIND_KEY.match(key or ""):
        raise ValueError(
            f"{what} {key!r}: the key is 2-32 lowercase letters, digits or '_', starting "
            "with a letter"
        )
    if not (title or "").strip() or not (title_en or "").strip():
        raise ValueError(f"{what} {key!r} needs a Chinese title and an English title_en")


@dataclass(frozen=True)
class OrgKind:
    """A kind of unit of the org tree (党支部, 村, 站所 …).

    :param key: stored on each unit of the kind, named in a track's ``subject_kinds`` and
        in scenario files: 2-32 lowercase letters, digits or ``_``; not ``member``.
    :param title: the Chinese name users read (``站所``).
    :param title_en: the English name (``Township station``).
    """

    key: str
    title: str
    title_en: str

    def __post_init__(self) -> None:
        _check_kind("org kind", self.key, self.title, self.title_en)
        if self.key == "member":
            raise ValueError("org kind 'member': the name is taken by members")


@dataclass(frozen=True)
class RecordKind:
    """A kind of activity record (党员大会, 党费, 志愿服务 …), for automatic indicators and
    rules to count.

    :param key: stored on each record of the kind: 2-32 lowercase letters, digits or ``_``.
    :param title: the Chinese name users read (``志愿服务``).
    :param title_en: the English name (``Volunteer service``).
    :param needs: what a record of the kind must give besides its unit and date: any of
        ``member`` (the member it names: a payer, an elected secretary, a lecturer),
        ``month`` (the month it is for), ``hours`` and ``attendees``.
    :param standing: the record holds beyond its cycle, so the rules see it in later
        cycles too (an election: a committee's term runs from its last one).
    :param lecturer: the member it names gave it (a 党课): the engine's ``Record.lecturer``
        rather than ``Record.member``.
    """

    key: str
    title: str
    title_en: str
    needs: tuple[str, ...] = ()
    standing: bool = False
    lecturer: bool = False

    def __post_init__(self) -> None:
        _check_kind("record kind", self.key, self.title, self.title_en)
        unknown = [f for f in self.needs if f not in RECORD_FIELDS]
        if unknown:
            raise ValueError(
                f"record kind {self.key!r}: needs {', '.join(unknown)}? a record may need "
                f"{', '.join(RECORD_FIELDS)}"
            )


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
    :param results: shows subjects' results (scores, levels, ranks): an overseer reads it
        only once the cycle's results are published. ``False`` for records an overseer
        follows while the cycle runs (the 整改台账).
    """

    key: str
    title: str
    build: Callable[..., Any]
    schemes: tuple[str, ...] = ()
    personal: bool = False
    replaces: tuple[str, ...] = ()
    results: bool = True


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
