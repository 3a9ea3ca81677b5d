"""What a plugin registers with: the hook marker, the types its hooks return, and the
loaded registry (the rest of the public surface — the engine, the reports, the test kit —
is listed in ``docs/engine.md``).

    from zhibu.plugins import hookimpl, Scheme

    @hookimpl
    def zhibu_schemes():
        return [Scheme(key="my_scheme", title="我的方案", title_en="My scheme", seed="…")]

Names exported here keep their meaning across minor releases; see ``docs/plugins.md``.

Services reach the loaded plugins through :func:`registry`, never through ``zhibu.app``:
the app is built on top of the services, and a service importing it would tie every
layer into one import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

from zhibu.engine.model import AutomaticIndicator, Computed
from zhibu.engine.scheme import Adjustable, Scheme
from zhibu.plugins.contributions import (
    DemoContext,
    DemoData,
    OrgKind,
    RecordKind,
    ReportBuilder,
)

if TYPE_CHECKING:
    from flask import Flask

    from zhibu.plugins.manager import PluginRegistry

hookimpl = pluggy.HookimplMarker("zhibu")

EXTENSION = "zhibu.plugins"  # where create_app keeps the registry: app.extensions[EXTENSION]


def registry(app: Flask | None = None) -> PluginRegistry:
    """The plugins loaded by ``app`` (default: the current app) and what they contribute.

    :raises RuntimeError: outside an application context when no ``app`` is given.
    """
    if app is None:
        from flask import current_app

        app = current_app
    return app.extensions[EXTENSION]


__all__ = [
    "Adjustable",
    "AutomaticIndicator",
    "Computed",
    "DemoContext",
    "DemoData",
    "OrgKind",
    "RecordKind",
    "ReportBuilder",
    "Scheme",
    "hookimpl",
    "registry",
]
