"""The plain types plugins return from the registry hooks (schemes live in the engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReportBuilder:
    """A report a plugin can produce.

    :param key: unique report key (``akesu_college.branch_register``).
    :param title: the Chinese title printed on the report.
    :param build: callable producing the report from the data the core passes in.
    :param schemes: scheme keys the report applies to; empty means every scheme.
    """

    key: str
    title: str
    build: Callable[..., Any]
    schemes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AutomaticIndicator:
    """An indicator computed from activity records.

    :param key: unique indicator key (``enterprise_5std.committee_monthly``).
    :param title: the Chinese title shown next to the computed value.
    :param compute: pure function from records to points and the records it counted.
    :param schemes: scheme keys the indicator applies to; empty means every scheme.
    """

    key: str
    title: str
    compute: Callable[..., Any]
    schemes: tuple[str, ...] = field(default=())
