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
    :param build: callable producing the report from the data the core passes in.
    :param schemes: scheme keys the report applies to; empty means every scheme.
    """

    key: str
    title: str
    build: Callable[..., Any]
    schemes: tuple[str, ...] = ()
